"""The terminal scorecard: one rich table, one column per target, one row per headline metric."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from weightwatch.report.summary import (
    ScoreRow,
    comparison_text,
    fmt_ci,
    fmt_value,
    power_notes,
    scorecard,
    target_labels,
)
from weightwatch.types import RunSummary


def _cell(row: ScoreRow, label: str) -> Text:
    cell = row.cells.get(label)
    if cell is None or cell.metric is None:
        return Text("–", style="dim")
    m = cell.metric
    text = Text(fmt_value(m), style="bold")
    ci = fmt_ci(m)
    if ci:
        text.append(f" {ci}", style="dim")
    text.append(f" n={m.n}", style="dim")
    if m.test and m.significant:
        text.append(" *", style="bold red")
    if cell.secondary is not None and cell.secondary.value is not None:
        s = cell.secondary
        text.append(f"\n{row.headline.secondary_label or s.name} {fmt_value(s)}")
        sci = fmt_ci(s)
        if sci:
            text.append(f" {sci}", style="dim")
        if s.significant:
            text.append(" *", style="bold red")
    return text


def print_scorecard(summary: RunSummary, console: Console) -> None:
    """Print the side-by-side scorecard of a run (and what it rests on) to `console`."""
    labels = target_labels(summary)
    rows = scorecard(summary)
    title = f"weightwatch run {summary.run_id}"
    table = Table(title=title, show_lines=True, expand=False)
    table.add_column("metric", style="cyan", no_wrap=False, max_width=34)
    for label in labels:
        table.add_column(label, overflow="fold")
    table.add_column("difference between targets (test)", overflow="fold", max_width=48)
    for row in rows:
        comp = Text()
        for i, c in enumerate(row.comparisons):
            if i:
                comp.append("\n")
            comp.append(comparison_text(c), style="bold red" if c.significant else "")
        table.add_row(Text(row.label), *[_cell(row, t) for t in labels], comp)
    if rows:
        console.print(table)
    else:
        console.print(Text(f"run {summary.run_id}: no headline metrics "
                           f"(probes: {', '.join(summary.probes) or 'none'})"))
    shown = {id(m) for r in rows for m in r.metrics()}
    others = [r.probe for r in summary.results if any(id(m) not in shown for m in r.metrics)]
    if others:
        console.print(f"[dim]More metrics per probe ({', '.join(sorted(set(others)))}): "
                      f"weightwatch report {summary.run_id} --format html | json[/]")
    console.print("[dim]Intervals are 95%. * = significant at 0.05 (adjusted where the probe corrected for many "
                  "tests): in a cell against the cell's own reference (control arm, baseline), in the last "
                  "column between targets.[/]")
    for note in power_notes(summary, rows):
        console.print(Text.assemble(("small sample: ", "yellow"), note))
    for r in summary.results:
        for w in r.warnings:
            console.print(Text.assemble((f"{r.probe}: ", "yellow"), w))
