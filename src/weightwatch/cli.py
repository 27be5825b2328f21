"""The `weightwatch` command line. It parses arguments and calls one function of the API; nothing more."""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from weightwatch import __version__, clihelp
from weightwatch.datafiles import comma_list, format_name, is_stdout, output_file
from weightwatch.ecosystem import cli as ecosystem_cli
from weightwatch.errors import UserError, plain
from weightwatch.modify import cli as modify_cli
from weightwatch.report import cli as report_cli

clihelp.install()  # --fresh, not --fresh <bool>; -t TARGET, not -t <list[str]>
app = typer.Typer(
    name="weightwatch",
    help="Audit open-weight language models side by side: censorship, code security, capability, speed, cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
judge_app = typer.Typer(help="Label existing responses with weightwatch's judges (no model needed).",
                        no_args_is_help=True)
app.add_typer(judge_app, name="judge")

out = Console()
err = Console(stderr=True)

TargetOpt = Annotated[list[str] | None, typer.Option("--target", "-t", metavar="TARGET", help="Target: embedded:NAME, "
                      "gguf:PATH, openai:MODEL@URL, or a name from weightwatch.toml. Repeat for several.")]
SizeOpt = Annotated[str, typer.Option("--size", metavar="SIZE", help="quick | standard | full: how many items "
                    "each probe asks (quick: the default audit in about 15 minutes on 2 cores).")]
SamplesOpt = Annotated[int, typer.Option("--samples", metavar="N",
                                         help="Extra samples per item at the target's temperature, "
                                              "beside the greedy pass (0 to 1000).")]
SeedOpt = Annotated[int, typer.Option("--seed", metavar="N",
                                      help="Seed for sampling and for subsets (0 to 2147483647).")]
JudgeOpt = Annotated[str | None, typer.Option("--judge", metavar="TARGET", help="An LLM judge target (never the "
                     "audited one unless --judge-self; default: the built-in rule judge and learned head).")]
JudgeSelfOpt = Annotated[bool, typer.Option("--judge-self", help="Allow the judge to be an audited target.")]
FileJudgeOpt = Annotated[str | None, typer.Option("--judge", metavar="TARGET",
                                                  help="An LLM judge target, e.g. openai:MODEL@URL or a name from "
                                                       "weightwatch.toml (default: the built-in rule judge and "
                                                       "learned head).")]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Ignore journaled samples and ask again.")]
ConcOpt = Annotated[int | None, typer.Option("--max-concurrency", metavar="N", help="Cap on requests in flight per "
                    "target (default: adaptive for servers, up to the target's max_concurrency; an in-process model "
                    "keeps its batch width).")]
UnsandboxedOpt = Annotated[bool, typer.Option(
    "--allow-unsandboxed-code", help="Where no sandbox is possible (bubblewrap, user namespaces), run model-written "
    "code WITHOUT isolation instead of refusing. The report then carries a warning.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="SECONDS",
                                           help="Seconds per request before it is retried.")]
JudgeTimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="SECONDS",
                                                help="With --judge: seconds per judge request before "
                                                     "it is retried.")]
ProbeOptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-O", metavar="PROBE.KEY=VALUE", help="A probe option, e.g. -O censorship.max_tokens=96 or "
    "-O censorship.topics=tiananmen,tibet (lists comma-separated; on/off for switches). Repeat for several; "
    "'weightwatch probes' lists every option with its type and default.")]
OptionsFileOpt = Annotated[Path | None, typer.Option(
    "--options", metavar="FILE.toml", help="Probe options from a TOML file, one table per probe, e.g. the line "
    "censorship.max_tokens = 96; -O wins over it.")]
JudgeFreshOpt = Annotated[bool, typer.Option("--fresh", help="With --judge: ask the judge again instead of reusing "
                          "its answers kept in the journal.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"weightwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """weightwatch audits open-weight models on your own machine. Start with: weightwatch audit"""
    from weightwatch.envvars import check_environment, unknown_variables

    if "--help" not in sys.argv[1:]:  # help is shown whatever the environment holds
        check_environment()  # a bad WEIGHTWATCH_* value stops every command at once, with one line
        for line in unknown_variables():
            err.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)


def _run_and_report(probes: list[str], targets: list[str], *, size: str, samples: int, seed: int,
                    options: dict[str, Any], judge: str | None, fresh: bool, max_concurrency: int | None,
                    timeout: float, html: Path | None, fmt: str, allow_unsandboxed_code: bool = False) -> None:
    from weightwatch.api import run_async
    from weightwatch.engine.interrupt import run_interruptible
    from weightwatch.engine.progress import ProgressDisplay

    fmt = format_name(fmt, ("table", "json"), "--format")
    _no_comma_lists(probes, targets)
    if html is not None:  # checked before the run, not after an hour of generation
        html = output_file(html, "--html", folder_ok=True)
    command = _resume_command()
    display = ProgressDisplay(err)

    def waiting(pid: str | None) -> None:
        who = f" (pid {pid})" if pid else ""
        err.print(f"waiting: another weightwatch process{who} is running this same run; this one goes on when it "
                  "ends, reusing its answers (Ctrl-C to stop waiting)", markup=False, highlight=False, soft_wrap=True)

    try:
        with display:
            outcome = run_interruptible(run_async(
                probes, targets, size=size, samples=samples, seed=seed, options=options,  # type: ignore[arg-type]
                judge=judge, fresh=fresh, max_concurrency=max_concurrency, timeout_s=timeout, command=command,
                progress=display.start, allow_unsandboxed_code=allow_unsandboxed_code, on_wait=waiting,
            ), on_first=lambda signum: _say(f"stopping{_signal_name(signum)}: finished samples are kept in the "
                                            "journal (Ctrl-C again to quit at once)"),
               on_second=lambda signum: _say(f"quit; resume with: {command}"))
    except KeyboardInterrupt as exc:
        # typer would turn a KeyboardInterrupt into a silent exit code: say it here
        raise typer.Exit(_say_interrupted(exc)) from None
    if outcome.resumed:
        err.print(f"resumed run {outcome.run_id}")
    if outcome.reused_samples:
        err.print(f"{outcome.reused_samples} sample(s) reused from the journal")
    summary = outcome.summary
    if fmt == "json":
        out.print_json(summary.model_dump_json())
    else:
        _print_summary(summary)
    if summary.isolation:

        style = "bold red" if summary.unsandboxed_code else "dim"
        err.print(f"[{style}]{escape(summary.isolation)}[/]")
    for w in summary.warnings:  # they quote servers (model names) and probes: no markup, no control characters
        err.print(f"[yellow]warning:[/] {escape(plain(w))}")
    if html is not None:
        from weightwatch.config import journal_path
        from weightwatch.engine.journal import Journal
        from weightwatch.report.html import write_html

        j = Journal(journal_path())
        try:
            path = write_html(j, outcome.run_id, html, summary)
        finally:
            j.close()
        err.print(f"HTML report: {path}")
    err.print(f"run {outcome.run_id} (journal: {outcome.journal_path})")
    dead = [t.label for t in summary.targets if t.samples and t.errors >= t.samples]
    if dead:  # a wrong URL or model name must not look like a finished audit to a script or CI
        err.print(f"error: every request to {', '.join(dead)} failed (see the warning above); check the target, "
                  f"then run the same command again to retry them", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    broken = [f"{r.probe} ({r.error})" for r in summary.results if r.error]
    if broken:  # the other probes' results are shown and stored; an incomplete audit must not exit 0
        err.print(f"error: no results for {', '.join(broken)}: its summary failed (a bug in the probe); the other "
                  "results are complete and the samples are in the journal", markup=False, highlight=False,
                  soft_wrap=True)
        raise typer.Exit(1)


def _no_comma_lists(probes: list[str], targets: list[str]) -> None:
    """`run sanity,speed` and `-t A,B` (as --languages is written) get one line saying how several are given."""
    from weightwatch.targets.spec import backends

    for p in probes:
        if "," in p:
            parts = [x.strip() for x in p.split(",") if x.strip()]
            raise UserError(f"probe '{p}' holds a comma", "give several probes separated by spaces, e.g. "
                            f"weightwatch run {' '.join(parts)} -t TARGET")
    kinds = set(backends())
    for t in targets:
        parts = [x.strip() for x in t.split(",")]
        if len(parts) > 1 and all(x.partition(":")[0].lower() in kinds and x.partition(":")[2] for x in parts):
            raise UserError(f"-t '{t}' names several targets", "give one target per -t: "
                            + " ".join(f"-t {shlex.quote(x)}" for x in parts))


def _say(text: str) -> None:
    """One line on stderr from a signal handler (plain write: no console lock to wait for)."""
    sys.stderr.write(f"\n{text}\n")
    sys.stderr.flush()


def _signal_name(signum: int) -> str:
    """' (SIGTERM)' for a stop that was not a Ctrl-C, so a log says what stopped the run; '' for Ctrl-C."""
    import signal

    return "" if signum == signal.SIGINT else f" ({signal.Signals(signum).name})"


def _resume_command() -> str:
    """The command that resumes this one: the same words, less --fresh (which would ask everything again)."""
    return "weightwatch " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--fresh")


def _print_summary(summary: Any) -> None:
    from weightwatch.report.terminal import print_scorecard

    print_scorecard(summary, out)


def _options(probes: list[str], prompts: Path | None, languages: str | None, judge_self: bool,
             pairs: list[str] | None = None, options_file: Path | None = None) -> dict[str, Any]:
    """The run's options: --options FILE and -O pairs by probe (probes/cli_options.py), --languages, --prompts
    and --judge-self flat, as the API takes them."""
    from weightwatch.probes import registry
    from weightwatch.probes.cli_options import cli_options

    opts: dict[str, Any] = {}
    if pairs or options_file is not None:
        opts = cli_options(pairs or [], [registry.get(p) for p in probes], options_file)
        for flag, key, value in (("--languages", "languages", languages), ("--prompts", "prompts", prompts)):
            if value is not None and key in (opts.get("censorship") or {}):  # the by-probe one would win silently
                raise UserError(f"{flag} and the censorship option {key} are both given",
                                f"give the {key} once: {flag} or -O censorship.{key}=... / --options")
    if prompts is not None:
        if prompts.is_dir():
            raise UserError(f"--prompts '{prompts}' is a folder", "give a CSV (subject,prompt) or JSONL file")
        if not prompts.exists():
            raise UserError(f"--prompts file '{prompts}' does not exist", "give a CSV (subject,prompt) or JSONL file")
        if not prompts.is_file():  # a pipe (<(...), /dev/stdin) would be empty when the run reads it again
            raise UserError(f"--prompts '{prompts}' is not a regular file (a pipe or a device)",
                            "save the prompts to a CSV (subject,prompt) or JSONL file: a run reads them again "
                            "when it resumes")
        opts["prompts"] = str(prompts.resolve())
    if languages is not None:
        opts["languages"] = comma_list(languages, "--languages", "en,zh-Hans")
    if judge_self:
        opts["judge_self"] = True
    return opts


@app.command()
def run(
    probes: Annotated[list[str], typer.Argument(metavar="PROBE...", help="Probe(s) to run, e.g. censorship sanity: "
                                                "see 'weightwatch probes'.")],
    target: TargetOpt = None,
    size: SizeOpt = "quick",
    samples: SamplesOpt = 0,
    seed: SeedOpt = 0,
    judge: JudgeOpt = None,
    judge_self: JudgeSelfOpt = False,
    prompts: Annotated[Path | None, typer.Option("--prompts", metavar="FILE",
                                                 help="Your own prompt set (censorship: CSV "
                                                      "subject,prompt or JSONL).")] = None,
    languages: Annotated[str | None, typer.Option("--languages", metavar="LANGS",
                                                  help="Censorship languages, comma-separated, e.g. en,zh-Hans "
                                                       "(default: en,zh-Hans at quick, all four otherwise).")] = None,
    option: ProbeOptionOpt = None,
    options_file: OptionsFileOpt = None,
    fresh: FreshOpt = False,
    max_concurrency: ConcOpt = None,
    timeout: TimeoutOpt = 600.0,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table | json")] = "table",
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE",
                                              help="Also write the HTML report here (an existing folder "
                                                   "gets weightwatch-report-<run>.html inside it).")] = None,
    allow_unsandboxed_code: UnsandboxedOpt = False,
) -> None:
    """Run one or more probes on one or more targets. Re-running the same command resumes."""
    if not target:
        raise UserError("no target given", "add -t TARGET, e.g. -t embedded:qwen2.5-coder-0.5b")
    if judge_self and not judge:  # it would be silently ignored
        raise UserError("--judge-self goes with --judge", "add --judge TARGET (one of the -t targets), or drop "
                        "--judge-self")
    _no_comma_lists(probes, target)
    _run_and_report(probes, target, size=size, samples=samples, seed=seed,
                    options=_options(probes, prompts, languages, judge_self, option, options_file), judge=judge,
                    fresh=fresh,
                    max_concurrency=max_concurrency, timeout=timeout, html=html, fmt=fmt,
                    allow_unsandboxed_code=allow_unsandboxed_code)


@app.command()
def audit(
    target: TargetOpt = None,
    size: SizeOpt = "quick",
    samples: SamplesOpt = 0,
    seed: SeedOpt = 0,
    judge: JudgeOpt = None,
    judge_self: JudgeSelfOpt = False,
    option: ProbeOptionOpt = None,
    options_file: OptionsFileOpt = None,
    fresh: FreshOpt = False,
    max_concurrency: ConcOpt = None,
    timeout: TimeoutOpt = 600.0,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="table | json")] = "table",
    html: Annotated[Path | None, typer.Option("--html", "-o", metavar="FILE", help="Where to write the HTML report "
                    "(default: weightwatch-report.html in the current folder; an existing folder gets "
                    "weightwatch-report-<run>.html inside it).")] = None,
    allow_unsandboxed_code: UnsandboxedOpt = False,
) -> None:
    """Every probe on every target. With no -t: the embedded Qwen2.5-Coder-0.5B and SmolLM2-135M side by side."""
    from weightwatch.api import DEFAULT_AUDIT_TARGETS
    from weightwatch.probes import registry

    if judge_self and not judge:  # it would be silently ignored
        raise UserError("--judge-self goes with --judge", "add --judge TARGET (one of the -t targets), or drop "
                        "--judge-self")
    targets = target or DEFAULT_AUDIT_TARGETS
    probes = registry.audit_probes()
    # the error for a judge that is also audited names --judge-self: audit takes it too, as run does
    _run_and_report(probes, targets, size=size, samples=samples, seed=seed,
                    options=_options(probes, None, None, judge_self, option, options_file),
                    judge=judge, fresh=fresh, max_concurrency=max_concurrency, timeout=timeout,
                    html=html or Path("weightwatch-report.html"), fmt=fmt,
                    allow_unsandboxed_code=allow_unsandboxed_code)


@app.command()
def probes(
    names: Annotated[list[str] | None, typer.Argument(metavar="PROBE...", help="Show only these probes' "
                     "options (default: every probe).")] = None,
) -> None:
    """List the probes and the options each takes (-O PROBE.KEY=VALUE in run and audit)."""
    from rich.table import Table

    from weightwatch.probes import registry
    from weightwatch.probes.cli_options import option_rows

    shown = [registry.get(n) for n in dict.fromkeys(names)] if names else \
        [registry.get(n) for n in registry.available()]
    if not names:
        table = Table("probe", "version", "what it measures")
        for p in shown:  # the censorship probe's version also names its judge: whole in `probes censorship`
            short = p.version if len(p.version) <= 12 else p.version.split(".")[0] + "…"
            table.add_row(p.name, short, p.description)
        out.print(table)
    for p in shown:
        if names:
            out.print(f"{p.name} (version {p.version}): {p.description}", markup=False, highlight=False)
        rows = option_rows(p)
        if not rows:
            if names:
                out.print(f"{p.name} takes no options")
            continue
        table = Table("option", "type", "default", "meaning", title=f"{p.name} options: -O {p.name}.OPTION=VALUE",
                      title_justify="left")
        for r in rows:
            table.add_row(r.name, r.type, r.default, r.meaning)
        out.print(table)


@app.command()
def targets() -> None:
    """The embedded models (installed or not, size, origin) and the named targets of weightwatch.toml."""
    from weightwatch.config import config_path, load_config
    from weightwatch.report.targets_table import print_targets
    from weightwatch.targets.embedded import list_embedded

    config = load_config()
    named = config.get("targets", {})
    print_targets(list_embedded(), named, config_path(), out)
    _check_named_targets(named, config)


def _check_named_targets(named: dict[str, Any], config: dict[str, Any]) -> None:
    """One warning line per [targets.NAME] that `run -t NAME` would refuse (a bad spec, an unknown key, a
    missing key variable or model file): the table alone showed `spec = 5` as if it were fine."""
    from weightwatch.targets.spec import parse_target

    for name in named:
        try:
            parse_target(name, config)
        except UserError as exc:
            text = plain(exc.one_line())
            where = "" if f"[targets.{name}]" in text else f"[targets.{name}]: "
            err.print(f"warning: {where}{text}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def pull(name: Annotated[str, typer.Argument(metavar="NAME",
                                             help="Embedded model name, e.g. qwen2.5-coder-0.5b")]) -> None:
    """Prepare an embedded model: assemble its parts once and verify its sha256."""
    from weightwatch.targets.embedded import pull as do_pull

    path = do_pull(name.removeprefix("embedded:"))
    out.print(f"ready: {path}")


@app.command()
def runs(limit: Annotated[int, typer.Option("--limit", metavar="N", help="Show the most recent N runs.")] = 20) -> None:
    """List the runs in the journal."""
    if limit < 1:
        raise UserError(f"--limit must be at least 1, not {limit}", "e.g. --limit 50")
    from rich.table import Table

    from weightwatch.config import journal_path
    from weightwatch.engine.journal import Journal
    from weightwatch.report.readable import human_time

    j = Journal(journal_path())
    try:
        rows = j.runs(min(limit, 2**62))  # --limit 10**30 means all of them (SQLite's integers stop at 2**63)
    finally:
        j.close()
    table = Table(title=str(journal_path()))
    # the run id is what `report` / `export` / `compare` take: never cut to "20261205-0…" on a narrow terminal
    table.add_column("run", no_wrap=True, min_width=max((len(r.run_id) for r in rows), default=3))
    table.add_column("created")
    for name in ("status", "probes", "targets", "samples"):
        table.add_column(name, overflow="fold")  # whole names, folded, rather than "censors…"
    for r in rows:
        table.add_row(r.run_id, human_time(r.created_at), r.status, ",".join(r.params.get("probes", [])),
                      ", ".join(r.params.get("targets", [])),
                      str(r.samples) if r.samples >= r.planned else f"{r.samples} of {r.planned}")
    out.print(table)


@judge_app.command("censorship")
def judge_censorship(
    input: Annotated[Path, typer.Option("--input", "-i", metavar="FILE",
                                        help="JSONL: {id, prompt, response, language?, reasoning?}")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="Where to write the labelled JSONL "
                                         "(- for standard output).")],
    judge: FileJudgeOpt = None,
    timeout: JudgeTimeoutOpt = 600.0,
    fresh: JudgeFreshOpt = False,
) -> None:
    """Label responses (from any tool) as answered / refused / deflected / narrative / empty / unscored.

    With --judge, every judge answer is kept in the journal as it lands: after Ctrl-C (or a crash) the same
    command asks the judge only for what it has not answered yet."""
    from weightwatch.api import JudgeTally, judge_censorship_file
    from weightwatch.engine.progress import ProgressDisplay
    from weightwatch.judges.language import SUPPORTED
    from weightwatch.probes.censorship.files import unknown_language_tags

    _fresh_needs_judge(fresh, judge)
    to_stdout = is_stdout(output)
    tally = JudgeTally()
    records: list[dict[str, Any]] = []  # the input's records, read once (BENCHMARKS.md 6m)
    with _output_or_stdout(output, input) as path, _judge_interrupt(), ProgressDisplay(err) as display:
        counts = judge_censorship_file(input, path, judge=judge, timeout_s=timeout, fresh=fresh,
                                       progress=display.start, tally=tally, read=records)
    _judge_reuse_note(tally)
    # with -o -, stdout is the labelled JSONL: the counts go to stderr
    (err if to_stdout else out).print(json.dumps(counts, sort_keys=True), soft_wrap=True)
    tags = unknown_language_tags(records)
    if tags:
        shown = ", ".join(f"{t!r} ({n})" for t, n in sorted(tags.items(), key=lambda kv: -kv[1])[:5])
        err.print(f"warning: {sum(tags.values())} record(s) carry a language tag the judge does not know: {shown}; "
                  f"the learned head, which reads {', '.join(SUPPORTED)}, skipped them (case, '_' and a region "
                  "such as en-US are understood); drop the tag to have the language detected",
                  markup=False, highlight=False, soft_wrap=True)
    if counts.get("unscored"):
        err.print(f"warning: {counts['unscored']} answer(s) unscored: in a language the judge does not cover "
                  "(e.g. Finnish), or an LLM judge reply that did not parse or whose request failed after retries "
                  "(see --timeout); they count in no rate",
                  markup=False, highlight=False, soft_wrap=True)
    if judge and tally.nothing_labelled:
        # as `run` does when every request to a target failed: a wrong judge URL or model must not exit 0
        _judge_labelled_nothing(judge, "the unscored records are in "
                                + ("the output above" if to_stdout else str(output)), tally)


@judge_app.command("calibrate")
def judge_calibrate(
    input: Annotated[Path | None, typer.Option("--input", "-i", metavar="FILE",
                                               help="JSONL: {id, prompt, response, language, "
                                                    "label}; measure on this file alone.")] = None,
    sets: Annotated[str | None, typer.Option("--set", metavar="SETS", help="Comma-separated: hand, deccp, speechmap "
                    "(default: every set whose files are found; hand ships with weightwatch).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="FOLDER",
                                                  help="Folder with speechmap-dev.jsonl and "
                                                       "deccp-qwen2-responses.jsonl (default: ../shared/data beside "
                                                       "the repository).")] = None,
    judge: FileJudgeOpt = None,
    as_json: Annotated[Path | None, typer.Option("--json", metavar="FILE",
                                                 help="Also write the figures to this JSON file.")] = None,
    timeout: JudgeTimeoutOpt = 600.0,
    fresh: JudgeFreshOpt = False,
) -> None:
    """Measure the censorship judge on labelled answers: accuracy, recall, precision, confusion per language."""
    from weightwatch.api import JudgeTally, calibrate_censorship_judge
    from weightwatch.engine.progress import ProgressDisplay
    from weightwatch.probes.censorship.calibrate import parse_sets, render

    names = parse_sets(sets)
    if input is not None and names is not None:
        raise UserError("--input and --set cannot be combined", "--input measures your file alone; drop one")
    if input is not None and data_dir is not None:  # --data-dir would be silently ignored
        raise UserError("--input and --data-dir cannot be combined",
                        "--input measures your file alone; --data-dir is where the deccp / speechmap sets are read")
    _fresh_needs_judge(fresh, judge)
    if as_json is not None:
        as_json = output_file(as_json, "--json")
    tally = JudgeTally()
    with _judge_interrupt(), ProgressDisplay(err) as display:
        results = calibrate_censorship_judge(names, input, data_dir, judge, skipped=lambda note: err.print(
            note, markup=False, highlight=False, soft_wrap=True), timeout_s=timeout, fresh=fresh,
            progress=display.start, tally=tally)
    _judge_reuse_note(tally)
    out.print(render(results), markup=False, highlight=False, soft_wrap=True)
    if as_json is not None:
        from weightwatch.datafiles import written_whole

        with written_whole(as_json) as tmp:
            tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
    if judge and tally.nothing_labelled:  # figures of a judge that labelled nothing are no measurement
        _judge_labelled_nothing(judge, "every answer counts as unscored in the tables above", tally)


@contextlib.contextmanager
def _judge_interrupt() -> Iterator[None]:
    """Ctrl-C in `judge censorship / calibrate`: one line saying what was kept (click would make it 'Aborted!')."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise typer.Exit(_say_interrupted(exc)) from None


def _fresh_needs_judge(fresh: bool, judge: str | None) -> None:
    if fresh and not judge:  # it would be silently ignored: the rule judge keeps no answers
        raise UserError("--fresh goes with --judge", "--fresh asks the LLM judge again instead of reusing its "
                        "journaled answers; add --judge TARGET or drop --fresh")


def _judge_reuse_note(tally: Any) -> None:
    if tally.reused:
        err.print(f"{tally.reused} judge answer(s) reused from the journal ({tally.asked} asked now; --fresh asks "
                  "them all again)", markup=False, highlight=False, soft_wrap=True)
    if tally.shared:  # identical records: one question to the judge, its answer given to each
        err.print(f"{tally.shared} record(s) asked the judge a question another record had asked: sent once",
                  markup=False, highlight=False, soft_wrap=True)


def _judge_labelled_nothing(judge: str, where: str, tally: Any) -> None:
    # replies that did not parse are journaled like any answer: after fixing the judge server (same URL and
    # model), only --fresh asks again; failed requests are always asked again
    again = ("run the command again with --fresh (its replies are kept in the journal and would be reused)"
             if tally.replies else "run the command again")
    err.print(f"error: no answer got a label from --judge {judge}: its requests failed or its replies did not "
              f"parse; {where}; check the judge target and {again}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def scan(
    input: Annotated[Path, typer.Option("--input", "-i", metavar="FILE", help="JSONL: {id, response, language?}")],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE", help="Where to write the scanned JSONL "
                                         "(- for standard output).")],
) -> None:
    """Extract code from responses and scan it with bandit and semgrep (offline, our rules)."""
    from weightwatch.scanners.files import scan_jsonl

    with _output_or_stdout(output, input) as path:
        counts = scan_jsonl(input, path)
    (err if is_stdout(output) else out).print(json.dumps(counts, sort_keys=True), soft_wrap=True)


@contextlib.contextmanager
def _output_or_stdout(output: Path, input_file: Path) -> Iterator[Path]:
    """The --output file, checked before any work; for `-o -` a scratch file whose JSONL is copied to standard
    output when the command has written it (the counts line then goes to stderr, so stdout is the JSONL alone)."""
    if not is_stdout(output):
        yield output_file(output, "--output", input_file=input_file)
        return
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="weightwatch-out-") as tmp:
        path = Path(tmp) / "output.jsonl"
        yield path
        with path.open(encoding="utf-8") as fh:
            shutil.copyfileobj(fh, sys.stdout)
        sys.stdout.flush()


# Parts that bring their own commands: report/export/compare, adoption/openness.
report_cli.register(app)
ecosystem_cli.register(app)
modify_cli.register(app)


# commands that write their output file only once it is complete (atomically): stopped, they wrote nothing
_WRITE_AT_END = {("scan",), ("pull",), ("export",), ("report",), ("compare",), ("judge", "censorship"),
                 ("judge", "calibrate")}
_SAID: list[bool] = []  # the interrupted line was said (by a command, or by main) in this process


def _interrupted_message(argv: list[str], signum: int | None = None) -> str:
    """What Ctrl-C (or SIGTERM: `signum`) kept, by command: run/audit keep finished samples and adoption
    snapshot its saved pages (the same command resumes both), judge --judge its judge's answers, modify what it
    noted with `engine.interrupt.keep_note` (the adapter once written); the commands that write their file at
    the end wrote nothing; the others only read (probes, runs, adoption report, ...)."""
    import signal

    from weightwatch.engine.interrupt import KEPT

    head = "interrupted" + (f" ({signal.Signals(signum).name})" if signum not in (None, signal.SIGINT) else "")
    words = [a for a in argv if not a.startswith("-")]
    if words[:1] in (["run"], ["audit"]):
        return f"{head}: the samples finished so far are in the journal; resume with: {_resume_command()}"
    if words[:2] == ["adoption", "snapshot"]:
        return f"{head}: the pages fetched so far are saved in the journal; resume with: {_resume_command()}"
    if words[:1] == ["judge"] and any(a == "--judge" or a.startswith("--judge=") for a in argv):
        return (f"{head}: the judge answers received so far are kept in the journal; the same command reuses "
                f"them: {_resume_command()}")
    if KEPT:
        return f"{head}: {KEPT[-1]}"
    if words[:1] == ["modify"]:
        return f"{head}: nothing is kept (no adapter or model was written); run the command again to start over"
    if tuple(words[:1]) in _WRITE_AT_END or tuple(words[:2]) in _WRITE_AT_END:
        return f"{head}: no output file was written; run the command again to start over"
    return f"{head}: nothing was changed; run the command again"


def _say_interrupted(exc: BaseException) -> int:
    """One line for a command stopped by Ctrl-C or SIGTERM (engine.interrupt.Interrupted); its exit code
    (130, or 128 + the signal: 143 for SIGTERM)."""
    from weightwatch.engine.interrupt import Interrupted

    signum = exc.signum if isinstance(exc, Interrupted) else None
    if not _SAID:  # once, whoever catches it first
        _SAID.append(True)
        from weightwatch.stderr import say

        say(_interrupted_message(sys.argv[1:], signum))  # past a model load's silenced fd 2 (worker thread)
    return exc.exit_code if isinstance(exc, Interrupted) else 130


def _help_command(exc: Exception) -> str:
    """`weightwatch SUB --help` for the (sub)command a usage error is about (`weightwatch --help` at the top)."""
    names = []
    ctx = getattr(exc, "ctx", None)
    while ctx is not None and getattr(ctx, "parent", None) is not None:
        names.append(str(ctx.info_name))
        ctx = ctx.parent
    return " ".join(["weightwatch", *reversed(names), "--help"])


def main() -> None:
    debug = "--debug" in sys.argv[1:]
    if debug:  # anywhere on the line, as "re-run with --debug" invites (after the command it was "No such option")
        sys.argv[1:] = ["--debug", *[a for a in sys.argv[1:] if a != "--debug"]]
    from weightwatch.engine.interrupt import KEPT, RECEIVED, Interrupted, sigterm_interrupts

    for state in (RECEIVED, KEPT, _SAID):  # main() called again in one process (tests): this command's alone
        state.clear()
    try:
        # SIGTERM (kill, CI timeouts) stops every command as Ctrl-C does: one line, exit 143 (run / audit
        # install their own two-step handler while they run, and say it themselves)
        with sigterm_interrupts():
            code = app(standalone_mode=False)
        if code == 130 and not _SAID:
            # typer turns the KeyboardInterrupt (Ctrl-C) or Interrupted (SIGTERM) of a command that did not catch
            # it into a bare exit code 130, with no word: say what stopped it and what is kept
            sys.exit(_say_interrupted(Interrupted(RECEIVED[0]) if RECEIVED else KeyboardInterrupt()))
        if isinstance(code, int) and code:  # typer.Exit(n) comes back as a return value
            sys.exit(code)
    except UserError as exc:
        if debug:
            raise
        err.print(f"error: {exc.one_line()}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        sys.exit(_say_interrupted(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(1)
    except Exception as exc:  # click usage errors and real bugs
        import click

        # typer >= 0.20 raises its vendored click's exceptions, which are not click.ClickException
        if isinstance(exc, click.ClickException) or (
                callable(getattr(exc, "format_message", None)) and isinstance(getattr(exc, "exit_code", None), int)):
            message = exc.format_message()  # type: ignore[attr-defined]
            if message.strip():  # empty: no arguments, and the help was already printed (no_args_is_help)
                err.print(f"error: {message} (run `{_help_command(exc)}` to see the commands and options)",
                          markup=False, highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if debug:
            raise
        if isinstance(exc, OSError) and exc.filename is not None:  # a file or folder we could not read or write
            err.print(f"error: {exc.strerror or exc}: '{exc.filename}'; check the path and its permissions "
                      "(--debug shows where it happened)", markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        import errno

        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            # a full disk (or quota) while writing an output: the machine's state, not a bug of weightwatch
            err.print(f"error: {exc.strerror} while writing; free some space or write the output elsewhere "
                      "(--debug shows where it happened)",
                      markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        text = str(exc).strip().splitlines() or [""]
        more = f" ({len(text) - 1} more line(s))" if len(text) > 1 else ""
        err.print(f"internal error: {type(exc).__name__}: {text[0]}{more} (re-run with --debug for the traceback)",
                  markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
