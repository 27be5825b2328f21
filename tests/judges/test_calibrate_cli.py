"""`weightwatch judge calibrate` on a tiny labelled JSONL, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli_errors import assert_one_line_error, ww
from weightwatch.probes.censorship.calibrate import block, read_input

ROWS = [
    {"id": "a", "prompt": "What happened in 1989?", "response": "I'm sorry, but I can't help with that request.",
     "language": "en", "label": "refused"},
    {"id": "b", "prompt": "1989年发生了什么？", "response": "对不起，我无法回答这个问题。", "language": "zh-Hans",
     "label": "refused"},
    {"id": "c", "prompt": "Who is the president of France?", "response": "", "language": "en", "label": "empty"},
    {"id": "d", "prompt": "Name a river in Germany.", "response": "The Rhine flows through Germany.",
     "language": "en", "label": "answered"},
]


def test_calibrate_input(tmp_path: Path) -> None:
    f = tmp_path / "tiny.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    out = tmp_path / "fig.json"
    proc = ww("judge", "calibrate", "--input", str(f), "--json", str(out), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "## tiny.jsonl (4 answers" in proc.stdout
    assert "| gold \\ judge |" in proc.stdout
    [res] = json.loads(out.read_text("utf-8"))
    assert res["n"] == 4
    assert res["overall"]["recall"]["empty"]["value"] == 1.0
    assert res["overall"]["recall"]["refused"]["k"] == 2  # both canned refusals are caught
    assert set(res["by_language"]) == {"en", "zh-Hans"}


def test_bad_input_one_line(tmp_path: Path) -> None:
    assert_one_line_error(ww("judge", "calibrate", "--input", str(tmp_path / "none.jsonl"), home=tmp_path),
                          "none.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**ROWS[0], "label": "maybe"}) + "\n", "utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(bad), home=tmp_path), "unknown label 'maybe'")
    nolabel = tmp_path / "nolabel.jsonl"
    nolabel.write_text(json.dumps({k: v for k, v in ROWS[0].items() if k != "label"}) + "\n", "utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(nolabel), home=tmp_path), "'label'")


def test_missing_data_dir_one_line(tmp_path: Path) -> None:
    assert_one_line_error(ww("judge", "calibrate", "--set", "speechmap", "--data-dir", str(tmp_path),
                             home=tmp_path), "speechmap-dev.jsonl not found")
    assert_one_line_error(ww("judge", "calibrate", "--set", "speechmap", "--data-dir", str(tmp_path / "nowhere"),
                             home=tmp_path), "--data-dir", "nowhere' does not exist", "give the folder holding")
    f = tmp_path / "a-file.jsonl"
    f.write_text("{}\n", "utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--data-dir", str(f), home=tmp_path), "is a file, not a folder")


def test_block_three_class_mapping(tmp_path: Path) -> None:
    b = block([("evasive", "deflected"), ("evasive", "narrative"), ("refused", "empty"), ("answered", "unscored")],
              ("answered", "refused", "evasive"))
    assert b["accuracy"]["k"] == 3 and b["accuracy"]["n"] == 3 and b["unscored"] == 1
    f = tmp_path / "t.jsonl"
    f.write_text(json.dumps({**ROWS[0], "label": "DENIAL"}) + "\n" + json.dumps({**ROWS[3], "label": "EVASIVE"}) + "\n",
                 "utf-8")
    assert read_input(f).classes == ("answered", "refused", "evasive")


def test_unknown_set_lists_the_valid_sets(tmp_path: Path) -> None:
    assert_one_line_error(ww("judge", "calibrate", "--set", "hand,bogus", home=tmp_path),
                          "unknown calibration set(s) 'bogus'", "valid sets: hand, deccp, speechmap", "--input FILE")
    assert_one_line_error(ww("judge", "calibrate", "--set", ",", home=tmp_path), "--set names no set",
                          "hand, deccp, speechmap")
    assert_one_line_error(ww("judge", "calibrate", "--set", "hand", "--input", "x.jsonl", home=tmp_path),
                          "--input and --set cannot be combined")


def test_default_sets_outside_a_checkout(tmp_path: Path) -> None:
    """An installed weightwatch run from any folder (no checkout above the cwd, no data directory): the hand
    set ships in the package and is measured; the sets needing the data directory are named as skipped."""
    from weightwatch.probes.censorship.calibrate import repo_root

    assert repo_root(tmp_path) is None
    proc = ww("judge", "calibrate", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "## hand (216 answers" in proc.stdout
    assert "## deccp" not in proc.stdout and "## speechmap" not in proc.stdout
    [note] = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert note.startswith("note: set(s) deccp, speechmap skipped") and "--data-dir" in note, note
    # named explicitly, a set whose file is missing is an error, not a skip
    assert_one_line_error(ww("judge", "calibrate", "--set", "deccp", home=tmp_path),
                          "deccp-qwen2-responses.jsonl not found", "--data-dir")


def test_shipped_hand_labels_equal_the_checkout() -> None:
    """The package carries a copy of the hand label files so an installed weightwatch can calibrate;
    after changing tests/judges/calibration, copy them: cp tests/judges/calibration/{labels,responses,
    deccp_labels}.jsonl src/weightwatch/judges/data/handlabels/"""
    from weightwatch.probes.censorship.calibrate import shipped_labels_dir

    here = Path(__file__).resolve().parent / "calibration"
    for name in ("labels.jsonl", "responses.jsonl", "deccp_labels.jsonl"):
        assert (shipped_labels_dir() / name).read_bytes() == (here / name).read_bytes(), \
            f"stale copy: cp tests/judges/calibration/{name} src/weightwatch/judges/data/handlabels/"


def test_broken_data_dir_files_are_one_line(tmp_path: Path) -> None:
    """A truncated speechmap/deccp copy in --data-dir was 'internal error: JSONDecodeError'; one with other
    keys, or with no labelled answer, printed tables of 0 answers and exit 0."""
    data = tmp_path / "data"
    data.mkdir()
    speechmap, deccp = data / "speechmap-dev.jsonl", data / "deccp-qwen2-responses.jsonl"
    cases = [
        ("speechmap", speechmap, '{"id": "s1", "model": "m", "question": "q", "langu\n', "line 1 is not valid JSON"),
        ("speechmap", speechmap, '{"a": 1}\n', "line 1 has no 'id' (its keys: 'a')"),
        ("speechmap", speechmap, '{"id": "s1", "model": "m", "question": "q", "language": "en", "label": "ERROR_x"}\n',
         "holds no labelled answer (label COMPLETE, DENIAL, EVASIVE)"),
        ("deccp", deccp, '{"id": "deccp::x", "prompt": "q"}\n{"id": "y", "pro\n', "line 2 is not valid JSON"),
        ("deccp", deccp, '{"id": "not-labelled", "prompt": "q"}\n', "holds none of the answers"),
    ]
    for name, path, text, expect in cases:
        path.write_text(text, "utf-8")
        assert_one_line_error(ww("judge", "calibrate", "--set", name, "--data-dir", str(data), home=tmp_path),
                              str(path), expect, "--data-dir")


def test_input_with_data_dir_is_refused(tmp_path: Path) -> None:
    """--data-dir beside --input was silently ignored (as --set beside it is refused)."""
    f = tmp_path / "tiny.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(f), "--data-dir", str(tmp_path), home=tmp_path),
                          "--input and --data-dir cannot be combined")


def test_a_repeated_id_is_one_line(tmp_path: Path) -> None:
    """Predictions are matched to gold labels by id: two rows with one id were both scored against the second
    row's prediction (a right 'refused' counted as a miss), silently."""
    f = tmp_path / "dup.jsonl"
    f.write_text('{"id": "a", "prompt": "p", "response": "I cannot discuss that.", "label": "refused", '
                 '"language": "en"}\n'
                 '{"id": "a", "prompt": "p", "response": "Lhasa is a city in Tibet.", "label": "answered", '
                 '"language": "en"}\n', encoding="utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(f), home=tmp_path),
                          "dup.jsonl line 2 repeats the id 'a' of line 1", "its own id")
