"""Pull Python code out of a chat answer and assemble a HumanEval test program from it.

The answer is untrusted text: this module only slices strings; running the program is the
sandbox's job (`weightwatch.sandbox`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*)\Z", re.DOTALL)
_PY_LANGS = {"", "python", "py", "python3", "py3"}


@dataclass(frozen=True)
class Extracted:
    code: str
    source: str  # fenced | unterminated-fence | raw | empty


def defines(code: str, name: str) -> bool:
    """Does `code` define a top-level (or any) function called `name`?"""
    return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def extract_code(text: str, entry_point: str | None = None) -> Extracted:
    """The code of an answer: the fenced Python block that defines `entry_point` if any, else the
    longest Python block, else an unterminated block (answer cut at max_tokens), else the raw text."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    py = [b for lang, b in blocks if lang in _PY_LANGS]
    if py:
        if entry_point:
            for b in py:
                if defines(b, entry_point):
                    return Extracted(b, "fenced")
        return Extracted(max(py, key=len), "fenced")
    # no closed fence: maybe the answer was cut inside one
    last_open = text.rfind("```")
    if last_open >= 0:
        m = _OPEN_FENCE.match(text, last_open)
        if m and m.group(1).lower() in _PY_LANGS:
            return Extracted(m.group(2), "unterminated-fence")
    if not text.strip():
        return Extracted("", "empty")
    return Extracted(text, "raw")


def strip_main_guard(code: str) -> str:
    """Drop top-level `if __name__ == "__main__":` blocks (example runs that may wait for input)."""
    out: list[str] = []
    skipping = False
    for line in code.splitlines():
        if re.match(r"if\s+__name__\s*==\s*['\"]__main__['\"]\s*:", line):
            skipping = True
            continue
        if skipping:
            if line.strip() == "" or line[:1] in (" ", "\t"):
                continue
            skipping = False
        out.append(line)
    return "\n".join(out) + "\n"


def build_program(prompt: str, completion_text: str, test: str, entry_point: str) -> tuple[str, str]:
    """(program, how) for one HumanEval task.

    If the extracted code defines the entry point, the program is the task's prompt (its imports,
    helper functions and the documented stub, which is valid Python on its own) followed by that code,
    which redefines the entry point. Otherwise the answer is read as the body that continues the
    prompt, as in the original HumanEval harness. Then the task's tests and `check(entry_point)`."""
    ex = extract_code(completion_text, entry_point)
    if ex.code and defines(ex.code, entry_point):
        body = prompt.rstrip() + "\n\n\n" + strip_main_guard(ex.code)
        how = f"{ex.source}+redefines"
    else:
        body = prompt + ex.code
        how = f"{ex.source}+continues"
    program = body.rstrip() + "\n\n\n" + test.rstrip() + f"\n\n\ncheck({entry_point})\n"
    return program, how
