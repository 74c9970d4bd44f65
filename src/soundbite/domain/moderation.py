"""Reports about clips: the reasons one may give, how long a note may be, and the signed
token that lets the share page's report form work without JavaScript or an account.

The form token exists because the share page is the same for every visitor (it is cached, by
us and by CDNs), so it cannot carry a session's CSRF token. Instead it carries
``<issued>.<hmac(key, share id, issued)>``: a post must come from a form we rendered for that
clip in the last ``FORM_TOKEN_DAYS``. The web layer also refuses cross-site ``Origin``s, and
session cookies are SameSite=Lax, so another site cannot post a report as a signed-in visitor.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

Reason = Literal["spam", "harassment", "copyright", "misinformation", "other"]
REASONS: tuple[Reason, ...] = ("spam", "harassment", "copyright", "misinformation", "other")
REASON_LABELS: dict[Reason, str] = {
    "spam": "Spam or advertising",
    "harassment": "Harassment or hate",
    "copyright": "Copyright infringement",
    "misinformation": "Misinformation",
    "other": "Something else",
}
REPORT_NOTE_MAX_CHARS = 1000
FORM_TOKEN_DAYS = 2

Resolution = Literal["dismissed", "hidden"]
# what a moderator can do to a reported clip
Action = Literal["hide", "unhide", "delete", "dismiss", "disable-author"]
ACTIONS: tuple[Action, ...] = ("hide", "unhide", "delete", "dismiss", "disable-author")
HIDDEN_LIST_LIMIT = 200  # the most recently hidden, on the page and from the API


def form_token(key: str, share_id: str, issued_s: int) -> str:
    return f"{issued_s}.{_mac(key, share_id, issued_s)}"


def form_token_valid(key: str, share_id: str, token: str, now_s: int) -> bool:
    issued_text, _, mac = token.partition(".")
    if not issued_text.isdigit() or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    if not 0 <= now_s - issued <= FORM_TOKEN_DAYS * 86400:
        return False
    return hmac.compare_digest(_mac(key, share_id, issued), mac)


def _mac(key: str, share_id: str, issued_s: int) -> str:
    message = f"report-form\n{share_id}\n{issued_s}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]
