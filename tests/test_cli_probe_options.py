"""Probe options from the command line (-O PROBE.KEY=VALUE, --options FILE.toml), through the real CLI: they
reach the probe, join the run's identity exactly as the API's options= do, and every mistake is one line
naming the valid keys. `weightwatch probes` lists each option with its type, default and meaning."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli_errors import assert_one_line_error, ww
from weightwatch.api import run
from weightwatch.errors import UserError
from weightwatch.probes import registry
from weightwatch.probes.cli_options import cli_options, option_rows, parse_value
from weightwatch.probes.options import options_identity, resolve_options


def _params(home: Path) -> list[dict]:  # type: ignore[type-arg]
    con = sqlite3.connect(home / "journal.sqlite")
    try:
        return [json.loads(r[0]) for r in con.execute("SELECT params_json FROM runs ORDER BY created_at")]
    finally:
        con.close()


def test_cli_options_reach_the_probe_and_make_the_same_run_as_the_api(tmp_path: Path) -> None:
    args = ["run", "censorship", "-t", "mock:echo"]
    proc = ww(*args, "-O", "censorship.max_tokens=96", "-O", "censorship.languages=en",
              "-O", "censorship.topics=tiananmen,tibet", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in ww("export", "latest", "-o", "-", home=tmp_path).stdout.splitlines()]
    assert rows and {r["params"]["max_tokens"] for r in rows} == {96}
    assert {r["language"] for r in rows} == {"en"}
    assert {r["topic"] for r in rows if r["condition"] != "control"} <= {"tiananmen", "tibet"}

    toml = tmp_path / "opts.toml"  # the same options from a file, in another order; a table for another probe
    toml.write_text('[censorship]\ntopics = ["tiananmen", "tibet"]\nmax_tokens = 96\nlanguages = ["en"]\n'
                    '[codesec]\ntasks = 2\n', encoding="utf-8")
    proc = ww(*args, "--options", str(toml), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sample(s) reused from the journal" in proc.stderr  # nothing was asked twice
    proc = ww(*args, "--languages", "en", "-O", "censorship.topics=tiananmen,tibet", "-O", "censorship.max-tokens=96",
              home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run(["censorship"], ["mock:echo"], journal_file=tmp_path / "journal.sqlite", config={},
        options={"censorship": {"languages": "en", "topics": ["tiananmen", "tibet"], "max_tokens": 96}})
    params = _params(tmp_path)
    assert len(params) == 4
    assert all(p == params[0] for p in params), params  # one identity: resume and the run lock agree
    assert params[0]["options"] == {"censorship": {"languages": ["en"], "max_tokens": 96,
                                                   "topics": ["tiananmen", "tibet"]}}


def test_audit_takes_options_too(tmp_path: Path) -> None:
    proc = ww("audit", "-t", "mock:echo", "-O", "censorship.topic=x", home=tmp_path)
    assert_one_line_error(proc, "censorship has no option 'topic'", "languages, max_tokens, prompts, topics")


@pytest.mark.parametrize(("args", "needles"), [
    (["-O", "censorship.max_tokens=abc"], ["'abc' is not a whole number", "weightwatch probes censorship"]),
    (["-O", "censorship.max_tokens=0"], ["max_tokens", "greater than 0", "valid options: censorship:"]),
    (["-O", "censorship.max_tokens="], ["gives no value"]),
    (["-O", "censorshp.topics=x"], ["there is no probe 'censorshp'", "censorship, codesec"]),
    (["-O", "codesec.tasks=3"], ["probe codesec is not part of this run (censorship, sanity)"]),
    (["-O", "censorship.topic=x"], ["censorship has no option 'topic'", "languages, max_tokens, prompts, topics"]),
    (["-O", "topic=x"], ["no probe of this run (censorship, sanity) has an option 'topic'", "sanity: none"]),
    (["-O", "censorship"], ["is not PROBE.KEY=VALUE", "-O censorship.max_tokens=96"]),
    (["-O", "=3"], ["is not PROBE.KEY=VALUE"]),
    (["-O", "censorship.prompts=nosuch.csv"], ["'nosuch.csv' is not an existing file"]),
    (["-O", "censorship.topics=nosuch"], ["unknown censorship topic(s): nosuch", "tiananmen"]),
    (["--options", "nosuch.toml"], ["--options file", "does not exist"]),
    (["--languages", "en", "-O", "censorship.languages=de"], ["--languages and the censorship option languages"]),
])
def test_bad_cli_options_are_one_line(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    proc = ww("run", "censorship", "sanity", "-t", "mock:echo", *args, home=tmp_path)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "journal.sqlite").exists() or not _params(tmp_path)  # nothing was run


@pytest.mark.parametrize(("text", "needles"), [
    ("[censorship\n", ["is not valid TOML"]),
    ("[censorshp]\ntopics = ['tibet']\n", ["[censorshp] is not a probe", "censorship"]),
    ("censorship = 3\n", ["'censorship' must be a table"]),
    ("[censorship]\ntopic = ['tibet']\n", ["censorship option 'topic' is not an option", "topics"]),
    ("[censorship]\nmax_tokens = 'many'\n", ["censorship option 'max_tokens' is invalid"]),
])
def test_bad_options_files_are_one_line(tmp_path: Path, text: str, needles: list[str]) -> None:
    (tmp_path / "o.toml").write_text(text, encoding="utf-8")
    assert_one_line_error(ww("run", "censorship", "-t", "mock:echo", "--options", "o.toml", home=tmp_path), *needles)


def test_probes_lists_every_option_with_type_default_and_meaning(tmp_path: Path) -> None:
    proc = ww("probes", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in registry.available():
        for row in option_rows(registry.get(name)):
            assert row.name in proc.stdout, row
            assert row.meaning and row.default and row.type, row  # every built-in option says what it is
    assert "-O censorship.OPTION=VALUE" in proc.stdout
    one = ww("probes", "censorship", home=tmp_path)
    assert one.returncode == 0 and "max_tokens" in one.stdout and "speed_reps" not in one.stdout
    assert "128 at quick, 320 otherwise" in one.stdout
    assert "takes no options" in ww("probes", "sanity", home=tmp_path).stdout
    assert_one_line_error(ww("probes", "censorshp", home=tmp_path), "unknown probe 'censorshp'")


def test_values_are_read_by_the_declared_type() -> None:
    cap, cens, code, speed = (registry.get(n) for n in ("capability", "censorship", "codesec", "speed"))
    assert parse_value(cens, "max_tokens", "96", "x") == 96
    assert parse_value(cens, "topics", "tibet, taiwan", "x") == ["tibet", "taiwan"]
    assert parse_value(cap, "sandbox_timeout", "2.5", "x") == 2.5
    assert parse_value(cap, "humaneval_security", "OFF", "x") is False
    assert parse_value(code, "functional", "yes", "x") is True
    assert parse_value(code, "tasks", "3", "x") == 3
    assert parse_value(code, "tasks", "a,b", "x") == ["a", "b"]
    assert parse_value(speed, "speed_concurrency", "1,2,4", "x") == [1, 2, 4]
    for probe, key, bad in ((code, "functional", "maybe"), (cap, "sandbox_timeout", "nan"),
                            (speed, "speed_concurrency", "1,two")):
        with pytest.raises(UserError):
            parse_value(probe, key, bad, "x")
    # a flat -O KEY=VALUE goes to every probe of the run that has KEY, as the API's flat form does
    assert cli_options(["max_tokens=50"], [cens, code]) == {"censorship": {"max_tokens": 50},
                                                            "codesec": {"max_tokens": 50}}


def test_the_identity_of_options_does_not_depend_on_how_they_were_written() -> None:
    probes = [registry.get("censorship"), registry.get("speed")]
    forms = [{"languages": "en,de", "speed_concurrency": "1,2"},
             {"censorship": {"languages": ["en", "de"]}, "speed": {"speed_concurrency": [1, 2]}},
             {"speed": {"speed_concurrency": "1, 2"}, "languages": ["en", "de"]}]
    ids = [json.dumps(options_identity(resolve_options(probes, f), f)) for f in forms]
    assert ids[0] == ids[1] == ids[2]
    assert options_identity(resolve_options(probes, {}), {}) == {}  # runs without options keep their identity


def test_modify_audit_passes_cli_options_to_its_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`modify refusal-direction --audit -O codesec.tasks=3`: the audit's probes get the options (the edit itself
    is stubbed here: it is the option plumbing under test, not the search)."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    import weightwatch.modify.audit as audit_mod
    import weightwatch.modify.pipeline as pipeline
    from weightwatch.cli import app

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(64))
    seen: dict[str, object] = {}

    def fake_modify(target: str, output: object, opts: object, log: object) -> SimpleNamespace:
        return SimpleNamespace(report={"splits": {"test": ["tibet"]}, "languages": ["en"]}, target="gguf:edited",
                               report_path=tmp_path / "r.json", output=tmp_path / "a.gguf", kind="lora")

    def fake_audit(base: str, edited: str, **kw: object) -> SimpleNamespace:
        seen.update(kw)
        return SimpleNamespace(as_dict=lambda: {}, compare=None)

    monkeypatch.setattr(pipeline, "modify_refusal_direction", fake_modify)
    monkeypatch.setattr(audit_mod, "audit_before_after", fake_audit)
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["modify", "refusal-direction", "-t", f"gguf:{model}", "--audit",
                                      "--audit-probes", "codesec,sanity", "-O", "codesec.tasks=3",
                                      "-O", "codesec.functional=off", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert seen["options"] == {"codesec": {"tasks": 3, "functional": False}}
    assert seen["probes"] == ["codesec", "sanity"]


@pytest.mark.parametrize(("args", "needle"), [
    (["-O", "codesec.tasks=3"], "-O / --options go with --audit"),
    (["--audit", "-O", "censorship.topics=tibet"], "are set by modify"),
    (["--audit", "-O", "codesec.taskz=3"], "codesec has no option 'taskz'"),
])
def test_modify_options_are_checked_before_the_search(tmp_path: Path, args: list[str], needle: str) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(64))
    assert_one_line_error(ww("modify", "refusal-direction", "-t", f"gguf:{model}", *args, home=tmp_path), needle)
