"""``weightwatch judge calibrate``: measure the configured censorship judge on labelled answers.

Sets (each row ``{id, prompt, response, language, label}``, label one of our verdict labels or the
SpeechMap labels COMPLETE / DENIAL / EVASIVE):

- ``hand``: our hand labels of the embedded models' answers (tests/judges/calibration/ in a checkout; a
  copy ships in the package, judges/data/handlabels/, so an installed weightwatch has it too);
- ``deccp``: the hand-labelled Qwen2-7B answers (deccp_labels.jsonl, also shipped, joined with
  deccp-qwen2-responses.jsonl from the data directory);
- ``speechmap``: the SpeechMap development set (speechmap-dev.jsonl in the data directory; labels by an
  LLM judge, COMPLETE -> answered, DENIAL -> refused, EVASIVE -> evasive);
- ``--input FILE``: any JSONL of ``{id, prompt, response, language, label}`` a user brings.

The data directory defaults to ``../shared/data`` beside the repository (or ``--data-dir``). With no
``--set``, every set whose files are found is measured and the others are named on stderr (an installed
weightwatch without the data directory measures ``hand`` alone); a set named with ``--set`` must be found.
Where gold labels are SpeechMap's three classes, the judge's labels are compared in that space:
deflected and narrative count as evasive, empty as refused.
For every set and language: accuracy, censored-vs-answered agreement, per-class recall and precision
(Wilson 95% intervals) and the confusion matrix.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weightwatch.datafiles import check_fields, read_jsonl
from weightwatch.errors import UserError
from weightwatch.judges.verdicts import CENSORED, LABELS
from weightwatch.probes.censorship.files import stated_language
from weightwatch.stats.proportions import wilson

SPEECHMAP = {"COMPLETE": "answered", "DENIAL": "refused", "EVASIVE": "evasive"}
THREE = ("answered", "refused", "evasive")
TO_THREE = {"answered": "answered", "refused": "refused", "empty": "refused", "deflected": "evasive",
            "narrative": "evasive", "unscored": "unscored"}
INPUT_HINT = 'each line must be one JSON object like {"id": "a1", "prompt": "...", "response": "...", ' \
             '"language": "en", "label": "refused"}'
SETS = ("hand", "deccp", "speechmap")


@dataclass
class LabelledSet:
    name: str
    rows: list[dict[str, Any]]  # id, prompt, response, reasoning?, language, gold
    classes: tuple[str, ...]  # the gold label space


def shipped_labels_dir() -> Path:
    """The copy of tests/judges/calibration's label files in the package (kept equal by a test)."""
    from importlib import resources

    return Path(str(resources.files("weightwatch.judges") / "data" / "handlabels"))


def labels_dir(root: Path | None) -> Path:
    """Where the hand label files are read from: the checkout's tests/judges/calibration, else the package's."""
    return root / "tests" / "judges" / "calibration" if root is not None else shipped_labels_dir()


def repo_root(start: Path | None = None) -> Path | None:
    """The checkout this runs from (a folder with tests/judges/calibration), searched upward from cwd."""
    here = (start or Path.cwd()).resolve()
    for p in (here, *here.parents):
        if (p / "tests" / "judges" / "calibration" / "labels.jsonl").is_file():
            return p
    return None


def default_data_dir(root: Path | None) -> Path:
    base = root or Path.cwd().resolve()
    for p in (base.parent, base.parent.parent):
        if (p / "shared" / "data").is_dir():
            return p / "shared" / "data"
    return base.parent / "shared" / "data"


def _gold(label: Any, where: str) -> str:
    lab = str(label)
    if lab in SPEECHMAP:
        return SPEECHMAP[lab]
    if lab in LABELS or lab == "evasive":
        return lab
    raise UserError(f"{where}: unknown label {lab!r}", f"use one of {', '.join(LABELS)} or COMPLETE/DENIAL/EVASIVE")


def read_input(path: Path) -> LabelledSet:
    rows = []
    seen: dict[str, int] = {}
    for lineno, rec in read_jsonl(path, INPUT_HINT):
        check_fields(rec, f"{path} line {lineno}", INPUT_HINT, required=("id", "prompt", "response", "label"),
                     strings=("id", "prompt", "response", "label"), optional_strings=("language",))
        if rec["id"] in seen:  # predictions are matched to gold labels by id: a repeated id mixed two rows up
            raise UserError(f"{path} line {lineno} repeats the id {rec['id']!r} of line {seen[rec['id']]}",
                            "give every labelled answer its own id")
        seen[rec["id"]] = lineno
        rows.append({"id": rec["id"], "prompt": rec["prompt"], "response": rec["response"],
                     "reasoning": rec.get("reasoning"), "language": stated_language(rec.get("language")),
                     "gold": _gold(rec["label"], f"{path} line {lineno}")})
    if not rows:
        raise UserError(f"{path} has no labelled rows", INPUT_HINT)
    return _with_classes(path.name, rows)


def _with_classes(name: str, rows: list[dict[str, Any]]) -> LabelledSet:
    golds = {r["gold"] for r in rows}
    three = golds <= set(THREE) and "evasive" in golds
    return LabelledSet(name, rows, THREE if three else tuple(lab for lab in LABELS if lab != "unscored"))


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """A label file shipped with weightwatch (a broken one is a bug of the package: it raises)."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _data_jsonl(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """A file of --data-dir (a copy of shared/data): a truncated or foreign file is a one-line error naming
    the line, not a JSONDecodeError / KeyError."""
    hint = (f"{path.name} must be the file from the project's shared/data, one JSON object a line with "
            f"{', '.join(repr(k) for k in required)}; pass --data-dir DIR holding an intact copy")
    rows = []
    for lineno, rec in read_jsonl(path, hint, what="data file"):
        check_fields(rec, f"{path} line {lineno}", hint, required=required)
        rows.append(rec)
    return rows


def hand_set(root: Path | None) -> LabelledSet:
    cal = labels_dir(root)
    labels = {r["id"]: r["label"] for r in _jsonl(cal / "labels.jsonl")}
    rows = [{"id": r["id"], "prompt": r["prompt"], "response": r["response"] or "", "reasoning": None,
             "language": r["language"], "gold": labels[r["id"]]}
            for r in _jsonl(cal / "responses.jsonl") if r["id"] in labels]
    return _with_classes("hand", rows)


def deccp_set(root: Path | None, data_dir: Path) -> LabelledSet:
    labels_path = labels_dir(root) / "deccp_labels.jsonl"
    responses = data_dir / "deccp-qwen2-responses.jsonl"
    if not responses.is_file():
        raise UserError(f"{responses} not found", "pass --data-dir DIR holding deccp-qwen2-responses.jsonl")
    labels = {r["id"]: r for r in _jsonl(labels_path)}
    rows = [{"id": r["id"], "prompt": r["prompt"], "response": r.get("response") or "", "reasoning": None,
             "language": labels[r["id"]]["language"], "gold": labels[r["id"]]["label"]}
            for r in _data_jsonl(responses, ("id", "prompt")) if r["id"] in labels]
    if not rows:
        raise UserError(f"{responses} holds none of the answers deccp_labels.jsonl labels",
                        "pass --data-dir DIR holding the project's deccp-qwen2-responses.jsonl")
    return _with_classes("deccp", rows)


def speechmap_set(data_dir: Path) -> LabelledSet:
    path = data_dir / "speechmap-dev.jsonl"
    if not path.is_file():
        raise UserError(f"{path} not found", "pass --data-dir DIR holding speechmap-dev.jsonl (or --input FILE)")
    rows = []
    for r in _data_jsonl(path, ("id", "model", "question", "language", "label")):
        if r.get("label") not in SPEECHMAP:
            continue  # ERROR_* rows: the provider's moderation, no answer to label
        reasoning = r.get("reasoning")
        rows.append({"id": r["id"], "prompt": r["question"], "response": r.get("response") or "",
                     "reasoning": reasoning if isinstance(reasoning, str) and reasoning != "None" else None,
                     "language": r["language"], "gold": SPEECHMAP[r["label"]], "model": r["model"]})
    if not rows:
        raise UserError(f"{path} holds no labelled answer (label {', '.join(SPEECHMAP)})",
                        "pass --data-dir DIR holding the project's speechmap-dev.jsonl")
    return LabelledSet("speechmap", rows, THREE)


def parse_sets(text: str | None) -> list[str] | None:
    """`--set` as a list of known set names (None: the default), or a one-line error."""
    if text is None:
        return None
    names = [x.strip() for x in text.split(",") if x.strip()]
    if not names:
        raise UserError("--set names no set", f"give one or more of {', '.join(SETS)}, e.g. --set hand,deccp")
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise UserError(f"unknown calibration set(s) {', '.join(repr(n) for n in unknown)}",
                        f"valid sets: {', '.join(SETS)} (comma-separated, e.g. --set hand,deccp), "
                        "or --input FILE for your own labels")
    return list(dict.fromkeys(names))


def _data_files(name: str, data: Path) -> list[Path]:
    return {"hand": [], "deccp": [data / "deccp-qwen2-responses.jsonl"],
            "speechmap": [data / "speechmap-dev.jsonl"]}[name]


def load_sets(names: list[str] | None, data_dir: Path | None,
              skipped: Callable[[str], None] | None = None) -> list[LabelledSet]:
    """The named sets (each must be found), or with `names` None every set whose files are found here;
    `skipped` is told, in one line, which default sets were left out and how to add them."""
    for name in names or []:
        if name not in SETS:
            raise UserError(f"unknown calibration set {name!r}", f"valid sets: {', '.join(SETS)}")
    if data_dir is not None and not data_dir.is_dir():
        state = "is a file, not a folder" if data_dir.exists() else "does not exist"
        raise UserError(f"--data-dir '{data_dir}' {state}",
                        "give the folder holding speechmap-dev.jsonl / deccp-qwen2-responses.jsonl")
    root = repo_root()
    data = data_dir or default_data_dir(root)
    if names is None:
        names = [n for n in SETS if all(f.is_file() for f in _data_files(n, data))]
        missing = [n for n in SETS if n not in names]
        if missing and skipped is not None:
            files = ", ".join(f.name for n in missing for f in _data_files(n, data))
            skipped(f"note: set(s) {', '.join(missing)} skipped: {files} not found in {data}; "
                    "pass --data-dir DIR holding them to add them")
    out = []
    for name in names:
        if name == "speechmap":
            out.append(speechmap_set(data))
        elif name == "hand":
            out.append(hand_set(root))
        else:
            out.append(deccp_set(root, data))
    return out


# ------------------------------------------------------------------------------------ figures
def _rate(k: int, n: int) -> dict[str, Any]:
    p, lo, hi = wilson(k, n)
    return {"k": k, "n": n, "value": None if p is None else round(p, 4),
            "ci95": None if lo is None or hi is None else [round(lo, 4), round(hi, 4)]}


def block(pairs: list[tuple[str, str]], classes: tuple[str, ...]) -> dict[str, Any]:
    """Figures for (gold, predicted) pairs in the label space `classes` (predictions mapped into it)."""
    three = classes == THREE
    mapped = [(g, TO_THREE.get(p, p) if three else p) for g, p in pairs]
    scored = [(g, p) for g, p in mapped if p != "unscored"]
    n = len(scored)

    def censored(lab: str) -> bool:
        return lab != "answered" if three else lab in CENSORED

    pred_cols = [*classes, "unscored"]
    return {
        "n": len(pairs), "scored": n, "unscored": len(pairs) - n,
        "accuracy": _rate(sum(g == p for g, p in scored), n),
        "censored_vs_answered": _rate(sum(censored(g) == censored(p) for g, p in scored), n),
        "always_answered": _rate(sum(g == "answered" for g, _ in scored), n),
        "censored_recall": _rate(sum(censored(g) and censored(p) for g, p in scored),
                                 sum(censored(g) for g, _ in scored)),
        "answered_recall": _rate(sum(not censored(g) and not censored(p) for g, p in scored),
                                 sum(not censored(g) for g, _ in scored)),
        "recall": {c: _rate(sum(g == p == c for g, p in scored), sum(g == c for g, _ in scored)) for c in classes},
        "precision": {c: _rate(sum(g == p == c for g, p in scored), sum(p == c for _, p in scored)) for c in classes},
        "confusion": {g: {p: sum(1 for gg, pp in mapped if gg == g and pp == p) for p in pred_cols} for g in classes},
    }


def measure(ls: LabelledSet, preds: dict[str, str]) -> dict[str, Any]:
    rows = [r for r in ls.rows if r["id"] in preds]
    langs = sorted({str(r["language"]) for r in rows})
    return {"set": ls.name, "classes": list(ls.classes), "n": len(rows),
            "overall": block([(r["gold"], preds[r["id"]]) for r in rows], ls.classes),
            "by_language": {lang: block([(r["gold"], preds[r["id"]]) for r in rows if str(r["language"]) == lang],
                                        ls.classes) for lang in langs}}


Labeller = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def predict(ls: LabelledSet, label: Labeller) -> dict[str, str]:
    """The configured judge's final label for every row (the same path as `weightwatch judge censorship`)."""
    records = [{"id": r["id"], "prompt": r["prompt"], "response": r["response"], "reasoning": r.get("reasoning"),
                "language": r["language"]} for r in ls.rows]
    return {row["id"]: row["label"] for row in label(records)}


def calibrate(sets: list[str] | None, input: Path | None, data_dir: Path | None, judge: str | None,
              label: Labeller, skipped: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Figures for each labelled set (the `--input` file alone when given; with `sets` None every set found,
    see load_sets); `label` labels records."""
    chosen = [read_input(Path(input))] if input is not None else load_sets(sets, data_dir, skipped)
    from weightwatch.judges.head import shipped

    name = judge or ("rules+head+claims" if shipped() is not None else "rules+claims (head off)")
    return [{"judge": name, **measure(ls, predict(ls, label))} for ls in chosen]


# ------------------------------------------------------------------------------------ text
def _pct(rate: dict[str, Any]) -> str:
    if rate["value"] is None:
        return "-"
    lo, hi = rate["ci95"]
    return f"{100 * rate['value']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}] ({rate['k']}/{rate['n']})"


def render(results: list[dict[str, Any]]) -> str:
    """Plain-text tables (markdown) for the terminal and docs."""
    lines: list[str] = []
    for res in results:
        classes = res["classes"]
        lines.append(f"## {res['set']} ({res['n']} answers; judge: {res['judge']})\n")
        lines.append("| language | n | unscored | accuracy | censored vs answered | always 'answered' | "
                     + " | ".join(f"{c} recall | {c} precision" for c in classes) + " |")
        lines.append("|---" * (6 + 2 * len(classes)) + "|")
        for lang, b in [("all", res["overall"]), *res["by_language"].items()]:
            lines.append(f"| {lang} | {b['n']} | {b['unscored']} | {_pct(b['accuracy'])} | "
                         f"{_pct(b['censored_vs_answered'])} | {_pct(b['always_answered'])} | "
                         + " | ".join(f"{_pct(b['recall'][c])} | {_pct(b['precision'][c])}" for c in classes) + " |")
        lines.append("")
        for lang, b in [("all", res["overall"]), *res["by_language"].items()]:
            cols = [*classes, "unscored"]
            lines.append(f"Confusion, {res['set']} / {lang} (rows: gold, columns: judge):\n")
            lines.append("| gold \\ judge | " + " | ".join(cols) + " |")
            lines.append("|---" * (len(cols) + 1) + "|")
            for g in classes:
                lines.append(f"| {g} | " + " | ".join(str(b["confusion"][g][c]) for c in cols) + " |")
            lines.append("")
    return "\n".join(lines)


def counts(results: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter({r["set"]: r["n"] for r in results}))
