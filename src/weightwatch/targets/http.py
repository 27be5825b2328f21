"""What every HTTP backend shares: secrets that never print, URLs without credentials, Retry-After, and
the one mapping from an HTTP status to a `TargetError` kind (the engine reads kinds, never statuses).

    401, 403                 -> auth        (stop the target, one line)
    429                      -> rate_limit  (retry after Retry-After, send less)
    503, 529                 -> overloaded  (the same; 529 is Anthropic's "overloaded")
    408, 409, 425, other 5xx -> transient   (retry)
    501, 505                 -> fatal       (not a chat-completions server: a static file server, say)
    other 4xx                -> fatal       (the request itself is wrong)
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from urllib.parse import urlsplit, urlunsplit

from weightwatch.errors import ErrorKind, TargetError, plain

ERR_SNIPPET = 200  # characters of a server's error body kept in a message


class Secret:
    """A string that never shows itself in repr/str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def redact_url(url: str) -> str:
    """The URL without `user:password@` (and without a query string, which may hold a key)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port out of range or not a number: shown as written, without credentials
        netloc = parts.netloc.rpartition("@")[2]
    else:
        netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date; None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def kind_for_status(status: int) -> ErrorKind:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status in (503, 529):
        return "overloaded"
    if status in (501, 505):  # Not Implemented / HTTP version: not a chat server; asking again cannot help
        return "fatal"
    if status in (408, 409, 425) or status >= 500:
        return "transient"
    return "fatal"


def status_error(status: int, message: str, retry_after: float | None = None) -> TargetError:
    """The TargetError for an HTTP error status (see the table above)."""
    return TargetError(message, kind=kind_for_status(status), retry_after=retry_after, status=status)


def error_detail(body: str) -> str:
    """A short, one-line description of a server's error body (JSON `error`/`detail`/`message`, or text)."""
    body = plain(body).strip()  # no terminal escape sequences from the server into our messages
    if not body:
        return ""
    with contextlib.suppress(ValueError):
        data = json.loads(body)
        if isinstance(data, dict):
            err = data.get("error", data.get("detail", data.get("message")))
            if isinstance(err, dict):
                err = err.get("message") or err.get("type") or json.dumps(err)
            if err is not None:  # JSON escapes (\u001b) decode to control characters too
                return " ".join(plain(str(err)).split())[:ERR_SNIPPET]
    return " ".join(body.split())[:ERR_SNIPPET]
