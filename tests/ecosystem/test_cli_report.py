"""The commands, through typer's CliRunner on an app we register into, and through the real
`python -m weightwatch` entry point; the report in JSON and HTML."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.ecosystem.hubserver import FakeHub
from weightwatch.ecosystem.cli import register
from weightwatch.errors import UserError

SRC = Path(__file__).resolve().parents[2] / "src"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _main() -> None:
        pass

    register(app)
    return app


def test_snapshot_report_and_openness_through_the_cli(hub: FakeHub, tmp_path: Path) -> None:
    runner = CliRunner()
    app = _app()
    r = runner.invoke(app, ["adoption", "snapshot", "--page-size", "4", "--pace", "0"])
    assert r.exit_code == 0, r.output
    assert hub.pages_requested() == [1, 2, 3]

    r = runner.invoke(app, ["adoption", "report", "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["snapshot"]["models"] == 10 and rep["snapshot"]["status"] == "finished"
    up = next(t for t in rep["tables"] if (t["view"], t["metric"], t["by"]) == ("uploader", "downloads_30d", "country"))
    ro = next(t for t in rep["tables"] if (t["view"], t["metric"], t["by"]) == ("root", "downloads_30d", "country"))
    assert {x["key"]: x["downloads"] for x in up["rows"]} == {"CN": 1400, "US": 1400, "FR": 300, "INTL": 200,
                                                              "unknown": 200}
    assert {x["key"]: x["downloads"] for x in ro["rows"]} == {"CN": 2000, "US": 1000, "FR": 400, "unknown": 100}
    # where each chain ends: outside the snapshot (#1, #2, #3, #4, #5), at a listed root (#7 -> #6),
    # at itself (#6, #10), on a cycle (#8, #9)
    lin = rep["lineage"]
    assert (lin["external"], lin["in_snapshot"], lin["self_root"], lin["cycle"], lin["depth"]) == (5, 1, 2, 2, 0)
    levels = {x["level"]: x["models"] for x in rep["openness_levels"]}
    assert levels == {"open-source": 0, "open-weight permissive": 4, "open-weight restricted": 3, "unknown": 3}

    html_path = tmp_path / "adoption.html"
    r = runner.invoke(app, ["adoption", "report", "--html", str(html_path)])
    assert r.exit_code == 0, r.output
    assert "Share by origin country" in r.stdout and "China" in r.stdout
    html = html_path.read_text("utf-8")
    assert "<script" not in html.lower()
    assert "&lt;b&gt;my-own&lt;/b&gt;" in html and "<b>my-own" not in html   # card text is escaped
    parser = HTMLParser()
    parser.feed(html)                                  # well-formed enough to parse
    assert len(re.findall(r"<svg ", html)) > 10        # inline bars

    r = runner.invoke(app, ["openness", "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    got = {x["model_id"]: (x["level"], x["source"]) for x in json.loads(r.stdout)}
    assert got == {"Qwen/Qwen2.5-7B-Instruct": ("open-weight permissive", "snapshot"),
                   "meta-llama/Llama-3.1-8B-Instruct": ("open-weight restricted", "snapshot")}
    model_requests = [p for p, _, _ in hub.requests if p.startswith("/api/models/")]
    assert model_requests == []                        # answered from the snapshot, no network

    r = runner.invoke(app, ["openness", "nobody/nothing"])
    assert isinstance(r.exception, UserError) and "no public model" in r.exception.message


def test_report_without_a_snapshot_is_a_user_error(home: Path) -> None:
    r = CliRunner().invoke(_app(), ["adoption", "report"])
    assert isinstance(r.exception, UserError)
    assert r.exception.one_line().startswith("no finished Hub snapshot in ")


def test_real_entry_point_unreachable_hub_one_line(home: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_ENDPOINT": f"http://127.0.0.1:{port}",
           "WEIGHTWATCH_HOME": str(home), "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
    p = subprocess.run([sys.executable, "-m", "weightwatch", "adoption", "snapshot", "--limit", "5"],
                       env=env, capture_output=True, text=True, check=False)
    assert p.returncode == 2, p.stderr
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"error: cannot reach the Hugging Face Hub at http://127.0.0.1:{port}: a live "
                               "snapshot needs access to the Hub")
    # HF_ENDPOINT is set here: the hint is to check it, not to set it
    assert lines[0].rstrip(".").endswith("check HF_ENDPOINT (a mirror's URL, e.g. https://hf-mirror.example)")


def test_unreachable_hint_depends_on_hf_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from weightwatch.ecosystem.hub import unreachable

    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert unreachable("https://huggingface.co").one_line().endswith("set HF_ENDPOINT for a mirror")
    monkeypatch.setenv("HF_ENDPOINT", "notaurl")
    line = unreachable("notaurl", "UnsupportedProtocol").one_line()
    assert "set HF_ENDPOINT" not in line and "check HF_ENDPOINT" in line, line


def test_hub_strings_are_not_rich_markup_and_card_flag_reads_the_readme(home: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    items = [{"_id": "1", "id": "evil/[bold]x[/bold]", "author": "evil", "downloads": 5,
              "cardData": {"license": "other", "license_name": "[red]terms[/red]\x1b]0;pwned\x07", "datasets": ["d/e"]},
              "tags": []},
             {"_id": "2", "id": "allenai/OLMo-2-1124-7B", "author": "allenai", "downloads": 9,
              "cardData": {"license": "apache-2.0", "datasets": ["allenai/olmo-mix-1124"]}, "tags": []}]
    readmes = {"allenai/OLMo-2-1124-7B": "# OLMo\nTrain it yourself: https://github.com/allenai/OLMo\n"}
    with FakeHub(items, readmes=readmes) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        runner = CliRunner()
        app = _app()
        assert runner.invoke(app, ["adoption", "snapshot", "--pace", "0"]).exit_code == 0
        r = runner.invoke(app, ["adoption", "report", "--top", "5"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        assert "evil/[bold]x[/bold]" in r.stdout and "other: [red]terms[/red]]0;pwned" in r.stdout
        assert "\x1b" not in r.stdout and "\x07" not in r.stdout  # a card's escape sequence never reaches the terminal
        # From the snapshot alone, the code link (only in the README) is not seen...
        r = runner.invoke(app, ["openness", "allenai/OLMo-2-1124-7B", "--format", "json"])
        got = json.loads(r.stdout)[0]
        assert (got["level"], got["code_linked"]) == ("unknown", None)     # unknown, never "no"
        assert not any(p.endswith("README.md") for p, _, _ in server.requests)
        # ...with --card the README is fetched and the model is open source by the rule.
        r = runner.invoke(app, ["openness", "allenai/OLMo-2-1124-7B", "--card", "--format", "json"])
        got = json.loads(r.stdout)[0]
        assert (got["level"], got["source"], got["code_links"]) == (
            "open-source", "snapshot + README", ["https://github.com/allenai/OLMo"])


def test_real_entry_point_persistent_429_is_one_line(home: Path) -> None:
    """A Hub that keeps answering 429: the user sees the one-line error, not huggingface_hub's retry warnings."""
    from tests.ecosystem.hubserver import load_items

    with FakeHub(load_items("hand_models.json"), page_size=4) as server:
        server.rate_limit = {1: 100}
        env = {**os.environ, "PYTHONPATH": str(SRC), "HF_ENDPOINT": server.endpoint,
               "WEIGHTWATCH_HOME": str(home), "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
        p = subprocess.run([sys.executable, "-m", "weightwatch", "adoption", "snapshot", "--retries", "2",
                            "--pace", "0"], env=env, capture_output=True, text=True, check=False)
        listing = [s for path, _, s in server.requests if path == "/api/models"]
        assert listing == [429, 429, 429], server.requests     # the first try and two retries
    assert p.returncode == 2, p.stderr
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("error: the Hub is rate-limiting this machine (HTTP 429 after 2 retries)")


def test_limit_zero_on_the_whole_hub_is_refused_before_any_request(hub: FakeHub, home: Path) -> None:
    """--limit 0 means no limit: on the whole Hub (~2M models) it must be asked for by name (--census);
    the real entry point says so in one line, and the Hub is never asked."""
    from tests.test_cli_errors import assert_one_line_error, ww

    env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "WEIGHTWATCH_HOME": str(home)}
    for args in (["--limit", "0"], ["--limit", "0", "--since", "2024-01-01"], ["--limit", "0", "--weekly"]):
        assert_one_line_error(ww("adoption", "snapshot", *args, home=home.parent, extra_env=env),
                              "--limit 0 (no limit) would list every model on the Hub", "--census",
                              "--limit 5000")
    assert_one_line_error(ww("adoption", "snapshot", "--limit", "-3", home=home.parent, extra_env=env),
                          "--limit must be at least 1, or 0 for no limit, not -3")
    assert hub.requests == []
    # bounded otherwise: every model of one author, and the census by name
    proc = ww("adoption", "snapshot", "--limit", "0", "--author", "Qwen", "--author", "google", "--pace", "0",
              home=home.parent, extra_env=env)
    assert proc.returncode == 0, proc.stderr
    from weightwatch.ecosystem.store import SnapshotStore

    with SnapshotStore() as store:
        [snap] = store.snapshots("finished")
    assert snap.params["limit"] is None and snap.params["authors"] == ["Qwen", "google"]
    assert snap.models == 2


def test_census_and_cards_top_refuse_what_they_would_ignore(hub: FakeHub, home: Path) -> None:
    """--census fixes its own limit, sort and page size and walks every author: --limit / --sort /
    --page-size / --author / --since beside it were silently dropped (also from the --weekly cron line)."""
    from tests.test_cli_errors import assert_one_line_error, ww

    env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "WEIGHTWATCH_HOME": str(home)}
    for extra, named in ((["--limit", "5"], "--limit"), (["--sort", "likes"], "--sort"),
                         (["--page-size", "10"], "--page-size"), (["--author", "Qwen", "--weekly"], "--author"),
                         (["--since", "2024-01-01", "--limit", "0"], "--limit / --since")):
        assert_one_line_error(ww("adoption", "snapshot", "--census", *extra, home=home.parent, extra_env=env),
                              "--census walks the whole model list", f"it takes no {named}",
                              "or drop --census")
    assert_one_line_error(ww("adoption", "snapshot", "--cards-top", "5", home=home.parent, extra_env=env),
                          "--cards-top goes with --cards")  # was silently ignored
    assert hub.requests == []
    weekly = ww("adoption", "snapshot", "--census", "--weekly", home=home.parent, extra_env=env)
    assert weekly.returncode == 0 and "adoption snapshot --census --pace=0.6" in weekly.stdout, weekly.stderr
    plain = ww("adoption", "snapshot", "--weekly", home=home.parent, extra_env=env)
    assert "--limit=1000 --sort=downloads --page-size=100" in plain.stdout, plain.stdout


def test_ctrl_c_during_a_snapshot_says_what_was_kept(hub: FakeHub, home: Path) -> None:
    """SIGINT between two pages (a long --pace): one line saying the fetched pages are saved and the command
    that resumes, exit 130; the same command then finishes the snapshot from the saved cursor."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_ENDPOINT": hub.endpoint, "WEIGHTWATCH_HOME": str(home),
           "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
    cmd = [sys.executable, "-m", "weightwatch", "adoption", "snapshot", "--page-size", "4", "--pace", "60"]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not hub.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the first page is stored; the command now waits out --pace
    p.send_signal(signal.SIGINT)
    _, stderr = p.communicate(timeout=120)
    assert p.returncode == 130, stderr
    assert "Traceback" not in stderr
    last = [x for x in stderr.splitlines() if x.strip()][-1]
    assert last == ("interrupted: the pages fetched so far are saved in the journal; resume with: "
                    "weightwatch adoption snapshot --page-size 4 --pace 60"), stderr
    r = subprocess.run([*cmd[:-1], "0"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "resuming snapshot" in r.stderr


def test_ctrl_c_message_by_command() -> None:
    from weightwatch.cli import _interrupted_message

    assert "samples finished so far" in _interrupted_message(["run", "sanity", "-t", "x"])
    assert "samples finished so far" in _interrupted_message(["--debug", "audit"])
    assert _interrupted_message(["judge", "censorship", "-i", "a"]) == \
        "interrupted: no output file was written; run the command again to start over"


def test_sigterm_during_a_snapshot_marks_it_interrupted(hub: FakeHub, home: Path) -> None:
    """`kill` (SIGTERM) between two pages stopped the snapshot with no word and left it 'running' in the journal;
    it now stops as Ctrl-C does (exit 143), is marked interrupted, and the same command resumes it."""
    import signal
    import sqlite3
    import time

    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_ENDPOINT": hub.endpoint, "WEIGHTWATCH_HOME": str(home),
           "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
    cmd = [sys.executable, "-m", "weightwatch", "adoption", "snapshot", "--page-size", "4", "--pace", "60"]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not hub.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the first page is stored; the command now waits out --pace
    p.send_signal(signal.SIGTERM)
    _, stderr = p.communicate(timeout=120)
    assert p.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert "interrupted (SIGTERM): the pages fetched so far are saved in the journal; resume with:" in stderr, stderr
    con = sqlite3.connect(home / "journal.sqlite")
    try:
        assert [r[0] for r in con.execute("SELECT status FROM hub_snapshots")] == ["interrupted"]
    finally:
        con.close()
    r = subprocess.run([*cmd[:-1], "0"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "resuming snapshot" in r.stderr
