"""The scorecard's headline rows are declared by the probes (`Probe.headlines`, see weightwatch.types.Headline)
and stored with each result (`ProbeResult.headlines`), so the report names no probe and renders a new
probe's rows, and an old run's, from the summary alone. Rows whose metrics a run lacks are left out; every
metric also appears in the report's "all metrics" section.
"""

from __future__ import annotations

from weightwatch.types import Headline, RunSummary


def declared(summary: RunSummary) -> list[tuple[str, Headline]]:
    """(probe, headline) for every row the run's probes declared, in the order of the results."""
    return [(r.probe, h) for r in summary.results for h in r.headlines]


def metric_help(summary: RunSummary) -> dict[tuple[str, str], Headline]:
    """(probe, metric name) -> the headline that describes it (for the methods section)."""
    out: dict[tuple[str, str], Headline] = {}
    for probe, h in declared(summary):
        for n in h.names:
            out.setdefault((probe, n), h)
    return out
