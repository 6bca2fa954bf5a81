# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors raised by the CIPP client and the resource layer.

Every message names what failed (option, or endpoint + HTTP status + CIPP's own text) and never
carries a secret: the client builds messages only from redacted material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class CippError(Exception):
    """Base class. ``endpoint``/``status``/``cipp_message`` are None when they do not apply."""

    def __init__(self, message, endpoint=None, status=None, cipp_message=None, response=None):
        super(CippError, self).__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.cipp_message = cipp_message
        # The parsed response body (already redacted), for callers that want to show partial results.
        self.response = response

    def __str__(self):
        return self.message

    def to_result(self):
        """The extra keys a module adds to its failure result."""
        result = {}
        if self.endpoint:
            result['endpoint'] = self.endpoint
        if self.status is not None:
            result['status'] = self.status
        if self.cipp_message:
            result['cipp_message'] = self.cipp_message
        return result


class CippConfigError(CippError):
    """Bad or missing options: raised before anything is sent."""


class CippAuthError(CippError):
    """The token endpoint refused the credentials, or the API answered 401 even with a fresh token."""


class CippPermissionError(CippError):
    """CIPP's RBAC refused the call (HTTP 403 with an ``Access to this ...`` text)."""


class CippNotFoundError(CippError):
    """HTTP 404: CIPP does not know the endpoint (wrong api_url, or an older CIPP version)."""


class CippRequestError(CippError):
    """HTTP 400: CIPP rejected the request as invalid."""


class CippServerError(CippError):
    """HTTP 5xx (or a 403 that is not RBAC): CIPP, Graph or Exchange failed while handling the call."""


class CippResultError(CippError):
    """HTTP 200 whose result text or item state reports a failure (CONTRACT quirk 1)."""

    def __init__(self, message, endpoint=None, status=None, cipp_message=None, response=None, failures=None):
        super(CippResultError, self).__init__(message, endpoint, status, cipp_message, response)
        self.failures = failures or []


class CippTransportError(CippError):
    """The call did not complete: connection refused, timeout, reset, or a body that is not CIPP's."""


class CippWriteUncertainError(CippTransportError):
    """A write was sent but its outcome is unknown (timeout or lost response).

    The client never re-sends such a write. The resource layer re-reads state and decides.
    """


class CippCheckModeError(CippError):
    """A write was attempted in check mode. This is a bug in the caller, never a user error."""


class CippGuardError(CippError):
    """A write the client refuses on principle, e.g. one aimed at ``AllTenants``."""
