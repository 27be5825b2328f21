"""User-facing errors: one line saying what is wrong and what to do; exit code 2."""

from __future__ import annotations


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
        return " ".join(line.split())


class TargetError(Exception):
    """A request to a target failed. `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class MissingDependency(UserError):
    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"this needs the optional package '{package}', which is not installed",
            f"install it with: pip install 'weightwatch[{extra}]'",
        )
