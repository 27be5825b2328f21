"""`weightwatch report`, `weightwatch export` and `weightwatch compare` (added to the main CLI by register)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from weightwatch.datafiles import format_for, is_stdout, output_file, written_whole
from weightwatch.errors import UserError

REPORT_FORMATS = ("table", "json", "html")
COMPARE_FORMATS = ("table", "json")


def journal_file() -> Path:
    """Where the journal lives (the one place to change if the configuration moves it)."""
    from weightwatch.config import journal_path

    return journal_path()


@contextmanager
def open_journal() -> Iterator[Any]:
    from weightwatch.engine.journal import Journal

    j = Journal(journal_file())  # a new, empty journal says: no finished run yet, run weightwatch audit
    try:
        yield j
    finally:
        j.close()


def _write_text(text: str, output: Path | None) -> None:
    if output is None or is_stdout(output):
        sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
        return
    with written_whole(output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    Console(stderr=True).print(f"written: {output}", markup=False, highlight=False)


def resolve(j: Any, ref: str) -> str:
    """The run `ref` names; for 'latest' (the newest finished run) a note on stderr when newer runs are still
    running or stopped, naming the run picked and the command that resumes the newer one."""
    from weightwatch.engine.journal import unfinished_text

    run_id: str = j.resolve_run(ref)
    if ref == "latest":
        newer = j.unfinished_after(run_id)
        if newer:
            Console(stderr=True).print(f"note: showing run {run_id}, the newest finished run; "
                                       f"{unfinished_text(newer, newer=True)}", markup=False, highlight=False,
                                       soft_wrap=True)
    return run_id


def report(run: str, fmt: str | None, output: Path | None) -> None:
    fmt = format_for(fmt, output, REPORT_FORMATS, "report format", {".html": "html", ".htm": "html", ".json": "json"})
    if output is not None and not is_stdout(output):
        output = output_file(output, "--output", folder_ok=fmt == "html")
    from weightwatch.api import load_summary

    with open_journal() as j:
        run_id = resolve(j, run)
        summary = load_summary(j, run_id)
        if fmt == "html" and is_stdout(output):
            from weightwatch.report.html import html_text

            _write_text(html_text(j, run_id, summary), None)
            return
        if fmt == "html":
            from weightwatch.report.html import write_html

            path = write_html(j, run_id, output or Path(f"weightwatch-report-{run_id}.html"), summary)
            Console(stderr=True).print(f"HTML report: {path}", markup=False, highlight=False)
            return
    if fmt == "json":
        _write_text(summary.model_dump_json(indent=2), output)
        return
    from weightwatch.report.terminal import print_scorecard

    if output is None or is_stdout(output):
        print_scorecard(summary, Console())
    else:
        with written_whole(output) as tmp, tmp.open("w", encoding="utf-8") as fh:
            print_scorecard(summary, Console(file=fh, width=200, color_system=None))


def register(app: typer.Typer) -> None:
    """Add the report, export and compare commands to the weightwatch CLI."""

    @app.command("report")
    def report_cmd(
        run: Annotated[str, typer.Argument(metavar="RUN", help="Run id (or a unique prefix), or 'latest' (the newest "
                                                "finished run).")] = "latest",
        fmt: Annotated[str | None, typer.Option("--format", "-f", metavar="FORMAT",
                                                help="table | json | html (default: from the "
                                                     "--output suffix, .html or .json, else table)")] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file, "
                          "or - for standard output (default: the terminal; html: weightwatch-report-<run>.html)."
                          )] = None,
    ) -> None:
        """Show a run: the scorecard (table), the full summary (json) or the self-contained HTML report."""
        report(run, fmt, output)

    @app.command("export")
    def export_cmd(
        run: Annotated[str, typer.Argument(metavar="RUN",
                                           help="Run id (or a unique prefix), or 'latest' (the newest finished "
                                                "run).")],
        fmt: Annotated[str | None, typer.Option("--format", "-f", metavar="FORMAT",
                                                help="jsonl | csv | parquet (default: from the "
                                                     "--output suffix, .csv or .parquet, else jsonl)")] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="File (or folder) to "
                          "write, or - for standard output, e.g. -o - | jq (default: weightwatch-<run>.<format>)."
                          )] = None,
    ) -> None:
        """Every response of a run with its prompt, target fingerprint, label or status and scores."""
        from weightwatch.report.export import FORMATS, export_run

        fmt = format_for(fmt, output, FORMATS, "export format", {".csv": "csv", ".parquet": "parquet"})
        to_stdout = is_stdout(output)
        if to_stdout and fmt == "parquet" and sys.stdout.isatty():
            raise UserError("parquet is binary and would be written to the terminal",
                            "pipe it (-o - | python read.py), redirect it (-o - > run.parquet) or give a file name")
        if output is not None and not to_stdout:
            output = output_file(output, "--output", folder_ok=True)
        with open_journal() as j:
            run_id = resolve(j, run)
            path = None if to_stdout else output or Path(f"weightwatch-{run_id}.{fmt}")
            if path is not None and path.is_dir():  # name the file written, not its folder
                path = path / f"weightwatch-{run_id}.{fmt}"
            n = export_run(j, run_id, fmt, path)
        # on stderr, so that standard output stays clean JSONL / CSV for a pipe
        Console(stderr=True).print(f"{n} responses written to {path or 'standard output'}", markup=False,
                                   highlight=False)

    @app.command("compare")
    def compare_cmd(
        run_a: Annotated[str, typer.Argument(metavar="RUN_A",
                                             help="The earlier / reference run (id, prefix or 'latest').")],
        run_b: Annotated[str, typer.Argument(metavar="RUN_B", help="The run to compare with it.")],
        fmt: Annotated[str | None, typer.Option("--format", "-f", metavar="FORMAT",
                                                help="table | json (default: json for an "
                                                     "--output ending in .json, else table)")] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file, "
                          "or - for standard output (default: the terminal).")] = None,
    ) -> None:
        """The same targets (or probe) across two runs: metric deltas and paired tests on matched samples."""
        from weightwatch.report.compare import compare_runs, print_compare

        fmt = format_for(fmt, output, COMPARE_FORMATS, "compare format", {".json": "json"})
        if output is not None and not is_stdout(output):
            output = output_file(output, "--output")
        with open_journal() as j:
            result = compare_runs(j, run_a, run_b)
            if "latest" in (run_a, run_b):  # after the comparison: a note, never beside an error line
                resolve(j, "latest")
        if fmt == "json":
            _write_text(result.model_dump_json(indent=2), output)
        elif output is None or is_stdout(output):
            print_compare(result, Console())
        else:
            with written_whole(output) as tmp, tmp.open("w", encoding="utf-8") as fh:
                print_compare(result, Console(file=fh, width=200, color_system=None))
