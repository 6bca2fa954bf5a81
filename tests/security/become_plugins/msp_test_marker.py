# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A become method for the security tests: it runs the command as it is, and leaves a mark that it did.

A real become (sudo, su) needs a second account and credentials this machine does not have. What the tests need to
know is only whether Ansible sent the module through become at all; this method writes one line per command it
wraps to the file named by MSP_TEST_BECOME_MARKER.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: msp_test_marker
short_description: Test-only become method that marks the commands it wraps
description:
  - Runs the command unchanged and appends a line to the file named by E(MSP_TEST_BECOME_MARKER).
author: msp.cipp contributors
'''

import os
import shlex

from ansible.plugins.become import BecomeBase


class BecomeModule(BecomeBase):

    name = 'msp_test_marker'

    def build_become_command(self, cmd, shell):
        marker = os.environ.get('MSP_TEST_BECOME_MARKER')
        if not cmd or not marker:
            return cmd
        return 'echo become >> %s; %s' % (shlex.quote(marker), cmd)
