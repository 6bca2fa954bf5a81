# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs msp.cipp.cipp_registration_campaign in-process on the controller (see plugin_utils/cipp_action.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.msp.cipp.plugins.plugin_utils.cipp_action import CippAction


class ActionModule(CippAction):
    MODULE = 'cipp_registration_campaign'
