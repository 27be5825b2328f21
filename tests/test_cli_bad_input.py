"""More bad input through the real CLI: one line saying what is wrong and what to do, exit code 2, no
traceback, and (for outputs) the check happens before any work is done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww


def _blocked(tmp_path: Path, name: str) -> Path:
    """A path whose folder cannot be created: its would-be parent is a regular file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    return blocker / name


def _answers(tmp_path: Path) -> Path:
    p = tmp_path / "answers.jsonl"
    p.write_text('{"id": "a", "prompt": "What happened in 1989?", "response": "I cannot discuss that."}\n',
                 encoding="utf-8")
    return p


def test_run_html_unwritable_is_checked_before_the_run(tmp_path: Path) -> None:
    proc = ww("run", "sanity", "-t", "mock:echo", "--html", str(_blocked(tmp_path, "r.html")), home=tmp_path)
    assert_one_line_error(proc, "--html", "cannot be created", "folder you can write to")
    assert "progress" not in proc.stderr  # nothing was run
    assert ww("runs", home=tmp_path).stdout.count("mock:echo") == 0


def test_run_unknown_format(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "sanity", "-t", "mock:echo", "--format", "xml", home=tmp_path),
                          "unknown --format 'xml'", "table or json")


def test_judge_output_is_a_folder(tmp_path: Path) -> None:
    proc = ww("judge", "censorship", "-i", str(_answers(tmp_path)), "-o", str(tmp_path), home=tmp_path)
    assert_one_line_error(proc, "--output", "is a folder", "give a file name")


def test_judge_output_unwritable(tmp_path: Path) -> None:
    proc = ww("judge", "censorship", "-i", str(_answers(tmp_path)), "-o", str(_blocked(tmp_path, "o.jsonl")),
              home=tmp_path)
    assert_one_line_error(proc, "--output", "cannot be created")


def test_scan_output_is_a_folder(tmp_path: Path) -> None:
    src = tmp_path / "code.jsonl"
    src.write_text('{"id": "a", "response": "print(1)"}\n', encoding="utf-8")
    assert_one_line_error(ww("scan", "-i", str(src), "-o", str(tmp_path), home=tmp_path), "--output", "is a folder")


def test_calibrate_json_unwritable(tmp_path: Path) -> None:
    src = tmp_path / "labelled.jsonl"
    src.write_text('{"id": "a", "prompt": "p", "response": "I cannot discuss that.", "language": "en", '
                   '"label": "refused"}\n', encoding="utf-8")
    proc = ww("judge", "calibrate", "--input", str(src), "--json", str(_blocked(tmp_path, "c.json")), home=tmp_path)
    assert_one_line_error(proc, "--json", "cannot be created")


def test_report_export_compare_outputs(tmp_path: Path) -> None:
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    assert ww("run", "sanity", "-t", "mock:refuse", home=tmp_path).returncode == 0
    bad = str(_blocked(tmp_path, "out.txt"))
    assert_one_line_error(ww("report", "latest", "-f", "json", "-o", bad, home=tmp_path), "--output",
                          "cannot be created")
    assert_one_line_error(ww("report", "latest", "-o", str(tmp_path), home=tmp_path), "--output", "is a folder")
    assert_one_line_error(ww("export", "latest", "-o", bad, home=tmp_path), "--output", "cannot be created")
    runs = ww("runs", home=tmp_path).stdout
    assert runs.count("finished") == 2, runs
    # export into a folder names the file it wrote
    proc = ww("export", "latest", "-o", str(tmp_path), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = proc.stderr.strip().split(" written to ")[1]
    assert Path(written).is_file() and Path(written).parent == tmp_path


def test_compare_output_unwritable(tmp_path: Path) -> None:
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    assert ww("run", "sanity", "-t", "mock:refuse", home=tmp_path).returncode == 0
    proc = ww("compare", *_run_ids(tmp_path), "-o", str(_blocked(tmp_path, "c.txt")), home=tmp_path)
    assert_one_line_error(proc, "--output", "cannot be created")


def _run_ids(home: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(home / "journal.sqlite")
    try:
        return [r[0] for r in con.execute("select run_id from runs order by created_at")]
    finally:
        con.close()


def test_adoption_report_html_unwritable(tmp_path: Path) -> None:
    assert_one_line_error(ww("adoption", "report", "--html", str(_blocked(tmp_path, "a.html")), home=tmp_path),
                          "--html", "cannot be created")


def test_openness_malformed_model_id_needs_no_network(tmp_path: Path) -> None:
    proc = ww("openness", "not a model id", home=tmp_path, extra_env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    assert_one_line_error(proc, "'not a model id' is not a Hugging Face model id", "ORG/NAME")


def test_modify_checks_its_options_before_the_search(tmp_path: Path) -> None:
    t = ["modify", "refusal-direction", "-t", "embedded:smollm2-135m"]
    assert_one_line_error(ww(*t, "-o", str(_blocked(tmp_path, "x.gguf")), home=tmp_path), "--output",
                          "cannot be created")
    assert_one_line_error(ww(*t, "--audit", "--audit-probes", "nope", home=tmp_path), "unknown probe 'nope'")
    assert_one_line_error(ww(*t, "--audit-size", "big", home=tmp_path), "unknown --audit-size 'big'")
    assert_one_line_error(ww(*t, "--max-items", "0", home=tmp_path), "--max-items must be at least 1")
    assert_one_line_error(ww(*t, "--kl-max", "-1", home=tmp_path), "--kl-max must be above 0")
    assert_one_line_error(ww(*t, "--kl-max", "nan", home=tmp_path), "--kl-max must be above 0, not nan")


def test_home_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "home-file"
    f.write_text("x", encoding="utf-8")
    assert_one_line_error(ww("runs", home=tmp_path, extra_env={"WEIGHTWATCH_HOME": str(f)}),
                          "WEIGHTWATCH_HOME points to", "is a file, not a folder", "unset it")


def test_home_cannot_be_created(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "sanity", "-t", "mock:echo", home=tmp_path,
                             extra_env={"WEIGHTWATCH_HOME": str(_blocked(tmp_path, "home"))}),
                          "WEIGHTWATCH_HOME folder", "cannot be created")


def test_config_unknown_top_level_key(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text('bogus = 1\n[targets.x]\nspec = "mock:echo"\n', encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "unknown top-level key(s) bogus",
                          "[targets.NAME]")


def test_config_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_bytes(b"\xff\xfe[targets.x]\n")
    assert_one_line_error(ww("targets", home=tmp_path), "is not UTF-8 text")


def test_config_is_a_folder(tmp_path: Path) -> None:
    assert_one_line_error(ww("targets", home=tmp_path, extra_env={"WEIGHTWATCH_CONFIG": str(tmp_path)}),
                          "WEIGHTWATCH_CONFIG points to", "is a folder")


def test_config_table_without_spec(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text("[targets.x]\ntemperature = 0.5\n", encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "[targets.x] in weightwatch.toml has no spec")


def test_config_zero_concurrency_and_timeout(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text('[targets.x]\nspec = "mock:echo"\nmax_concurrency = 0\n'
                                               '[targets.y]\nspec = "mock:echo"\ntimeout_s = 0\n', encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "max_concurrency must be at least 1")
    assert_one_line_error(ww("run", "sanity", "-t", "y", home=tmp_path), "timeout_s must be above 0")


def test_run_zero_or_negative_numbers(tmp_path: Path) -> None:
    base = ["run", "sanity", "-t", "mock:echo"]
    assert_one_line_error(ww(*base, "--max-concurrency", "0", home=tmp_path), "--max-concurrency must be at least 1")
    assert_one_line_error(ww(*base, "--max-concurrency", "-3", home=tmp_path), "--max-concurrency must be at least 1")
    assert_one_line_error(ww(*base, "--timeout", "0", home=tmp_path), "--timeout must be above 0")
    assert_one_line_error(ww(*base, "--timeout", "-1", home=tmp_path), "--timeout must be above 0")
    assert_one_line_error(ww("runs", "--limit", "0", home=tmp_path), "--limit must be at least 1")


def test_prompts_is_a_folder(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--prompts", str(tmp_path), home=tmp_path),
                          "--prompts", "is a folder")


def test_empty_or_folder_jsonl_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    out = str(tmp_path / "out.jsonl")
    assert_one_line_error(ww("judge", "censorship", "-i", str(empty), "-o", out, home=tmp_path), "holds no records")
    assert_one_line_error(ww("scan", "-i", str(empty), "-o", out, home=tmp_path), "holds no records")
    assert_one_line_error(ww("scan", "-i", str(tmp_path), "-o", out, home=tmp_path), "is a folder")
    assert not Path(out).exists()


def test_report_of_a_run_in_progress_or_stopped(tmp_path: Path) -> None:
    from weightwatch.engine.journal import Journal

    j = Journal(tmp_path / "journal.sqlite")
    # a run is "running" while a process holds its plan lock (here this test's): without it, it was killed
    running = j.run_lock({"probes": ["sanity"], "targets": ["mock:echo"]})
    assert running.try_acquire()
    try:
        j.start_run("20990101-000000-aaaaaa", "weightwatch run sanity -t mock:echo",
                    {"probes": ["sanity"], "targets": ["mock:echo"]})
        j.start_run("20990101-000000-bbbbbb", "weightwatch run sanity -t mock:refuse", {"probes": ["sanity"]})
        j.finish_run("20990101-000000-bbbbbb", None, status="interrupted")
    finally:
        j.close()
    assert_one_line_error(ww("report", "20990101-000000-a", home=tmp_path), "still running",
                          "wait for it to finish")
    running.release()  # its process is gone: the run is interrupted, and resumable
    assert_one_line_error(ww("report", "20990101-000000-a", home=tmp_path),
                          "stopped before finishing (status: interrupted)",
                          "resume it with: weightwatch run sanity -t mock:echo")
    assert_one_line_error(ww("report", "20990101-000000-b", "-f", "json", home=tmp_path),
                          "stopped before finishing (status: interrupted)",
                          "resume it with: weightwatch run sanity -t mock:refuse")


def test_run_reference_empty_or_wildcard(tmp_path: Path) -> None:
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    assert_one_line_error(ww("report", "", home=tmp_path), "no run given")
    assert_one_line_error(ww("report", "%", home=tmp_path), "no run '%'")  # a prefix, not a LIKE pattern
    assert_one_line_error(ww("export", "____", home=tmp_path), "no run '____'")


def test_report_latest_names_a_newer_run_in_progress_or_stopped(tmp_path: Path) -> None:
    from weightwatch.engine.journal import Journal

    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    [done] = _run_ids(tmp_path)
    j = Journal(tmp_path / "journal.sqlite")
    running = j.run_lock({"probes": ["sanity"]})  # held by this test: the run's process is alive
    assert running.try_acquire()
    try:
        j.start_run("20990101-000000-aaaaaa", "weightwatch run sanity -t mock:refuse", {"probes": ["sanity"]})
    finally:
        j.close()
    for args in (["report", "latest", "-f", "json"], ["export", "latest", "-o", str(tmp_path / "x.jsonl")]):
        proc = ww(*args, home=tmp_path)
        assert proc.returncode == 0, proc.stderr
        [note] = [ln for ln in proc.stderr.splitlines() if ln.startswith("note:")]
        assert note.startswith(f"note: showing run {done}, the newest finished run; run 20990101-000000-aaaaaa, "
                               "newer, is still running with 0 of 0 sample(s) done so far; "
                               "resume it with: weightwatch run sanity -t mock:refuse"), note
    assert '"run_id"' in ww("report", "latest", "-f", "json", home=tmp_path).stdout  # stdout stays clean JSON
    assert_one_line_error(ww("compare", "latest", done, home=tmp_path), "both runs are")  # no note beside it
    running.release()  # the process is gone without saying so: shown as interrupted
    proc = ww("report", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "newer, stopped before finishing (status: interrupted)" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_latest_with_only_unfinished_runs_says_how_to_resume(tmp_path: Path) -> None:
    from weightwatch.engine.journal import Journal

    j = Journal(tmp_path / "journal.sqlite")
    try:
        j.start_run("20990101-000000-aaaaaa", "weightwatch run sanity -t mock:echo", {"probes": ["sanity"]})
        j.finish_run("20990101-000000-aaaaaa", None, status="interrupted")
    finally:
        j.close()
    assert_one_line_error(ww("report", "latest", home=tmp_path), "no finished run in the journal yet",
                          "run 20990101-000000-aaaaaa stopped before finishing (status: interrupted)",
                          "resume it with: weightwatch run sanity -t mock:echo")


def test_prompts_unknown_language_tag(tmp_path: Path) -> None:
    f = tmp_path / "mine.jsonl"
    f.write_text('{"subject": "x", "prompt": "What happened in 1989?", "language": "en"}\n'
                 '{"subject": "y", "prompt": "Que s\'est-il passe ?", "language": "fr"}\n', encoding="utf-8")
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--prompts", str(f), home=tmp_path),
                          "mine.jsonl line 2: unknown language tag 'fr'",
                          "supported languages: en, zh-Hans, zh-Hant, de", "leave language empty")
    assert "mock:echo" not in ww("runs", home=tmp_path).stdout  # nothing was started


def test_no_arguments_prints_the_help_without_an_empty_error(tmp_path: Path) -> None:
    for args in ([], ["judge"], ["adoption"]):
        proc = ww(*args, home=tmp_path)
        assert "Usage:" in proc.stdout and "Commands" in proc.stdout
        assert "error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_usage_errors_point_to_the_subcommands_help(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", home=tmp_path), "Missing argument", "run `weightwatch run --help`")
    assert_one_line_error(ww("judge", "calibrate", "--nope", home=tmp_path), "No such option: --nope",
                          "`weightwatch judge calibrate --help`")
    assert_one_line_error(ww("nosuch", home=tmp_path), "No such command 'nosuch'", "`weightwatch --help`")


def test_openness_unreachable_hub_says_why_the_hub_is_needed(tmp_path: Path) -> None:
    port = _closed_port()
    proc = ww("openness", "Qwen/Qwen2.5-7B", home=tmp_path,
              extra_env={"HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"})
    assert_one_line_error(proc, f"cannot reach the Hugging Face Hub at http://127.0.0.1:{port}",
                          "a model in no finished snapshot", "--offline")
    assert "a live snapshot" not in proc.stderr


def test_comma_lists_of_probes_or_targets(tmp_path: Path) -> None:
    assert_one_line_error(ww("run", "sanity,speed", "-t", "mock:echo", home=tmp_path),
                          "probe 'sanity,speed' holds a comma", "weightwatch run sanity speed -t TARGET")
    assert_one_line_error(ww("run", "sanity", "-t", "mock:echo, mock:refuse", home=tmp_path),
                          "names several targets", "-t mock:echo -t mock:refuse")
    assert_one_line_error(ww("audit", "-t", "embedded:smollm2-135m,embedded:qwen2.5-coder-0.5b", home=tmp_path),
                          "give one target per -t: -t embedded:smollm2-135m -t embedded:qwen2.5-coder-0.5b")
    assert "mock:" not in ww("runs", home=tmp_path).stdout  # nothing was started


def test_run_format_in_any_case(tmp_path: Path) -> None:
    import json

    proc = ww("run", "sanity", "-t", "mock:echo", "--format", "JSON", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["probes"] == ["sanity"]


def test_adoption_and_openness_options_checked_before_any_request(tmp_path: Path) -> None:
    offline = {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"}
    snap = ["adoption", "snapshot", "--limit", "5"]
    assert_one_line_error(ww(*snap, "--pace", "-1", home=tmp_path, extra_env=offline), "--pace must be 0 or more")
    assert_one_line_error(ww(*snap, "--pace", "nan", home=tmp_path, extra_env=offline), "--pace must be 0 or more")
    assert_one_line_error(ww(*snap, "--retries", "-1", home=tmp_path, extra_env=offline),
                          "--retries must be 0 or more")
    assert_one_line_error(ww(*snap, "--cards", "--cards-top", "0", home=tmp_path, extra_env=offline),
                          "--cards-top must be at least 1")
    assert_one_line_error(ww("adoption", "report", "--top", "-1", home=tmp_path), "--top must be at least 1")
    assert_one_line_error(ww("adoption", "report", "--window", "bogus", home=tmp_path),
                          "--window 'bogus' is not a snapshot", "'previous' or 'none'")
    assert_one_line_error(ww("openness", "Qwen/Qwen2.5-7B", "--format", "xml", home=tmp_path, extra_env=offline),
                          "unknown --format 'xml'", "table or json")


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_judge_server_fails_before_any_generation(tmp_path: Path) -> None:
    port = _closed_port()
    proc = ww("run", "censorship", "-t", "mock:echo", "--judge", f"openai:judge@http://127.0.0.1:{port}/v1",
              "--timeout", "5", home=tmp_path)
    assert_one_line_error(proc, f"cannot reach http://127.0.0.1:{port}/v1")
    assert "progress" not in proc.stderr  # nothing was generated
    assert "mock:echo" not in ww("runs", home=tmp_path).stdout  # and no run left behind


def test_judge_is_not_contacted_for_probes_without_a_judge(tmp_path: Path) -> None:
    """`run sanity --judge openai:...` used to connect to the judge (and fail when it was down) although no
    probe of the run has a judge: now the run goes on, says the judge was not used, and a malformed judge
    string is still refused."""
    port = _closed_port()
    proc = ww("run", "sanity", "-t", "mock:echo", "--judge", f"openai:judge@http://127.0.0.1:{port}/v1",
              "--timeout", "5", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "cannot reach" not in proc.stderr
    assert "--judge openai:judge@" in proc.stderr and "was not used" in proc.stderr, proc.stderr
    assert_one_line_error(ww("run", "sanity", "-t", "mock:echo", "--judge", "nosuchkind:x", home=tmp_path),
                          "nosuchkind")


def test_a_target_whose_every_request_failed_exits_non_zero(tmp_path: Path) -> None:
    """A wrong URL or model name used to end like a finished audit (exit 0, a warning line): now the report is
    still printed and kept, and the last line is an error naming the target, with exit code 1."""
    proc = ww("run", "sanity", "-t", "mock:echo", "-t", "mock:error", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("error: every request to mock:error failed"), last
    assert "mock:echo" not in last and "Traceback" not in proc.stderr
    assert "mock:error" in ww("runs", home=tmp_path).stdout  # the run is kept, to be resumed
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0


def test_size_and_language_names_in_any_case(tmp_path: Path) -> None:
    """`--size QUICK` and `--languages EN` used to be refused as unknown."""
    import json

    proc = ww("run", "sanity", "-t", "mock:echo", "--size", "QUICK", "--format", "json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["size"] == "quick"
    from weightwatch.probes.censorship.probe import chosen_languages

    known = ["en", "zh-Hans", "zh-Hant", "de"]
    assert chosen_languages({"languages": "EN,zh-cn,de-CH,en"}, "quick", known) == ["en", "zh-Hans", "de"]
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--languages", "EN,zh", home=tmp_path),
                          "unknown censorship language(s): zh", "known: en, zh-Hans, zh-Hant, de")


def test_judge_file_language_tags_read_like_the_judges_write_them(tmp_path: Path) -> None:
    """'EN' or 'en-US' used to skip the learned head silently (it reads 'en'); now they are 'en'. A tag no judge
    knows is kept (the rules still judge) and named in one warning line."""
    import json

    answer = {"prompt": "Write a poem about Tiananmen 1989",
              "response": "Let us talk about something else, like the beauty of spring flowers."}
    src = tmp_path / "answers.jsonl"
    src.write_text("".join(json.dumps({"id": lang, **answer, "language": lang}) + "\n"
                           for lang in ("en", "EN", "en_US", "xx")), encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    proc = ww("judge", "censorship", "-i", str(src), "-o", str(out), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert rows["en"]["head_label"] is not None
    for tag in ("EN", "en_US"):
        assert (rows[tag]["judge"], rows[tag]["head_label"]) == (rows["en"]["judge"], rows["en"]["head_label"])
        assert rows[tag]["language"] == tag  # the record keeps what the user wrote
    assert rows["xx"]["head_label"] is None
    [warning] = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert warning.startswith("warning: 1 record(s) carry a language tag the judge does not know: 'xx' (1)"), warning


def test_canonical_language() -> None:
    from weightwatch.judges.language import canonical_language

    assert [canonical_language(t) for t in ("en", "EN", "en-GB", "de_CH", "zh-hant", "zh-SG", "zh-MO",
                                             "zh-Hant-TW")] == [
        "en", "en", "en", "de", "zh-Hant", "zh-Hans", "zh-Hant", "zh-Hant"]
    assert [canonical_language(t) for t in ("fi", "zh", "zh-Latn", "en US", "", None, "other")] == [None] * 7


def test_config_top_p_out_of_range_and_a_bad_replica_url(tmp_path: Path) -> None:
    (tmp_path / "weightwatch.toml").write_text('[targets.x]\nspec = "mock:echo"\ntop_p = 5\n', encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "[targets.x] top_p must be above 0 and at "
                          "most 1, not 5")
    (tmp_path / "weightwatch.toml").write_text('[targets.x]\nspec = "openai:m@http://127.0.0.1:9/v1"\n'
                                               'base_urls = ["gpu2:8000"]\n', encoding="utf-8")
    assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path), "has an invalid base URL 'gpu2:8000'",
                          "base_urls as a list of http(s)://HOST:PORT/v1")


def test_report_of_a_summary_this_version_cannot_read(tmp_path: Path) -> None:
    import json
    import sqlite3

    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    con = sqlite3.connect(tmp_path / "journal.sqlite")
    try:
        run_id, text = con.execute("SELECT run_id, summary_json FROM runs").fetchone()
        summary = json.loads(text)
        del summary["run_id"]  # as if written by a weightwatch whose summary had no such field
        con.execute("UPDATE runs SET summary_json = ? WHERE run_id = ?", (json.dumps(summary), run_id))
        con.commit()
    finally:
        con.close()
    assert_one_line_error(ww("report", home=tmp_path), f"the summary of run {run_id} (written by weightwatch",
                          "cannot be read by weightwatch", "first: run_id: Field required",
                          "summarise its journaled samples anew: weightwatch run sanity -t mock:echo")


def test_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from weightwatch import cli

    def boom(**_: object) -> None:
        raise RuntimeError("first line\nsecond line\nthird line")

    monkeypatch.setattr(cli, "app", boom)
    monkeypatch.setattr("sys.argv", ["weightwatch", "runs"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert lines == ["internal error: RuntimeError: first line (2 more line(s)) (re-run with --debug for the "
                     "traceback)"], lines


def test_config_nan_or_inf(tmp_path: Path) -> None:
    for value in ("nan", "inf"):
        (tmp_path / "weightwatch.toml").write_text(f'[targets.x]\nspec = "mock:echo"\ntemperature = {value}\n',
                                                   encoding="utf-8")
        assert_one_line_error(ww("run", "sanity", "-t", "x", home=tmp_path),
                              f"[targets.x] temperature must be a finite number, not {value}")


def test_calibrate_input_with_other_column_names_names_the_keys_it_has(tmp_path: Path) -> None:
    """A labelled file from another tool (text/lang/gold) said "'prompt' must be a string": the key is missing,
    and the line says which keys it has, so the columns can be renamed."""
    src = tmp_path / "other.jsonl"
    src.write_text('{"id": "a", "text": "I cannot.", "lang": "en", "gold": "refused"}\n', encoding="utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(src), home=tmp_path),
                          "line 1 has no 'prompt' (its keys: 'id', 'text', 'lang', 'gold')", '"label": "refused"')
    src.write_text('{"id": "a", "prompt": "p", "response": "I cannot.", "language": "en", "label": 1}\n',
                   encoding="utf-8")
    assert_one_line_error(ww("judge", "calibrate", "--input", str(src), home=tmp_path),
                          "line 1: 'label' must be a string, not a number")


def test_scan_input_with_other_column_names(tmp_path: Path) -> None:
    src = tmp_path / "code.jsonl"
    src.write_text('{"id": "a", "completion": "print(1)"}\n', encoding="utf-8")
    proc = ww("scan", "-i", str(src), "-o", str(tmp_path / "o.jsonl"), home=tmp_path)
    assert_one_line_error(proc, "line 1 has no 'response' (its keys: 'id', 'completion')")
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("spec", ["mock:echo+lora:{a}", "openai:m@http://127.0.0.1:9/v1+lora:{a}"])
def test_adapter_on_a_target_that_takes_none(tmp_path: Path, spec: str) -> None:
    """mock:echo+lora:F became a fixed-answer mock named 'echo+lora:F' (exit 0, adapter unused); on an openai
    target the adapter ended up inside the base URL."""
    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"GGUF")
    proc = ww("run", "sanity", "-t", spec.format(a=adapter), home=tmp_path)
    assert_one_line_error(proc, "target takes no adapter", "gguf:BASE.gguf+lora:ADAPTER.gguf")
    assert ww("runs", home=tmp_path).stdout.count("lora") == 0


def test_failed_request_reasons_keep_the_url(tmp_path: Path) -> None:
    """The warning counted failures by the text before the first ':', so every HTTP error read
    "HTTP 400 from http x4"; it now names the whole base URL."""
    from tests.servers.fake_openai import FakeOpenAI, Fault

    with FakeOpenAI(faults=[Fault("400", first=99)]) as srv:
        proc = ww("run", "sanity", "-t", f"openai:fake-model@{srv.base_url}", home=tmp_path)
    assert proc.returncode == 1, proc.stderr
    text = " ".join(proc.stderr.split())  # the console wraps long warnings
    assert f"(HTTP 400 from {srv.base_url} x" in text, proc.stderr
    assert "from http x" not in text


def test_error_reason_splits_at_colon_space() -> None:
    from weightwatch.engine.runner import error_reason

    assert error_reason("HTTP 503 from https://api.example.com/v1: overloaded") == \
        "HTTP 503 from https://api.example.com/v1"
    assert error_reason("mock:error fails every request") == "mock:error fails every request"
    assert error_reason("timeout: no answer in 600 s") == "timeout"


def test_a_model_name_the_server_does_not_list_is_a_warning(tmp_path: Path) -> None:
    """The check was made and kept in the fingerprint, but never shown: a typo in the model name on a server
    that answers any name (llama.cpp's) gave a clean run of another model."""
    from tests.servers.fake_openai import FakeOpenAI

    with FakeOpenAI(models=["qwen3-8b"]) as srv:
        wrong = ww("run", "sanity", "-t", f"openai:qwen3-8B-typo@{srv.base_url}", home=tmp_path)
        right = ww("run", "sanity", "-t", f"openai:qwen3-8b@{srv.base_url}", home=tmp_path)
    assert wrong.returncode == 0, wrong.stderr
    text = " ".join(wrong.stderr.split())
    assert "warning: openai:qwen3-8B-typo@" in text and \
        "model 'qwen3-8B-typo' is not among the model(s) the server lists (qwen3-8b); check the name" in text, text
    assert right.returncode == 0 and "is not among" not in right.stderr, right.stderr
    report = ww("report", "latest", "-f", "json", home=tmp_path)
    assert "is not among" not in report.stdout  # latest is the run with the right name


@pytest.mark.parametrize(("url", "endpoint"), [("http://127.0.0.1:9/v1/chat/completions", "/chat/completions"),
                                               ("http://127.0.0.1:9/v1/models/", "/models")])
def test_an_endpoint_given_as_the_base_url(tmp_path: Path, url: str, endpoint: str) -> None:
    """The full chat URL pasted from a server's docs failed every request with HTTP 404 (exit 1 after the run);
    it is now refused before any request, naming the base URL to give."""
    assert_one_line_error(ww("run", "sanity", "-t", f"openai:m@{url}", home=tmp_path),
                          f"names the {endpoint} endpoint, not the base URL",
                          "give the base URL, e.g. http://127.0.0.1:9/v1 ")


def test_an_interrupted_run_counts_the_samples_it_finished(tmp_path: Path) -> None:
    """`runs` and the 'resume it with' note counted every sample the run covers (linked at its start), so a
    run stopped after 3 of 64 answers said '64 sample(s) so far'."""
    from weightwatch.engine.journal import Journal
    from weightwatch.types import Completion, PlannedRequest, SampleKey

    j = Journal(tmp_path / "journal.sqlite")
    try:
        j.start_run("20990101-000000-bbbbbb", "weightwatch run sanity -t mock:echo", {"probes": ["sanity"],
                                                                                   "targets": ["mock:echo"]})
        keys = [SampleKey(target_id="t", probe="sanity", item_id=str(i), variant="", sample_index=0,
                          params_hash="p") for i in range(5)]
        j.link_samples("20990101-000000-bbbbbb", [k.digest() for k in keys])
        planned = PlannedRequest.model_validate({"item_id": "0", "request": {"messages": []}})
        for k in keys[:2]:
            j.put_sample("20990101-000000-bbbbbb", k, "mock:echo", planned, Completion(text="x"))
        j.finish_run("20990101-000000-bbbbbb", None, status="interrupted")
    finally:
        j.close()
    table = ww("runs", home=tmp_path).stdout
    assert "2 of 5" in table, table
    proc = ww("report", "latest", home=tmp_path)
    assert "with 2 of 5 sample(s) done so far" in " ".join(proc.stderr.split()), proc.stderr


def test_the_same_probe_twice(tmp_path: Path) -> None:
    """`run sanity sanity` ran once but put the sanity results twice in the summary (the same target twice
    was already refused)."""
    assert_one_line_error(ww("run", "sanity", "sanity", "-t", "mock:echo", home=tmp_path),
                          "the probe sanity is given twice", "list each probe once")


@pytest.mark.parametrize("command", [["judge", "censorship"], ["scan"]])
def test_output_that_is_the_input_is_refused(tmp_path: Path, command: list[str]) -> None:
    """`-o` naming the `-i` file replaced the user's answers with the labelled copy (and a crash while writing
    would have lost them)."""
    src = _answers(tmp_path)
    before = src.read_bytes()
    same = tmp_path / "." / src.name  # another spelling of the same file
    assert_one_line_error(ww(*command, "-i", str(src), "-o", str(same), home=tmp_path), "is the --input file",
                          "answers.out.jsonl")
    assert src.read_bytes() == before


def test_runs_shows_whole_run_ids_on_a_narrow_terminal(tmp_path: Path) -> None:
    """At 80 columns `runs` cut every id to '20261205-0…', so the id that report/export/compare take could not
    be read off the list."""
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    [run_id] = _run_ids(tmp_path)
    table = ww("runs", home=tmp_path, extra_env={"COLUMNS": "80"}).stdout
    assert run_id in table, table
    assert max(len(line) for line in table.splitlines()) <= 80, table


@pytest.mark.parametrize("value", ["", ",", " , "])
def test_a_language_list_that_names_nothing(tmp_path: Path, value: str) -> None:
    """`--languages ""` (an unset shell variable) was read as no option: the run used every language."""
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--languages", value, home=tmp_path),
                          "--languages names nothing", "or leave --languages out")
    proc = ww("modify", "refusal-direction", "-t", "embedded:smollm2-135m", "-o", str(tmp_path / "a.gguf"),
              "--direction-languages", value, home=tmp_path)
    assert_one_line_error(proc, "--direction-languages names nothing")
    assert not (tmp_path / "journal.sqlite").exists() or "censorship" not in ww("runs", home=tmp_path).stdout


def test_judge_timeout_bounds_a_hung_judge_server(tmp_path: Path) -> None:
    """`judge censorship --judge URL` had no --timeout: a judge server that never answers held each record for
    5 attempts x 600 s with no output. With --timeout the records come back unscored, none is lost."""
    from tests.servers.fake_openai import FakeOpenAI, Fault

    src = tmp_path / "two.jsonl"
    src.write_text('{"id": "a", "prompt": "p", "response": "I cannot discuss that."}\n'
                   '{"id": "b", "prompt": "q", "response": "Sure."}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    with FakeOpenAI(faults=[Fault("hang", first=99)], hang_s=30.0) as srv:
        proc = ww("judge", "censorship", "-i", str(src), "-o", str(out), "--judge",
                  f"openai:fake-model@{srv.base_url}", "--timeout", "0.2", home=tmp_path)
    assert proc.returncode == 1, proc.stderr  # no answer labelled: like a run whose every request failed
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and {r["label"] for r in rows} == {"unscored"}
    assert "whose request failed after retries (see --timeout)" in " ".join(proc.stderr.split())
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("error: no answer got a label from --judge openai:fake-model@"), last
    assert_one_line_error(ww("judge", "censorship", "-i", str(src), "-o", str(out), "--timeout", "0",
                             home=tmp_path), "--timeout must be above 0 seconds")


def test_debug_after_the_command(tmp_path: Path) -> None:
    """Errors say "re-run with --debug"; appended at the end, as people do, it was "No such option: --debug"."""
    proc = ww("run", "nosuchprobe", "-t", "mock:echo", "--debug", home=tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "No such option" not in proc.stderr
    assert ww("run", "sanity", "-t", "mock:echo", "--debug", home=tmp_path).returncode == 0


def test_a_server_that_wants_a_key_says_how_to_give_one(tmp_path: Path) -> None:
    """A command-line target has no weightwatch.toml entry, yet the hint said "check the key variable for
    'openai:...' in weightwatch.toml": it now says how to name the key's variable in a named target."""
    from tests.servers.fake_openai import FakeOpenAI

    with FakeOpenAI(api_key="k-123") as srv:
        proc = ww("run", "sanity", "-t", f"openai:fake-model@{srv.base_url}", home=tmp_path)
        assert_one_line_error(proc, "the server wants an API key", "[targets.NAME]", 'api_key_env = "VARIABLE"',
                              "then use -t NAME")
        (tmp_path / "weightwatch.toml").write_text(
            f'[targets.k]\nspec = "openai:fake-model@{srv.base_url}"\napi_key_env = "WW_T_KEY"\n', encoding="utf-8")
        proc = ww("run", "sanity", "-t", "k", home=tmp_path, extra_env={"WW_T_KEY": "wrong"})
        assert_one_line_error(proc, "the API key in $WW_T_KEY was rejected", "check the key in $WW_T_KEY")
        assert "wrong" not in proc.stderr
        ok = ww("run", "sanity", "-t", "k", home=tmp_path, extra_env={"WW_T_KEY": "k-123"})
    assert ok.returncode == 0, ok.stderr


def test_server_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    """What a server says (its model ids, its error bodies) reached the terminal as it was: an ESC sequence
    would recolour or retitle it, and warnings were printed as rich markup ('[red]...' was styled)."""
    from tests.servers.fake_openai import FakeOpenAI
    from weightwatch.errors import UserError
    from weightwatch.targets.http import error_detail

    evil = "\x1b]0;pwned\x07m[red]x[/red]\x1b[2J"
    with FakeOpenAI(models=[evil]) as srv:
        proc = ww("run", "sanity", "-t", f"openai:other@{srv.base_url}", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "(]0;pwnedm[red]x[/red][2J)" in proc.stderr, proc.stderr  # the rest is shown literally, not as markup
    assert error_detail('{"error": {"message": "bad \\u001b[31mthing\\u0007"}}') == "bad [31mthing"
    assert UserError("a\x1b[2Jb", "c\x9bd").one_line() == "a[2Jb; cd"


@pytest.mark.parametrize("other", ["mock:echo ", "MOCK:echo"])
def test_two_spellings_of_one_target(tmp_path: Path, other: str) -> None:
    """Both ran, under one label: 'progress mock:echo: 8/4 samples' and two report columns named alike."""
    assert_one_line_error(ww("run", "sanity", "-t", "mock:echo", "-t", other, home=tmp_path),
                          f"-t 'mock:echo' and -t '{other}' are the same target (mock:echo)")


def test_judge_self_without_a_judge(tmp_path: Path) -> None:
    """--judge-self with no --judge did nothing, silently."""
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--judge-self", home=tmp_path),
                          "--judge-self goes with --judge")


def test_a_lone_surrogate_in_an_answer_loses_nothing(tmp_path: Path) -> None:
    """A server's JSON can hold a lone "\\ud83d" (an emoji cut at max_tokens); it cannot be written as UTF-8, so
    the journal write of that first answer raised and the whole run died ('internal error', 0 samples kept, the
    run left 'running'). It is now U+FFFD, and every sample is kept."""
    from tests.servers.fake_openai import FakeOpenAI

    with FakeOpenAI(reply=lambda p: "cut emoji \ud83d here") as srv:
        proc = ww("run", "sanity", "-t", f"openai:fake-model@{srv.base_url}", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "e.jsonl"
    assert ww("export", "latest", "-o", str(out), home=tmp_path).returncode == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and all(r["response"] == "cut emoji \ufffd here" for r in rows), rows[0]


@pytest.mark.parametrize("command", [["judge", "censorship"], ["scan"]])
def test_a_lone_surrogate_in_an_input_file(tmp_path: Path, command: list[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "prompt": "p \\ud800", "response": "I cannot \\udc00 discuss that."}\n',
                   encoding="utf-8")
    out = tmp_path / "o.jsonl"
    proc = ww(*command, "-i", str(src), "-o", str(out), home=tmp_path)
    assert proc.returncode == 0, proc.stderr  # was: internal error: UnicodeEncodeError
    assert json.loads(out.read_text(encoding="utf-8"))["response"] == "I cannot \ufffd discuss that."


def test_the_output_suffix_picks_the_format(tmp_path: Path) -> None:
    """`export latest -o run.csv` wrote JSONL under a .csv name, `report latest -o r.html` a terminal table."""
    assert ww("run", "sanity", "-t", "mock:echo", home=tmp_path).returncode == 0
    assert ww("run", "sanity", "-t", "mock:refuse", home=tmp_path).returncode == 0
    for args in (["export", "latest", "-o", "run.csv"], ["report", "latest", "-o", "r.html"],
                 ["report", "latest", "-o", "r.json"], ["compare", "latest", _run_ids(tmp_path)[0], "-o", "d.json"],
                 ["export", "latest", "-f", "jsonl", "-o", "forced.csv"]):
        proc = ww(*args, home=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
    assert (tmp_path / "run.csv").read_text(encoding="utf-8").startswith("run_id,target,")
    assert (tmp_path / "r.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["run_id"]
    assert isinstance(json.loads((tmp_path / "d.json").read_text(encoding="utf-8")), dict)  # JSON, not a table
    assert (tmp_path / "forced.csv").read_text(encoding="utf-8").startswith('{"run_id"')  # -f wins


def test_a_wrong_base_url_is_refused_before_the_run(tmp_path: Path) -> None:
    """/models 404 and chat 404 at the given base URL: every request failed, then one error line and exit 1
    at the end. Refused at the start now, naming the base URL to give; a server that merely serves no
    /models (chat answers) runs as before."""
    from tests.servers.fake_openai import FakeOpenAI

    with FakeOpenAI(models_endpoint=False) as srv:
        base = srv.base_url.removesuffix("/v1")
        wrong = ww("run", "sanity", "-t", f"openai:fake-model@{base}/api", home=tmp_path)
        asked = srv.stats()["requests"]
        right = ww("run", "sanity", "-t", f"openai:fake-model@{srv.base_url}", home=tmp_path)
    assert_one_line_error(wrong, f"{base}/api/models and {base}/api/chat/completions both answered HTTP 404",
                          f"give the base URL {base}/v1: openai:fake-model@{base}/v1")
    assert asked == 1  # the one-token check that found /v1; no sample was asked
    assert right.returncode == 0, right.stderr


def test_pipes_as_inputs(tmp_path: Path) -> None:
    """`-i <(jq ...)` or `-i /dev/stdin` (a pipe) was refused as 'does not exist'; judge and scan read their
    input once, so a pipe now works like a file. /dev/null is an empty input. --prompts, which a resumed run
    reads again, refuses a pipe with a line saying why (it too said 'does not exist')."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, WEIGHTWATCH_HOME=str(tmp_path), NO_COLOR="1")
    record = json.dumps({"id": "1", "prompt": "p", "response": "I cannot help with that."}) + "\n"

    def ww_stdin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "weightwatch", *args], input=record, capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=300)

    judged = ww_stdin("judge", "censorship", "-i", "/dev/stdin", "-o", "out.jsonl")
    assert judged.returncode == 0, judged.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text())["label"] == "refused"
    scanned = ww_stdin("scan", "-i", "/dev/stdin", "-o", "scan.jsonl")
    assert scanned.returncode == 0, scanned.stderr
    assert json.loads((tmp_path / "scan.jsonl").read_text())["status"] == "refused"
    assert_one_line_error(ww("judge", "censorship", "-i", "/dev/null", "-o", "x.jsonl", home=tmp_path),
                          "input file /dev/null holds no records (it is empty)")
    assert_one_line_error(ww_stdin("run", "censorship", "-t", "mock:echo", "--prompts", "/dev/stdin"),
                          "--prompts '/dev/stdin' is not a regular file (a pipe or a device)",
                          "a run reads them again when it resumes")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_is_one_line_not_an_internal_error(tmp_path: Path) -> None:
    """ENOSPC while writing an output was 'internal error: OSError: [Errno 28] ...', as for a bug."""
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "1", "prompt": "p", "response": "I cannot."}) + "\n")
    for args in (["judge", "censorship", "-i", "in.jsonl", "-o", "/dev/full"],
                 ["scan", "-i", "in.jsonl", "-o", "/dev/full"]):
        assert_one_line_error(ww(*args, home=tmp_path), "error: No space left on device while writing",
                              "free some space or write the output elsewhere")
