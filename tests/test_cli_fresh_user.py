"""A fresh user's mistakes with export / report / compare / judge / targets / adoption, through the real CLI:
each is one line (or a warning) and never costs them data or a walk of the whole Hub."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww


def _runs(home: Path) -> int:
    con = sqlite3.connect(home / "journal.sqlite")
    try:
        return int(con.execute("SELECT COUNT(*) FROM runs WHERE status = 'finished'").fetchone()[0])
    finally:
        con.close()


def test_an_output_never_overwrites_the_journal_or_the_config(tmp_path: Path) -> None:
    """`export latest -o ~/.weightwatch/journal.sqlite` wrote the export over the journal: every run was lost
    ('database disk image is malformed' on the next command)."""
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    assert ww("run", "sanity", "-t", "mock:refuse", home=tmp_path).returncode == 0
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"id": "a", "prompt": "p", "response": "I cannot discuss that."}\n', encoding="utf-8")
    config = tmp_path / "weightwatch.toml"
    config.write_text('[targets.local]\nspec = "mock:echo"\n', encoding="utf-8")
    journal = "journal.sqlite"  # relative to the home, where the commands run
    for args in (["export", "latest", "-o", journal], ["export", "latest", "-f", "csv", "-o", str(tmp_path / journal)],
                 ["report", "latest", "-o", journal], ["report", "latest", "-f", "html", "-o", journal],
                 ["compare", "latest", "2", "-o", journal],
                 ["judge", "censorship", "-i", str(answers), "-o", journal],
                 ["scan", "-i", str(answers), "-o", journal]):
        assert_one_line_error(ww(*args, home=tmp_path), "is the weightwatch journal, which writing would destroy")
    assert_one_line_error(ww("export", "latest", "-o", "journal.sqlite-wal", home=tmp_path),
                          "a file of the weightwatch journal")
    assert_one_line_error(ww("export", "latest", "-o", "weightwatch.toml", home=tmp_path),
                          "is the weightwatch configuration file")
    assert _runs(tmp_path) == 2  # the journal is whole
    assert config.read_text("utf-8").startswith("[targets.local]")
    ok = ww("export", "latest", "-o", "journal.jsonl", home=tmp_path)  # a neighbour of it is fine
    assert ok.returncode == 0 and (tmp_path / "journal.jsonl").stat().st_size > 0, ok.stderr


@pytest.mark.parametrize(("author", "expect"), [
    ("", "--author is empty"), ("  ", "--author is empty"),
    ("Qwen/Qwen2.5-7B", "is not a Hugging Face organisation or user name"),
    ("\U0001f600", "is not a Hugging Face organisation or user name"),
])
def test_adoption_snapshot_author_is_checked_before_any_request(tmp_path: Path, author: str, expect: str) -> None:
    """`--author ""` (an unset shell variable) listed the whole Hub as if no author were given, and with
    `--limit 0` it passed the no-limit check and walked all ~2M models."""
    proc = ww("adoption", "snapshot", "--author", author, "--limit", "0", home=tmp_path,
              extra_env={"HF_ENDPOINT": "http://127.0.0.1:9"})  # nothing listens there: a request would say so
    assert_one_line_error(proc, expect)
    assert "cannot reach" not in proc.stderr


def test_targets_warns_about_named_targets_a_run_would_refuse(tmp_path: Path) -> None:
    """`weightwatch targets` listed `spec = 5` and unknown keys as if they were fine; only `run` said no."""
    (tmp_path / "weightwatch.toml").write_text(
        '[targets.five]\nspec = 5\n'
        '[targets.typo]\nspec = "mock:echo"\ntemprature = 0.2\n'
        '[targets.keyless]\nspec = "openai:m@http://127.0.0.1:9/v1"\napi_key_env = "WW_TEST_UNSET_KEY"\n'
        '[targets.good]\nspec = "mock:echo"\n'
        '[targets."caf\u00e9 \U0001f600"]\nspec = "mock:echo"\n', encoding="utf-8")
    proc = ww("targets", home=tmp_path, extra_env={"WW_TEST_UNSET_KEY": ""})
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 3, proc.stderr
    assert "[targets.five] spec must be a non-empty string" in warnings[0]
    assert "[targets.typo] has unknown key(s) temprature" in warnings[1]
    assert "WW_TEST_UNSET_KEY" in warnings[2] and warnings[2].startswith("warning: [targets.keyless]: ")
    for name in ("five", "typo", "keyless", "good", "caf\u00e9 \U0001f600"):
        assert name in proc.stdout
    assert "Traceback" not in proc.stderr


def test_numbers_beyond_sqlite_integers(tmp_path: Path) -> None:
    """A snapshot id or --limit beyond 2**63 was bound into SQL as is: 'internal error: OverflowError'."""
    huge = "99999999999999999999999"
    assert_one_line_error(ww("adoption", "report", huge, home=tmp_path), f"there is no Hub snapshot {huge}")
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    proc = ww("runs", "--limit", huge, home=tmp_path)
    assert proc.returncode == 0 and "mock:echo" in proc.stdout, proc.stderr
