# mypy: ignore-errors
"""A fake of `markupsafe` (installed as ``markupsafe`` in the sandbox): Markup and escape."""

from __future__ import annotations

import html
import re

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


class Markup(str):
    """A string that is safe to insert into HTML as it is."""

    def __new__(cls, base="", encoding=None, errors="strict"):
        if hasattr(base, "__html__"):
            base = base.__html__()
        if encoding is not None:
            return super().__new__(cls, base, encoding, errors)
        return super().__new__(cls, base)

    def __html__(self):
        return self

    def __add__(self, other):
        if isinstance(other, str) or hasattr(other, "__html__"):
            return Markup(str(self) + escape(other))
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, str) or hasattr(other, "__html__"):
            return Markup(escape(other) + str(self))
        return NotImplemented

    def __mod__(self, arg):
        if isinstance(arg, tuple):
            arg = tuple(escape(a) if isinstance(a, str) else a for a in arg)
        elif isinstance(arg, dict):
            arg = {k: escape(v) if isinstance(v, str) else v for k, v in arg.items()}
        elif isinstance(arg, str):
            arg = escape(arg)
        return Markup(str.__mod__(self, arg))

    def join(self, seq):
        return Markup(str.join(self, (escape(s) for s in seq)))

    def format(self, *args, **kw):
        args = tuple(escape(a) if isinstance(a, str) else a for a in args)
        kw = {k: escape(v) if isinstance(v, str) else v for k, v in kw.items()}
        return Markup(str.format(self, *args, **kw))

    def striptags(self):
        return " ".join(re.sub(r"<.*?>", "", self).split())

    def unescape(self):
        return html.unescape(str(self))

    @classmethod
    def escape(cls, s):
        return escape(s)

    def __repr__(self):
        return f"Markup({str.__repr__(self)})"


def escape(s):
    if hasattr(s, "__html__"):
        return Markup(s.__html__())
    return Markup(str(s).translate(_ESCAPES))


def escape_silent(s):
    return Markup() if s is None else escape(s)


def soft_str(s):
    return s if isinstance(s, str) else str(s)
