"""Pull Python code out of a model's answer, robustly.

Model answers mix prose and code in many shapes. A scanner handed raw markdown parses nothing and
reports nothing, which looks exactly like secure code. This module therefore finds the code first:

* fenced blocks (```` ``` ```` or ``~~~``) with or without a language tag; blocks tagged with a clearly
  non-Python language (bash, json, yaml, text, ...) are skipped;
* several Python blocks are joined in order (blank line between), as one module;
* a fence left open at the end (an answer cut off by ``max_tokens``) still yields its code
  (``truncated=True``);
* an answer without fences is searched for code: the whole answer if it parses as Python with at least
  one statement that is not a bare name, otherwise the span from the first code-looking line
  (``import``, ``def``, ``class``, ``@decorator`` ...) onward, trimmed of trailing prose until it parses;
* interactive-session blocks (``>>>``) are turned back into source.

Reasoning text is never passed here: targets put it in ``Completion.reasoning``, and callers scan only
``Completion.text``. :func:`strip_reasoning` removes any ``<think>`` block left in the answer itself.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Literal

Method = Literal["fenced", "unclosed_fence", "unfenced", "none"]

PYTHON_TAGS = {"", "python", "py", "python3", "py3", "python2", "ipython", "pycon", "sage"}
# Tags that are clearly not Python source; blocks with any other unknown tag are kept if they parse.
NON_PYTHON_TAGS = {
    "bash", "sh", "shell", "zsh", "console", "shell-session", "powershell", "ps1", "bat", "cmd",
    "json", "jsonc", "yaml", "yml", "toml", "ini", "cfg", "conf", "text", "txt", "plaintext", "output",
    "html", "xml", "css", "javascript", "js", "typescript", "ts", "sql", "markdown", "md", "diff",
    "dockerfile", "makefile", "c", "cpp", "java", "go", "rust", "ruby", "php", "csv", "env", "http",
    "requirements", "pip",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_CODE_START = re.compile(
    r"^(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|async\s+def\s|class\s+\w+|@\w|"
    r"if\s+__name__\s*==|[A-Za-z_]\w*\s*=\s*\S|#!)"
)


@dataclass
class Extraction:
    """The code found in one answer (``code`` is None when there is none)."""

    code: str | None
    method: Method
    blocks: list[str] = field(default_factory=list)
    truncated: bool = False  # the last fence was never closed
    skipped_blocks: int = 0  # fenced blocks tagged with a non-Python language

    @property
    def parses(self) -> bool:
        return self.code is not None and parses(self.code)


def strip_reasoning(text: str) -> str:
    """Remove ``<think>...</think>`` (or an unclosed ``<think>`` to the end) from an answer."""
    return _THINK.sub("", text)


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def _is_meaningful(code: str) -> bool:
    """True when parsed code has a statement other than a bare name/constant (prose like `Hello` parses)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Name | ast.Constant | ast.Attribute):
            continue
        return True
    return False


def _from_session(block: str) -> str:
    """Turn a `>>>` interactive session into source; leave other blocks alone."""
    lines = block.splitlines()
    if not any(line.lstrip().startswith(">>>") for line in lines):
        return block
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped[:4] in (">>> ", "... ") or stripped in (">>>", "..."):
            out.append(stripped[4:])
    return "\n".join(out)


def _fenced_blocks(text: str) -> tuple[list[tuple[str, str]], bool]:
    """(tag, body) of every fenced block in order, and whether the last fence is unclosed."""
    blocks: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        tag = m.group("info").strip().split(" ")[0].strip("{}.").lower() if m.group("info") else ""
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            close = re.match(r"^[ \t]*(`{3,}|~{3,})[ \t]*$", lines[j])
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                closed = True
                break
            body.append(lines[j])
            j += 1
        # A fence indented inside a list item: its body carries the same indentation.
        indent = m.group("indent")
        if indent and all(not ln.strip() or ln.startswith(indent) for ln in body):
            body = [ln[len(indent):] for ln in body]
        blocks.append((tag, "\n".join(body)))
        if not closed:
            return blocks, True
        i = j + 1
    return blocks, False


def _unfenced(text: str) -> str | None:
    """Code in an answer without fences, or None. May return code that does not parse."""
    stripped = text.strip()
    if not stripped:
        return None
    if _is_meaningful(stripped):
        return stripped
    lines = stripped.splitlines()
    start = next((i for i, line in enumerate(lines) if _CODE_START.match(line)), None)
    if start is None:
        return None
    candidate = lines[start:]
    # Trim trailing prose one line at a time until the span parses (bounded, cheap). Only unindented
    # lines count as prose: trimming indented lines would drop the broken part of truncated or invalid
    # code and scan a clean-looking prefix instead of reporting the answer as unscannable.
    for end in range(len(candidate), 0, -1):
        tail = candidate[end:]
        if any(line[:1] in (" ", "\t") for line in tail) or len(tail) > 200:
            break
        chunk = "\n".join(candidate[:end]).rstrip()
        if chunk and _is_meaningful(chunk):
            return chunk
    # Code-looking text that never parses: hand it on, so it is reported as unscannable, not clean.
    first = candidate[0]
    if re.match(r"^(import|from|def|class|async\s+def|@)", first):
        return "\n".join(candidate).rstrip()
    return None


def extract_code(text: str, language: str | None = "python") -> Extraction:
    """Find the Python code in an answer. Reasoning (``<think>``) is removed first and never returned."""
    answer = strip_reasoning(text or "")
    blocks, unclosed = _fenced_blocks(answer)
    lang = (language or "python").strip().lower()
    if lang not in PYTHON_TAGS:
        # Another language: every fenced block is its code (the caller reports it as unscannable).
        other = [body.rstrip() for _, body in blocks if body.strip()]
        if not other:
            return Extraction(code=None, method="none", truncated=unclosed)
        return Extraction(code="\n\n".join(other) + "\n", method="unclosed_fence" if unclosed else "fenced",
                          blocks=other, truncated=unclosed)
    if blocks:
        kept: list[str] = []
        skipped = 0
        for tag, body in blocks:
            if tag in NON_PYTHON_TAGS:
                skipped += 1
                continue
            body = _from_session(body)
            if not body.strip():
                continue
            if tag not in PYTHON_TAGS and not parses(body):
                skipped += 1
                continue
            kept.append(body.rstrip())
        if kept:
            method: Method = "unclosed_fence" if unclosed else "fenced"
            return Extraction(code="\n\n".join(kept) + "\n", method=method, blocks=kept, truncated=unclosed,
                              skipped_blocks=skipped)
        # Only non-Python blocks: look at the prose outside fences too (it may hold unfenced code).
        outside = re.sub(r"(?ms)^[ \t]*(`{3,}|~{3,}).*?(^[ \t]*\1[ \t]*$|\Z)", "", answer)
        code = _unfenced(outside)
        if code is None:
            return Extraction(code=None, method="none", skipped_blocks=skipped, truncated=unclosed)
        return Extraction(code=code + "\n", method="unfenced", blocks=[code], skipped_blocks=skipped)
    code = _unfenced(answer)
    if code is None:
        return Extraction(code=None, method="none")
    return Extraction(code=code + "\n", method="unfenced", blocks=[code])
