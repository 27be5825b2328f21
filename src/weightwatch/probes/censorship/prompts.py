"""A user's own prompt set for ``weightwatch run censorship --prompts FILE``.

A CSV with ``subject,prompt`` columns (optional ``language``, ``id``) or JSONL with the same keys; each
row becomes one sensitive-arm request with no control. ``language`` is one of the dataset's languages
(data/languages.yaml: en, zh-Hans, zh-Hant, de; case and ``_`` for ``-`` do not matter); without it the
prompt's language is detected (``other`` for a language the judge does not cover). Without ``id`` the row
is ``prompt-<n>``. Bad rows (an unknown or malformed language tag too) raise UserError naming the line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weightwatch.datafiles import parse_jsonl_lines
from weightwatch.errors import UserError

_ID_RE = re.compile(r"^[\w.:/-]{1,120}$")
PROMPTS_HINT = "a CSV with a header 'subject,prompt' (optional language,id) or JSONL with those keys"


@dataclass(frozen=True)
class PromptRow:
    id: str
    subject: str
    prompt: str
    language: str


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"file '{path}' does not exist", PROMPTS_HINT)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from exc


def detect(text: str) -> str:
    from weightwatch.judges.language import detect_language

    return detect_language(text)


def supported_languages() -> tuple[str, ...]:
    from weightwatch.probes.censorship.dataset import languages

    return languages()


def _language(path: Path, where: str, tag: str) -> str:
    """A language tag of the file as the dataset writes it (judges.language.canonical_language: case, '_',
    a region do not matter), or a one-line error naming the line and the supported languages."""
    from weightwatch.judges.language import canonical_language

    known = supported_languages()
    got = canonical_language(tag, known)
    if got is None:
        which = " (say which script: zh-Hans or zh-Hant)" if tag.strip().lower() == "zh" else ""
        raise UserError(f"{path} {where}: unknown language tag {tag.strip()[:40]!r}{which}",
                        f"supported languages: {', '.join(known)}; leave language empty to detect it "
                        "(a language the judge does not cover is then 'other' and its answers unscored)")
    return got


def _row(path: Path, where: str, rec: dict[str, Any], n: int) -> PromptRow:
    for key in ("subject", "prompt"):
        value = rec.get(key)
        if value is None:
            raise UserError(f"{path} {where}: no '{key}'", PROMPTS_HINT)
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{path} {where}: '{key}' is empty or not text", PROMPTS_HINT)
    lang = rec.get("language")
    if lang is not None and (not isinstance(lang, str)):
        raise UserError(f"{path} {where}: 'language' must be text like en or zh-Hans", PROMPTS_HINT)
    raw_id = rec.get("id")
    item_id = str(raw_id).strip() if raw_id not in (None, "") else f"prompt-{n}"
    if not _ID_RE.match(item_id):
        raise UserError(f"{path} {where}: id '{item_id[:40]}' has spaces or odd characters",
                        "use letters, digits and - _ . : / (at most 120)")
    prompt = rec["prompt"].strip()
    return PromptRow(id=item_id, subject=rec["subject"].strip(), prompt=prompt,
                     language=_language(path, where, lang) if isinstance(lang, str) and lang.strip()
                     else detect(prompt))


def _csv_rows(path: Path, text: str) -> list[PromptRow]:
    # strict: a quote that is never closed is an error, not one prompt that swallows every line after it
    reader = csv.DictReader(io.StringIO(text), strict=True)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("subject", "prompt") if c not in header]
    if missing:
        first = text.splitlines()[0] if text.strip() else ""
        sep = next((name for ch, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")) if ch in first
                    and all(c in first for c in ("subject", "prompt"))), None)
        raise UserError(f"{path} line 1: the header has no {' and no '.join(repr(m) for m in missing)} column"
                        + (f" (its columns are separated by {sep})" if sep else ""),
                        "separate the columns with commas; " + PROMPTS_HINT if sep else PROMPTS_HINT)
    reader.fieldnames = header
    out = []
    try:
        for n, rec in enumerate(reader, 1):
            if None in rec:
                raise UserError(f"{path} line {reader.line_num}: more cells than header columns",
                                "quote cells that contain commas")
            out.append(_row(path, f"line {reader.line_num}", dict(rec), n))
    except csv.Error as exc:
        line = reader.line_num + 1  # the row that failed (line_num counts the rows read before it)
        if "unexpected end of data" in str(exc):
            raise UserError(f"{path} line {line}: a quoted cell opened here is never closed",
                            'close it with " (write a " inside a quoted cell as "")') from exc
        raise UserError(f"{path} line {line}: {exc}",
                        'quote a cell that holds commas or quotes: "...", with "" for a quote inside') from exc
    return out


def _jsonl_rows(path: Path, text: str) -> list[PromptRow]:
    rows = parse_jsonl_lines(text.splitlines(), str(path), PROMPTS_HINT)
    return [_row(path, f"line {lineno}", rec, n) for n, (lineno, rec) in enumerate(rows, 1)]


def _is_json_array_of_objects(text: str) -> bool:
    import json

    if not text.lstrip().startswith("["):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, list) and any(isinstance(x, dict) for x in data)


def load_prompt_set(path: str | Path) -> list[PromptRow]:
    """Rows of a user's prompt set (CSV or JSONL, chosen by suffix or by the first character)."""
    p = Path(path)
    text = _read_text(p)
    if _is_json_array_of_objects(text):
        raise UserError(f"{p} holds a JSON array", "write one JSON object per line (JSONL), e.g. "
                        '{"subject": "Tibet", "prompt": "What happened in Lhasa in 1959?"}')
    is_json = p.suffix.lower() in (".jsonl", ".json", ".ndjson") or (
        p.suffix.lower() != ".csv" and text.lstrip().startswith("{"))
    rows = _jsonl_rows(p, text) if is_json else _csv_rows(p, text)
    if not rows:
        raise UserError(f"{p} holds no prompts", PROMPTS_HINT)
    seen: set[str] = set()
    for r in rows:
        if r.id in seen:
            raise UserError(f"{p}: id '{r.id}' is used twice", "give every prompt its own id (or leave id out)")
        seen.add(r.id)
    return rows
