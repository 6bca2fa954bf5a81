# -*- coding: utf-8 -*-
# Copyright: (c) 2026, msp.cipp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes whose outcome was lost: look, then decide.

The client never re-sends a write whose answer it did not get (a timeout, a reset, a front-end error page) or
that failed with HTTP 5xx (the failure may have come after the change). It raises CippWriteUncertainError or
CippServerError instead, and the resource that sent the write is the one that can tell whether the change
happened: it re-reads. ``write_verified`` is that loop:
  - the change is there: done, nothing is sent again (the answer was lost, or the failure came after the change);
  - it is not, and the failure says nothing about the request itself (no answer, an error page, a plain-text
    5xx from the function host): send it again, at most ``client.max_retries`` times, with the client's backoff;
  - it is not, and CIPP's own handler answered (a JSON body on the 5xx): that is CIPP's verdict on this request;
    sending it again would fail the same way, so the error is raised with CIPP's text.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.msp.cipp.plugins.module_utils._errors import CippResultError, CippServerError, CippWriteUncertainError

# Graph and Exchange are eventually consistent: a change CIPP reports as done may take a few seconds to show.
CONFIRM_DELAYS = (1, 2, 4)


def write_verified(client, send, applied):
    """A write that converges when its outcome is unknown. ``send()`` makes the write through the API layer (it returns
    what ``client.write`` returns); ``applied()`` re-reads and says whether the write's effect is in place. Returns
    CIPP's answer, or None when it was lost but the effect is there (and in check mode, as ``client.write`` does)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return send()
        except (CippWriteUncertainError, CippServerError) as exc:
            if isinstance(exc, CippServerError) and (exc.status or 0) < 500:
                raise  # e.g. a 403 that is not RBAC: CIPP refused the request, nothing to verify
            if applied():
                return None
            if _handler_answered(exc):
                raise _verdict(exc)
            if attempt > client.max_retries:
                raise CippWriteUncertainError('Gave up on %s after %d attempts; a re-read after each showed it was not applied. '
                                              'Last failure: %s' % (exc.endpoint, attempt, exc.message), exc.endpoint, exc.status,
                                              exc.cipp_message)
            client.pause(attempt)


def _handler_answered(exc):
    # The client keeps the parsed body of a 5xx: JSON means CIPP's handler caught the failure and answered.
    return exc.status is not None and isinstance(exc.response, (dict, list))


def _verdict(exc):
    """CIPP's own failure, as a server error (the uncertainty is gone: a re-read shows nothing changed)."""
    if isinstance(exc, CippServerError):
        return exc
    return CippServerError('%s failed with HTTP %s: %s (a re-read shows nothing was changed)'
                           % (exc.endpoint, exc.status, exc.cipp_message or '(empty body)'), exc.endpoint, exc.status,
                           exc.cipp_message, exc.response)


def confirm(client, applied, endpoint, what, delays=CONFIRM_DELAYS, sleep=time.sleep):
    """CIPP's word alone is not success: after a write it answered, re-read (``applied()``) with a short bounded wait,
    and fail naming ``what`` is missing when it never shows. Nothing to confirm in check mode (nothing was sent)."""
    if getattr(client, 'check_mode', False) or applied():
        return
    for delay in delays:
        sleep(delay)
        if applied():
            return
    raise CippResultError('%s answered success, but a re-read after %d s does not show %s.' % (endpoint, sum(delays), what),
                          endpoint, 200, None)
