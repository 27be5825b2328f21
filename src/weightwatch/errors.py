"""User-facing errors: one line saying what is wrong and what to do; exit code 2."""

from __future__ import annotations

import re
from typing import Any, Literal

# C0 and C1 control characters, DEL included: a server's error body or a model's text can carry terminal escape
# sequences (ESC [ ... m colours, ESC ] 0 ; title BEL): printed as they are, they would act on the user's terminal
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    """`text` without control characters (tabs and newlines kept): safe to print on a terminal."""
    return _CONTROL.sub("", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def no_lone_surrogates(value: Any) -> Any:
    """`value` (str, list, dict, nested) with every lone UTF-16 surrogate replaced by U+FFFD. A server's JSON
    can carry one ("\\ud83d" when an emoji is cut at max_tokens); json.loads keeps it, and it cannot be
    written as UTF-8: the journal write of that one answer failed and took the whole run down."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [no_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {no_lone_surrogates(k): no_lone_surrogates(v) for k, v in value.items()}
    return value


class UserError(Exception):
    """A problem the user can fix. The CLI prints `error: <message> (<hint>)` and exits with 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        line = self.message.rstrip(".")
        if self.hint:
            line += f"; {self.hint.rstrip('.')}"
        return " ".join(plain(line).split())


ErrorKind = Literal["rate_limit", "overloaded", "transient", "auth", "fatal"]
# rate_limit / overloaded: retry later and send less (the runner shrinks concurrency, honours Retry-After);
# transient: retry (timeouts, dropped connections, 5xx, malformed answers); auth: stop the target with one
# line (a wrong or missing key will not get better); fatal: this request cannot succeed (400, 404 ...).
RETRYABLE_KINDS: frozenset[str] = frozenset({"rate_limit", "overloaded", "transient"})
BACKOFF_KINDS: frozenset[str] = frozenset({"rate_limit", "overloaded"})


class TargetError(Exception):
    """A request to a target failed. The backend says what kind of failure it was; the engine reads only
    `kind` (and `retry_after`), never a transport's status codes.

    `retryable=True/False` is shorthand for kind "transient" / "fatal". `status` is kept for messages and
    tests only."""

    def __init__(self, message: str, *, kind: ErrorKind | None = None, retryable: bool | None = None,
                 retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        if kind is None:
            kind = "transient" if retryable else "fatal"
        self.kind: ErrorKind = kind
        self.retry_after = retry_after
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


class MissingDependency(UserError):
    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this needs the optional package '{package}', which is not installed",
            f"install it with: pip install 'weightwatch[{extra}]'",
        )
