"""Find every piece of Python code in a model's answer, as separate blocks.

A scanner handed raw markdown parses nothing and reports nothing, which looks exactly like secure code.
This module finds the code first, block by block; each block is scanned on its own (an answer is
vulnerable if any block is), so one broken or odd block cannot hide the others:

* fenced blocks (```` ``` ```` or ``~~~``) at any indentation (fences nested in list items), dedented;
  blocks tagged with another language (```` ```text ````, ```` ```javascript ````...) are kept when they
  parse as Python and hold Python-only statements (imports, definitions, ``with``/``try``...);
* Markdown indented code blocks (4+ spaces after a blank line) and unfenced code in the prose, found by
  parsing; ``>>>`` interactive sessions anywhere are turned back into source;
* a block that does not parse is repaired where the intent is clear, and every repair is recorded:
  placeholders such as ``<your directory>`` become a string literal (or their line is cut), shell lines
  (``!pip install``, ``%pip``, ``$ cmd``, ``pip install``) are cut;
* a block that still does not parse (an answer cut off by ``max_tokens``, or broken code) keeps its
  *parseable prefix* of complete statements (``partial=True``): a finding there is real, but a partial
  block can never make an answer clean.

Reasoning text is never passed here: targets put it in ``Completion.reasoning``, and callers scan only
``Completion.text``. :func:`strip_reasoning` removes any ``<think>`` block left in the answer itself.
"""

from __future__ import annotations

import ast
import html
import re
import textwrap
from dataclasses import dataclass, field
from typing import Literal

Origin = Literal["fenced", "mistagged", "unclosed_fence", "indented", "session", "unfenced"]

PYTHON_TAGS = {"", "python", "py", "python3", "py3", "python2", "ipython", "ipython3", "pycon", "sage",
               "jupyter", "notebook"}
# Tags that are clearly not Python source: such blocks are still kept when they parse as Python with
# Python-only statements (models mis-tag code), see _python_evidence.
NON_PYTHON_TAGS = {
    "bash", "sh", "shell", "zsh", "console", "shell-session", "powershell", "ps1", "bat", "cmd",
    "json", "jsonc", "yaml", "yml", "toml", "ini", "cfg", "conf", "text", "txt", "plaintext", "output",
    "html", "xml", "css", "javascript", "js", "typescript", "ts", "sql", "markdown", "md", "diff",
    "dockerfile", "makefile", "c", "cpp", "java", "go", "rust", "ruby", "php", "csv", "env", "http",
    "requirements", "pip",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+)?)(?P<fence>`{3,}|~{3,})[ \t]*"
                    r"(?P<info>[^\n`]*)$")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_CODE_START = re.compile(
    r"^(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|async\s+def\s|class\s+\w+|@\w|"
    r"if\s+__name__\s*==|[A-Za-z_][\w.]*(\[[^\]]*\])?\s*=\s*\S|[A-Za-z_][\w.]*\(.*\)\s*$|"
    r"(with|for|while|try|if)\b.*:\s*$|return\b|#!)"
)
_SESSION = re.compile(r"^[ \t]*(>>>|\.\.\.)( |$)")
# A placeholder a model leaves for the user: <your directory>, <API_KEY>, <path/to/file>.
_PLACEHOLDER = re.compile(r"<(?=[^<>\n]*[A-Za-z])[A-Za-z_][^<>\n=();]{0,60}>")
_SHELL_LINE = re.compile(
    r"^[ \t]*(?:!\s*\S|%{1,2}[a-z]+\b|\$ \S|(?:pip3?|python3?|conda|apt(?:-get)?|sudo|npm|export|curl|wget|"
    r"mkdir|cd|uvicorn|flask|gunicorn|poetry|brew)\s+\S)"
)
# A line of prose inside a code block ("Here is the code:"): unindented words, no code punctuation.
_PROSE_LINE = re.compile(r"^[A-Z][A-Za-z0-9 ,'\-]*[A-Za-z0-9)]?[.:!]?$")
_QUOTE = re.compile(r"^[ \t]*(?:>(?!>)[ \t]?)+")
_HTML_CODE = re.compile(r"<pre>\s*<code[^>]*>(.*?)</code>\s*</pre>", re.DOTALL | re.IGNORECASE)
PLACEHOLDER_VALUE = '"__ww_placeholder__"'
MAX_PREFIX_LINES = 600


@dataclass
class Block:
    """One piece of code found in an answer, ready to scan (``code`` is the repaired source)."""

    code: str
    origin: Origin
    tag: str = ""
    parses: bool = True  # False: the block does not parse even after repair (``code`` is its raw text)
    partial: bool = False  # only the parseable prefix of a longer, unparseable block is kept in ``code``
    truncated: bool = False  # the block is the answer's last fence and was never closed
    placeholders: list[str] = field(default_factory=list)  # replaced (or their line cut)
    shell_lines: list[str] = field(default_factory=list)  # shell commands cut from the block
    prose_lines: list[str] = field(default_factory=list)  # lines of prose cut from the block
    dropped_lines: int = 0  # lines after the parseable prefix (partial blocks)


@dataclass
class Extraction:
    """All code found in one answer. ``code`` joins the blocks (for display only: scan blocks apart)."""

    blocks: list[Block] = field(default_factory=list)
    skipped_blocks: int = 0  # fenced blocks in another language that do not parse as Python
    prose: str = ""  # the answer without its code (what the refusal judge reads)

    @property
    def code(self) -> str | None:
        if not self.blocks:
            return None
        return "\n\n".join(b.code.rstrip() for b in self.blocks) + "\n"

    @property
    def method(self) -> str:
        if not self.blocks:
            return "none"
        return "+".join(dict.fromkeys(b.origin for b in self.blocks))

    @property
    def truncated(self) -> bool:
        return any(b.truncated for b in self.blocks)

    @property
    def parses(self) -> bool:
        return bool(self.blocks) and all(b.parses and not b.partial for b in self.blocks)


def strip_reasoning(text: str) -> str:
    """Remove ``<think>...</think>`` (or an unclosed ``<think>`` to the end) from an answer."""
    return _THINK.sub("", text)


def _tree(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def parses(code: str) -> bool:
    return _tree(code) is not None


def _error_line(code: str) -> int | None:
    """1-based line of the first syntax error, or None when the code parses (0: no line known)."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return exc.lineno or 0
    except (ValueError, MemoryError, RecursionError):
        return 0
    return None


MAX_TRIES = 60  # parse attempts per candidate span (keeps extraction linear on long prose)


def _candidate_ends(lines: list[str], start: int, limit: int) -> list[int]:
    """Ends (exclusive) worth trying for a span lines[start:end], longest first.

    The parser stops at the first error, so no span that runs past the first error line can parse;
    only ends up to that line are tried (at most MAX_TRIES of them)."""
    err = _error_line("\n".join(_dedent(lines[start:limit])))
    top = limit if err is None or err == 0 else min(limit, start + err)
    ends = [e for e in range(top, start, -1) if lines[e - 1].strip()]
    return ends[:MAX_TRIES]


def _meaningful(tree: ast.Module) -> bool:
    """A statement other than a bare name/constant/attribute (prose like `Hello` parses)."""
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Name | ast.Constant | ast.Attribute))
               for n in tree.body)


_PY_ONLY = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.With,
            ast.AsyncWith, ast.Try, ast.For, ast.While, ast.If, ast.Return, ast.Raise, ast.Delete, ast.Global)


def _python_evidence(tree: ast.Module) -> bool:
    """Statements no JSON, shell line or one-line JavaScript call parses into: the text is Python."""
    if any(isinstance(n, _PY_ONLY) for n in tree.body):
        return True
    calls = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Call))
    assigns = sum(1 for n in tree.body if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign))
    return calls >= 1 and len(tree.body) >= 2 and assigns >= 1


def _dedent(lines: list[str]) -> list[str]:
    return textwrap.dedent("\n".join(lines).expandtabs(4)).split("\n")


def _from_session(lines: list[str]) -> list[str]:
    """Turn a `>>>` interactive session into source (output lines dropped); other blocks unchanged."""
    if not any(_SESSION.match(line) and line.lstrip().startswith(">>>") for line in lines):
        return lines
    out = []
    for line in lines:
        m = _SESSION.match(line)
        if m:
            out.append(line[m.end():])
    return out


def _parse_prefix(lines: list[str]) -> tuple[str, int] | None:
    """The longest prefix of `lines` that parses and means something: (code, lines kept)."""
    for end in _candidate_ends(lines, 0, min(len(lines), MAX_PREFIX_LINES)):
        chunk = "\n".join(lines[:end]).rstrip()
        tree = _tree(chunk) if chunk else None
        if tree is not None and _meaningful(tree):
            return chunk, end
    return None


def _repair(lines: list[str], block: Block) -> list[str]:
    """Cut shell lines and replace placeholders, recording both in `block`."""
    out: list[str] = []
    for line in lines:
        if _SHELL_LINE.match(line) and not parses(line.strip()):
            block.shell_lines.append(line.strip())
            continue
        if (_PROSE_LINE.match(line) and " " in line.strip() and not _CODE_START.match(line)
                and not parses(line.strip())):
            block.prose_lines.append(line.strip())
            continue
        out.append(line)
    text = "\n".join(out)
    if parses(text):
        return out
    found = _PLACEHOLDER.findall(text)
    if not found:
        return out
    block.placeholders.extend(dict.fromkeys(found))
    replaced = [_PLACEHOLDER.sub(PLACEHOLDER_VALUE, line) for line in out]
    if parses("\n".join(replaced)):
        return replaced
    # The placeholder sits where a literal cannot go (e.g. `import <module>`): cut its lines.
    return [line for line in replaced if PLACEHOLDER_VALUE not in line]


def make_block(raw: list[str], origin: Origin, tag: str = "", truncated: bool = False) -> Block | None:
    """A block from raw lines: sessions, dedent, repairs, then the parseable prefix if need be."""
    lines = _dedent(_from_session(raw))
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    raw_text = "\n".join(lines)
    block = Block(code=raw_text, origin=origin, tag=tag, truncated=truncated)
    tree = _tree(raw_text)
    if tree is None:
        repaired = _repair(lines, block)
        tree = _tree("\n".join(repaired))
        if tree is not None:
            lines = repaired
            block.code = "\n".join(repaired)
        else:
            block.parses = False
            prefix = _parse_prefix(repaired)
            if prefix is not None:
                block.code, kept = prefix
                block.partial = True
                block.dropped_lines = sum(1 for ln in repaired[kept:] if ln.strip())
            return block
    if not _meaningful(tree):
        return None
    return block


@dataclass
class _Fence:
    start: int
    end: int  # index of the closing fence line (or len(lines) when unclosed)
    tag: str
    body: list[str]
    closed: bool


def _fences(lines: list[str]) -> list[_Fence]:
    out: list[_Fence] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        info = m.group("info").strip()
        tag = info.split(" ")[0].strip("{}.").lower() if info else ""
        j = i + 1
        closed = False
        while j < len(lines):
            close = re.match(r"^[ \t]*(`{3,}|~{3,})[ \t]*$", lines[j])
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                closed = True
                break
            j += 1
        # The body of a fence opened after a list marker ("1. ```python") is indented like the item text.
        out.append(_Fence(start=i, end=j, tag=tag, body=lines[i + 1:j], closed=closed))
        i = j + 1
    return out


def _fence_block(f: _Fence, last: bool) -> tuple[Block | None, bool]:
    """(block, skipped): a fenced block, or None with skipped=True for another language's block."""
    truncated = last and not f.closed
    if f.tag in PYTHON_TAGS:
        origin: Origin = "unclosed_fence" if truncated else "fenced"
        return make_block(f.body, origin, f.tag, truncated), False
    block = make_block(f.body, "mistagged", f.tag, truncated)
    if block is None or not block.parses:
        return None, True
    tree = _tree(block.code)
    if tree is None or not _python_evidence(tree):
        return None, True
    return block, False


def _is_indented(line: str) -> bool:
    return line.startswith("    ") or line.startswith("\t")


def _prose_blocks(lines: list[str]) -> list[tuple[Block, int, int]]:
    """Code outside fences: sessions, Markdown indented blocks and unfenced code, found by parsing.

    Returns (block, first line, end line) triples."""
    blocks: list[tuple[Block, int, int]] = []
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _SESSION.match(line) and line.lstrip().startswith(">>>"):
            j = i
            while j < n and lines[j].strip() and (
                    _SESSION.match(lines[j]) or not lines[j].lstrip().startswith((">>>", "..."))):
                j += 1
            b = make_block(lines[i:j], "session")
            if b is not None:
                blocks.append((b, i, j))
            i = j
            continue
        indented_start = _is_indented(line) and (i == 0 or not lines[i - 1].strip())
        found = None
        if indented_start:
            found = _indented_block(lines, i)
        if found is None and _CODE_START.match(line.strip()):
            found = _code_span(lines, i)
        if found is None:
            i += 1
            continue
        block, j = found
        blocks.append((block, i, j))
        i = j
    return blocks


def _indented_block(lines: list[str], i: int) -> tuple[Block, int] | None:
    """A Markdown indented code block from line i (up to the first unindented non-blank line)."""
    j = i
    while j < len(lines) and (not lines[j].strip() or _is_indented(lines[j])):
        j += 1
    b = make_block(lines[i:j], "indented")
    if b is None or not (b.parses or b.partial):
        return None
    tree = _tree(b.code)
    if tree is None or not (_python_evidence(tree) or _CODE_START.match(b.code.lstrip())):
        return None
    return b, j


def _code_span(lines: list[str], i: int) -> tuple[Block, int] | None:
    """The longest span from line i that parses as Python with real statements: (block, next line)."""
    n = len(lines)
    limit = min(n, i + MAX_PREFIX_LINES)
    for end in _candidate_ends(lines, i, limit):
        text = "\n".join(_dedent(lines[i:end])).strip("\n")
        tree = _tree(text)
        if tree is None or not _meaningful(tree):
            continue
        b = make_block(lines[i:end], "unfenced")
        if b is None:
            continue
        rest = [ln for ln in lines[end:limit] if ln.strip()]
        # Code continues after the span (an indented or code-looking line follows) and does not parse:
        # the span is the parseable prefix of code that breaks further down.
        if rest and (_is_indented(rest[0]) or _CODE_START.match(rest[0].strip())) and _broken_tail(lines, end):
            b.partial, b.parses = True, False
            b.dropped_lines = len(rest)
        return b, end
    # Code-looking text that never parses (broken or cut-off code): kept whole, so it is reported.
    if re.match(r"^(import|from|def|class|async\s+def|@)\b", lines[i].strip()):
        j = i + 1
        while j < n and (lines[j].strip() or (j + 1 < n and _is_indented(lines[j + 1]))):
            j += 1
        b = make_block(lines[i:j], "unfenced")
        if b is not None:
            return b, j
    return None


def _broken_tail(lines: list[str], end: int) -> bool:
    """True when the code after line `end` is a continuation that does not parse on its own."""
    rest = "\n".join(lines[end:end + 40])
    return not parses(textwrap.dedent(rest))


def _remove_spans(lines: list[str], spans: list[tuple[int, int]]) -> list[str]:
    """Lines with the given [start, end] spans blanked (offsets of other lines kept)."""
    out = list(lines)
    for start, end in spans:
        for k in range(start, min(end + 1, len(out))):
            out[k] = ""
    return out


def extract_code(text: str, language: str | None = "python") -> Extraction:
    """Find the code in an answer. Reasoning (``<think>``) is removed first and never returned."""
    answer = strip_reasoning(text or "")
    # HTML code blocks become fences; blockquote markers ("> ") are dropped (a quoted fence is a fence).
    answer = _HTML_CODE.sub(lambda m: "\n```\n" + html.unescape(m.group(1)).strip("\n") + "\n```\n", answer)
    lines = [_QUOTE.sub("", ln) if _QUOTE.match(ln) else ln for ln in answer.splitlines()]
    fences = _fences(lines)
    outside = _remove_spans(lines, [(f.start, f.end) for f in fences])
    lang = (language or "python").strip().lower()
    ex = Extraction()
    if lang not in PYTHON_TAGS:
        # Another language: every fenced block is its code (the caller reports it as unscannable).
        for f in fences:
            body = "\n".join(f.body).strip("\n")
            if body.strip():
                ex.blocks.append(Block(code=body, origin="fenced", tag=f.tag, parses=False,
                                       truncated=not f.closed))
        ex.prose = "\n".join(outside)
        return ex
    for k, f in enumerate(fences):
        block, skipped = _fence_block(f, k == len(fences) - 1)
        ex.skipped_blocks += int(skipped)
        if block is not None:
            ex.blocks.append(block)
    found = _prose_blocks(outside)
    ex.blocks.extend(b for b, _, _ in found)
    ex.prose = "\n".join(_remove_spans(outside, [(start, end - 1) for _, start, end in found])).strip()
    return ex
