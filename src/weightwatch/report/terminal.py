"""The terminal scorecard: one rich table, one column per target, one row per headline metric.

Narrow terminals (the usual 80 columns) get a compact layout: targets are columns A, B, C ... with a
legend naming each one in full above the table (a target name is never cut), and the differences
between targets are listed under the table instead of in a last column. Wide terminals keep the full
target names as column headers and the comparisons in a last column.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from weightwatch.report.methods import SCANNER_NOTE
from weightwatch.report.readable import human_span, readable_version, short_labels
from weightwatch.report.summary import (
    ScoreRow,
    comparison_text,
    fmt_ci,
    fmt_value,
    power_notes,
    scorecard,
    target_labels,
    undecided,
    undecided_text,
)
from weightwatch.types import Metric, RunSummary

WIDE = 150  # from this console width on, full target names head the columns


def _cell(row: ScoreRow, label: str, compact: bool) -> Text:
    cell = row.cells.get(label)
    if cell is None or cell.metric is None:
        return Text("–", style="dim")
    m = cell.metric
    text = Text(undecided_text(m), style="yellow") if m.test and undecided(m) else Text(
        fmt_value(m), style="bold")
    if m.test and m.significant:
        text.append(" *", style="bold red")
    ci = fmt_ci(m)
    sep = "\n" if compact else " "
    if ci:
        text.append(f"{sep}{ci}", style="dim")
    text.append(f"{sep}n={m.n}", style="dim")
    if cell.secondary is not None and cell.secondary.value is not None:
        s = cell.secondary
        text.append(f"\n{row.headline.secondary_label or s.name} {fmt_value(s)}")
        if s.significant:
            text.append(" *", style="bold red")
        sci = fmt_ci(s)
        if sci:
            text.append(f"{sep}{sci}", style="dim")
    return text


def _renamed(m: Metric, short: dict[str, str]) -> Metric:
    return m.model_copy(update={"compare": [short.get(x, x) for x in (m.compare or [])]})


def print_scorecard(summary: RunSummary, console: Console) -> None:
    """Print the side-by-side scorecard of a run (and what it rests on) to `console`."""
    labels = target_labels(summary)
    rows = scorecard(summary)
    compact = console.width < WIDE
    short = short_labels(labels) if compact else {t: t for t in labels}
    console.print(Text(f"weightwatch run {summary.run_id}", style="bold"))
    console.print(Text(f"{human_span(summary.created_at, summary.finished_at)} · size {summary.size}"
                       + (f" · {summary.samples} extra sample(s) per item" if summary.samples else ""),
                       style="dim"))
    if compact:
        for t in labels:
            console.print(Text.assemble((f"  {short[t]}  ", "bold cyan"), t), soft_wrap=True)
    table = Table(show_lines=True, expand=False)
    table.add_column("metric", style="cyan", no_wrap=False, max_width=24 if compact else 34)
    for label in labels:
        table.add_column(Text(short[label]), overflow="fold", justify="left")
    if not compact:
        table.add_column("difference between targets (test)", overflow="fold", max_width=48)
    below: list[Text] = []
    for row in rows:
        cells = [_cell(row, t, compact) for t in labels]
        comps = [_renamed(c, short) for c in row.comparisons]
        if compact:
            for c in comps:
                below.append(Text.assemble((f"{row.label}: ", "cyan"),
                                           (comparison_text(c), "bold red" if c.significant else "")))
            table.add_row(Text(row.label + (" *" if row.significant else "")), *cells)
        else:
            comp = Text()
            for i, c in enumerate(comps):
                if i:
                    comp.append("\n")
                comp.append(comparison_text(c), style="bold red" if c.significant else "")
            table.add_row(Text(row.label), *cells, comp)
    if rows:
        console.print(table)
    else:
        console.print(Text(f"run {summary.run_id}: no headline metrics "
                           f"(probes: {', '.join(summary.probes) or 'none'})"))
    if below:
        console.print(Text("Differences between targets (test):", style="bold"))
        for line in below:
            console.print(line)
    shown = {id(m) for r in rows for m in r.metrics()}
    others = [r.probe for r in summary.results if any(id(m) not in shown for m in r.metrics)]
    if others:
        console.print(f"[dim]More metrics per probe ({', '.join(sorted(set(others)))}): "
                      f"weightwatch report {summary.run_id} --format html | json[/]")
    versions = ", ".join(f"{r.probe} {readable_version(r.version)}" for r in summary.results)
    if versions:
        console.print(Text(f"Probes: {versions}", style="dim"))
    console.print("[dim]Intervals are 95%. * = significant at 0.05 (adjusted where the probe corrected for many "
                  "tests): in a cell against the cell's own reference (control arm, baseline); beside a metric "
                  "and in the differences, between targets.[/]")
    for r in summary.results:  # the scanners' measured recall, next to the codesec rates it qualifies
        for note in r.notes:
            if note.startswith(SCANNER_NOTE):
                console.print(Text.assemble((f"{r.probe}: ", "dim"), note))
    for note in power_notes(summary, rows):
        console.print(Text.assemble(("small sample: ", "yellow"), note))
    for r in summary.results:
        for w in r.warnings:
            console.print(Text.assemble((f"{r.probe}: ", "yellow"), w))
