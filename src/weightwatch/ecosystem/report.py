"""The adoption report: one pydantic model, rendered to the terminal, to JSON and as an HTML section.

Every table is labelled with its exact definition and how it differs from the MIT / Hugging Face study
(`definitions.py`); the report says what share of all Hub downloads the snapshot covers (against the
latest census snapshot, when there is one); with an earlier snapshot taken with the same options it adds
windowed downloads (differences of all-time counters) in every view.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.table import Table

from weightwatch.ecosystem import lineage as lineage_mod
from weightwatch.ecosystem.definitions import METRICS as METRIC_DEFS
from weightwatch.ecosystem.definitions import STUDY, definitions, view_label
from weightwatch.ecosystem.definitions import VIEWS as VIEW_DEFS
from weightwatch.ecosystem.openness import LEVELS, assess, yes_no
from weightwatch.ecosystem.origins import Origin, load_origins, table_version
from weightwatch.ecosystem.shares import (
    METRICS,
    VIEWS,
    By,
    Metric,
    SeriesPoint,
    ShareTable,
    View,
    WindowStats,
    all_tables,
    credits,
    series,
    share_table,
    window_models,
)
from weightwatch.ecosystem.store import SnapshotRow, SnapshotStore
from weightwatch.errors import plain


def rx(text: str) -> str:
    """Hub text (model ids, licence names from model cards) for the terminal: no rich markup, no control
    characters (a terminal escape sequence in a card would act on the user's terminal)."""
    return _markup_escape(plain(text))

METRIC_LABELS: dict[str, str] = {
    "downloads_30d": "downloads, last 30 days",
    "downloads_all_time": "downloads, all time",
    "new_12m_all_time": "all-time downloads of models created in the 12 months before the snapshot",
    "new_12m_30d": "30-day downloads of models created in the 12 months before the snapshot",
    "window": "downloads between two snapshots (difference of all-time counts)",
}
VIEW_LABELS: dict[str, str] = {v: view_label(v) for v in VIEWS}
SHOWN_METRICS: tuple[Metric, ...] = ("downloads_30d", "downloads_all_time", "new_12m_all_time")


class SnapshotInfo(BaseModel):
    id: int
    taken_at: datetime
    status: str
    models: int
    pages: int
    params: dict[str, Any]


class LineageStats(BaseModel):
    self_root: int
    in_snapshot: int
    external: int
    cycle: int
    depth: int
    cycles: list[list[str]]     # the first few cycles, as chains


class OpennessRow(BaseModel):
    model_id: str
    downloads_30d: int | None
    uploader_country: str
    root_country: str
    license: str
    licence_class: str
    data_disclosed: bool
    code_linked: bool | None   # None: unknown (README not fetched)
    level: str


class LevelShare(BaseModel):
    level: str
    models: int
    downloads_30d: int
    share: float


class Coverage(BaseModel):
    """What share of all Hub downloads the snapshot's models hold, measured against a census snapshot."""
    downloads_30d: int
    downloads_all_time: int
    census_id: int | None = None
    census_taken_at: datetime | None = None
    census_models: int | None = None
    census_downloads_30d: int | None = None
    census_downloads_all_time: int | None = None
    share_30d: float | None = None
    share_all_time: float | None = None
    text: str = ""


class WindowSection(BaseModel):
    start_snapshot: int
    end_snapshot: int
    stats: WindowStats
    tables: list[ShareTable]        # by country, one per view: every model windowed
    new_tables: list[ShareTable] = []  # the same, only models created within the window (the study's "new")


class AdoptionReport(BaseModel):
    snapshot: SnapshotInfo
    origins_version: int
    tables: list[ShareTable]
    lineage: LineageStats
    series: list[SeriesPoint]
    openness: list[OpennessRow]
    openness_levels: list[LevelShare]
    notes: list[str]
    coverage: Coverage | None = None
    window: WindowSection | None = None
    definitions: dict[str, dict[str, str]] = {}
    cards_fetched: int = 0      # models whose README was read (openness: code link known)

    def table(self, view: View, metric: Metric, by: By) -> ShareTable:
        for t in self.tables:
            if t.view == view and t.metric == metric and t.by == by:
                return t
        raise KeyError((view, metric, by))


def is_census(snap: SnapshotRow) -> bool:
    """A snapshot of the whole model list: no limit, no author, no date filter."""
    p = snap.params
    return not p.get("limit") and not p.get("authors") and not p.get("since")


def coverage(store: SnapshotStore, snap: SnapshotRow, models: list[Any]) -> Coverage:
    d30 = sum(m.downloads_30d or 0 for m in models)
    dall = sum(m.downloads_all_time or 0 for m in models)
    cov = Coverage(downloads_30d=d30, downloads_all_time=dall)
    censuses = [s for s in store.snapshots("finished") if is_census(s)]
    if is_census(snap) and snap.status == "finished":
        cov.census_id, cov.census_taken_at, cov.census_models = snap.id, snap.started_at, len(models)
        cov.census_downloads_30d, cov.census_downloads_all_time = d30, dall
        cov.share_30d = cov.share_all_time = 1.0
        cov.text = (f"This snapshot is a census of the Hub's model list: {len(models):,} models, {d30:,} downloads "
                    f"in 30 days, {dall:,} all time (100% of what the Hub listed).")
        return cov
    if not censuses:
        cov.text = (f"The snapshot's models hold {d30:,} downloads in 30 days ({dall:,} all time). Their share of "
                    "all Hub downloads is unknown: no census snapshot in this journal (take one with "
                    "`weightwatch adoption snapshot --census`).")
        return cov
    c = min(censuses, key=lambda x: abs((x.started_at - snap.started_at).total_seconds()))
    cm = store.models(c.id)
    c30 = sum(m.downloads_30d or 0 for m in cm)
    call = sum(m.downloads_all_time or 0 for m in cm)
    cov.census_id, cov.census_taken_at, cov.census_models = c.id, c.started_at, len(cm)
    cov.census_downloads_30d, cov.census_downloads_all_time = c30, call
    cov.share_30d = d30 / c30 if c30 else None
    cov.share_all_time = dall / call if call else None
    days = abs((c.started_at - snap.started_at).days)
    cov.text = (f"The snapshot's {len(models):,} models hold {_pct(cov.share_30d or 0)} of all 30-day Hub downloads "
                f"and {_pct(cov.share_all_time or 0)} of all-time downloads, measured against census snapshot "
                f"{c.id} ({len(cm):,} models, {c30:,} downloads in 30 days, taken {c.started_at:%Y-%m-%d}"
                + (f", {days} days apart" if days else "") + ").")
    return cov


def _window(store: SnapshotStore, snap: SnapshotRow, models: list[Any], table: dict[str, Origin],
            window_from: str | int | None) -> WindowSection | None:
    if window_from in (None, "", "none"):
        return None
    if window_from == "previous":
        earlier = [s for s in store.snapshots("finished") if s.params == snap.params and s.id < snap.id]
        if not earlier:
            return None
        start = earlier[-1]
    else:
        start = store.resolve(window_from)
        if start.id >= snap.id:  # ids grow with time (started_at has one-second resolution)
            from weightwatch.errors import UserError

            raise UserError(f"--window {window_from}: snapshot {start.id} was not taken before snapshot {snap.id}",
                            "give an earlier snapshot (see: weightwatch adoption report --list)")
    windowed, stats = window_models(store.models(start.id), start.started_at, models, snap.started_at)
    cr = credits(windowed, table)
    tables = [share_table(windowed, cr[view], view=view, metric="window", by="country",
                          reference_time=snap.started_at) for view in VIEWS]
    fresh = [m for m in windowed if m.created_at is not None and m.created_at >= start.started_at]
    new_tables = [share_table(fresh, cr[view], view=view, metric="window", by="country",
                              reference_time=snap.started_at) for view in VIEWS]
    return WindowSection(start_snapshot=start.id, end_snapshot=snap.id, stats=stats, tables=tables,
                         new_tables=new_tables)


def build_report(store: SnapshotStore, ref: str | int | None = "latest", *,
                 origins: dict[str, Origin] | None = None, top: int = 20,
                 window_from: str | int | None = "previous") -> AdoptionReport:
    """The adoption report of one snapshot. `window_from`: the earlier snapshot for windowed downloads
    ('previous' = the latest earlier finished snapshot taken with the same options; None = no window)."""
    snap = store.resolve(ref)
    table = origins if origins is not None else load_origins()
    models = store.models(snap.id)
    lin = lineage_mod.resolve(models)
    tables = all_tables(models, table, snap.started_at, lin)
    cr = credits(models, table, lin)
    statuses = [x.status for x in lin.values()]
    cycles = [x.chain for x in lin.values() if x.status == "cycle"][:10]
    stats = LineageStats(self_root=statuses.count("self"), in_snapshot=statuses.count("in_snapshot"),
                         external=statuses.count("external"), cycle=statuses.count("cycle"),
                         depth=statuses.count("depth"), cycles=cycles)
    # Time series: every finished snapshot taken with the same parameters, oldest first.
    same = [s for s in store.snapshots("finished") if s.params == snap.params]
    ser = series(((s.id, s.started_at, store.models(s.id)) for s in same), table) if len(same) > 1 else []
    # Openness for every model; the table shows the top ones by 30-day downloads.
    assessed = {m.model_id: assess(m) for m in models}
    by_dl = sorted(models, key=lambda m: (-(m.downloads_30d or 0), m.model_id))
    rows = [OpennessRow(model_id=m.model_id, downloads_30d=m.downloads_30d,
                        uploader_country=cr["uploader"][m.model_id].origin.country,
                        root_country=cr["root"][m.model_id].origin.country,
                        license=assessed[m.model_id].license, licence_class=assessed[m.model_id].licence_class,
                        data_disclosed=assessed[m.model_id].data_disclosed,
                        code_linked=assessed[m.model_id].code_linked, level=assessed[m.model_id].level)
            for m in by_dl[:top]]
    total = sum(m.downloads_30d or 0 for m in models)
    levels = []
    for lv in LEVELS:
        ms = [m for m in models if assessed[m.model_id].level == lv]
        d = sum(m.downloads_30d or 0 for m in ms)
        levels.append(LevelShare(level=lv, models=len(ms), downloads_30d=d, share=d / total if total else 0.0))
    cards = sum(1 for m in models if m.card_text is not None)
    notes = [
        "Shares are exact tallies over the models in this snapshot (a census of what was listed, not an "
        "estimate), so they come with counts, not confidence intervals.",
        "The 12-month metrics count models created in the 12 months before the snapshot was taken.",
        "HHI is computed over known keys only (unknown excluded), on the 0-10,000 scale.",
        f"Openness: the README (where most models link their training code) was read for {cards} of "
        f"{len(models)} models; for the others 'code linked' is unknown, never 'no' "
        "(adoption snapshot --cards reads the READMEs of the most downloaded models).",
    ]
    if snap.params.get("limit"):
        notes.append(f"The snapshot kept at most {snap.params['limit']} models per listing (sorted by "
                     f"{snap.params.get('sort')}): shares are shares of those models, not of the whole Hub.")
    if stats.cycle:
        notes.append(f"{stats.cycle} model(s) sit on a base-model cycle: their root is unknown.")
    if snap.status != "finished":
        notes.append(f"Snapshot {snap.id} is {snap.status}: it holds only the pages fetched so far.")
    return AdoptionReport(
        snapshot=SnapshotInfo(id=snap.id, taken_at=snap.started_at, status=snap.status, models=snap.models,
                              pages=snap.pages, params=snap.params),
        origins_version=table_version(), tables=tables, lineage=stats, series=ser, openness=rows,
        openness_levels=levels, notes=notes, coverage=coverage(store, snap, models),
        window=_window(store, snap, models, table, window_from), definitions=definitions(), cards_fetched=cards)


# --- terminal -------------------------------------------------------------------------------------------

def latest_adoption(journal_path: Path, origins: dict[str, Origin] | None = None) -> AdoptionReport | None:
    """The adoption report of the journal's latest finished Hub snapshot; None when there is none (or the
    journal has no ecosystem tables). The run report calls this, never the tables."""
    try:
        store = SnapshotStore(journal_path)
    except Exception:
        return None
    try:
        if not store.snapshots("finished"):
            return None
        return build_report(store, "latest", origins=origins)
    finally:
        store.close()


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _country_table(title: str, tabs: list[ShareTable]) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("country")
    for tab in tabs:
        t.add_column(f"{tab.view}: share", justify="right")
        t.add_column("downloads (models)", justify="right")
    keys = list(dict.fromkeys(r.key for tab in tabs for r in tab.rows))
    for k in keys:
        cells = [rx(next((r.label for tab in tabs for r in tab.rows if r.key == k), k))]
        for tab in tabs:
            r = tab.row(k)
            cells += [_pct(r.share), f"{r.downloads:,} ({r.models})"] if r else ["0.0%", "0 (0)"]
        t.add_row(*cells)
    return t


def _definitions_text(metric: str) -> list[str]:
    d, diff = METRIC_DEFS[metric]
    return [f"Metric: {d} Differs from the study: {diff}"]


def preamble(report: AdoptionReport) -> list[tuple[str, str]]:
    """(kind, plain text) lines every rendering opens with: the snapshot, its coverage, the study it is
    compared with, and each crediting view's definition."""
    s = report.snapshot
    lines = [("snapshot", f"Snapshot {s.id} taken {s.taken_at:%Y-%m-%d %H:%M} UTC, {s.models} models ({s.status}); "
                          f"origin table v{report.origins_version}.")]
    if report.coverage is not None:
        lines.append(("coverage", report.coverage.text))
    lines.append(("study", f"Compared with: {STUDY}."))
    for view in VIEWS:
        d, diff = VIEW_DEFS[view]
        lines.append(("view", f"View '{view}' ({VIEW_LABELS[view]}): {d} Differs from the study: {diff}"))
    return lines


def print_report(report: AdoptionReport, console: Console, *, top: int = 10) -> None:
    for kind, text in preamble(report):
        style = {"snapshot": "bold", "coverage": ""}.get(kind, "dim")
        label = "Coverage: " if kind == "coverage" else ""
        console.print(f"[bold]{label}[/]" if label else "", rx(text), style=style, sep="")
    for metric in SHOWN_METRICS:
        tabs = [report.table(v, metric, "country") for v in VIEWS]
        t = _country_table(f"Share by origin country: {METRIC_LABELS[metric]}", tabs)
        up = tabs[0]
        t.caption = (f"total {up.total:,} downloads; {up.models_counted} models in scope, "
                     f"{up.models_no_downloads} without a download count"
                     + (f", {up.models_no_date} without a creation date" if metric.startswith("new") else "")
                     + "; HHI " + ", ".join(f"{tab.view} {_hhi(tab.hhi)}" for tab in tabs))
        console.print(t)
        for line in _definitions_text(metric):
            console.print(f"[dim]{rx(line)}[/]")
    if report.window is not None:
        w = report.window
        t = _country_table(f"Share by origin country: {METRIC_LABELS['window']}, snapshot {w.start_snapshot} "
                           f"({w.stats.start:%Y-%m-%d}) to {w.end_snapshot} ({w.stats.end:%Y-%m-%d})", w.tables)
        st = w.stats
        t.caption = (f"total {w.tables[0].total:,} downloads; {st.matched} models in both snapshots, {st.new} created "
                     f"in between, {st.no_baseline} left out (not listed in the earlier one), {st.gone} gone, "
                     f"{st.decreased} with a decreasing counter (counted as 0)")
        console.print(t)
        if w.new_tables and w.new_tables[0].total:
            console.print(_country_table("The same, only models created within the window (the study's 'new "
                                         "models')", w.new_tables))
        for line in _definitions_text("window"):
            console.print(f"[dim]{rx(line)}[/]")
    for view in VIEWS:
        ot = report.table(view, "downloads_30d", "org")
        t = Table(title=f"Top organisations by 30-day downloads, {VIEW_LABELS[view]}", title_justify="left")
        t.add_column("organisation")
        t.add_column("share", justify="right")
        t.add_column("downloads", justify="right")
        t.add_column("models", justify="right")
        for r in ot.rows[:top]:
            t.add_row(rx(r.label), _pct(r.share), f"{r.downloads:,}", str(r.models))
        t.caption = f"HHI {_hhi(ot.hhi)} over {len(ot.rows)} organisations"
        console.print(t)
    lin = report.lineage
    console.print(f"Lineage: {lin.self_root} own root, {lin.in_snapshot} root in snapshot, {lin.external} root "
                  f"outside the snapshot, {lin.cycle} on a cycle, {lin.depth} over the depth cap")
    if report.series:
        t = Table(title="30-day download share over snapshots (uploader view)", title_justify="left")
        t.add_column("snapshot")
        t.add_column("taken")
        countries = sorted({k for p in report.series for k in p.shares})
        for c in countries:
            t.add_column(c, justify="right")
        for p in report.series:
            if p.view == "uploader":
                t.add_row(str(p.snapshot_id), f"{p.taken_at:%Y-%m-%d}",
                          *[_pct(p.shares.get(c, 0.0)) for c in countries])
        console.print(t)
    t = Table(title="Openness of the most downloaded models", title_justify="left")
    for col in ("model", "30d downloads", "licence", "class", "data", "code", "level"):
        t.add_column(col)
    for o in report.openness[:top]:
        t.add_row(rx(o.model_id), f"{o.downloads_30d:,}" if o.downloads_30d is not None else "unknown", rx(o.license),
                  o.licence_class, yes_no(o.data_disclosed), yes_no(o.code_linked), o.level)
    t.caption = "; ".join(f"{lv.level}: {lv.models} models, {_pct(lv.share)} of 30-day downloads"
                          for lv in report.openness_levels)
    console.print(t)
    for n in report.notes:
        console.print(f"[dim]{rx(n)}[/]")


def _hhi(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.0f}"


def report_json(report: AdoptionReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True)


# --- HTML -----------------------------------------------------------------------------------------------

_CSS = """
.ww-adoption table{border-collapse:collapse;margin:.5em 0 1.2em}
.ww-adoption th,.ww-adoption td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;font-size:13px}
.ww-adoption td.n{text-align:right;font-variant-numeric:tabular-nums}
.ww-adoption caption{caption-side:bottom;font-size:12px;color:#555;text-align:left}
.ww-adoption .note{font-size:12px;color:#555}
"""


def _bar(share: float, color: str) -> str:
    w = max(0.0, min(1.0, share)) * 160
    return (f'<svg width="164" height="12" role="img" aria-label="{escape(_pct(share))}">'
            f'<rect x="0" y="1" width="160" height="10" fill="#eee"/>'
            f'<rect x="0" y="1" width="{w:.1f}" height="10" fill="{color}"/></svg>')


def _html_country_table(e: Any, title: str, tabs: list[ShareTable], caption: str, definition: str) -> list[str]:
    colors = {"uploader": "#4a7bd0", "root": "#d07a4a", "developer": "#4aa06a"}
    out = [f"<table><caption>{e(caption)} {e(definition)}</caption>",
           f"<thead><tr><th colspan={1 + 2 * len(tabs)}>{e(title)}</th></tr><tr><th>country</th>"
           + "".join(f"<th>{e(VIEW_LABELS[t.view])}</th><th></th>" for t in tabs) + "</tr></thead><tbody>"]
    keys = list(dict.fromkeys(r.key for t in tabs for r in t.rows))
    for k in keys:
        label = next((r.label for t in tabs for r in t.rows if r.key == k), k)
        cells = f"<td>{e(label)}</td>"
        for tab in tabs:
            r = tab.row(k)
            sh = r.share if r else 0.0
            cells += (f'<td class="n">{e(_pct(sh))} ({r.downloads if r else 0:,})</td>'
                      f"<td>{_bar(sh, colors.get(tab.view, '#4a7bd0'))}</td>")
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return out


def adoption_html_section(report: AdoptionReport, *, top: int = 10) -> str:
    """A self-contained HTML fragment (no script, inline CSS and SVG); every string from the Hub is escaped."""
    e = escape
    out = [f'<section class="ww-adoption" id="adoption"><style>{_CSS}</style>',
           "<h2>Adoption on the Hugging Face Hub</h2>"]
    for kind, text in preamble(report):
        if kind == "coverage":
            out.append(f'<p class="coverage"><b>Coverage:</b> {e(text)}</p>')
        else:
            out.append(f'<p class="note {kind}">{e(text)}</p>')
    for metric in SHOWN_METRICS:
        tabs = [report.table(v, metric, "country") for v in VIEWS]
        up = tabs[0]
        d, diff = METRIC_DEFS[metric]
        caption = (f"Total {up.total:,} downloads; {up.models_counted} models in scope, {up.models_no_downloads} "
                   "without a download count. HHI: " + ", ".join(f"{t.view} {_hhi(t.hhi)}" for t in tabs) + ".")
        out += _html_country_table(e, f"Share by origin country: {METRIC_LABELS[metric]}", tabs, caption,
                                   f"Definition: {d} Differs from the study: {diff}")
    if report.window is not None:
        w, st = report.window, report.window.stats
        d, diff = METRIC_DEFS["window"]
        caption = (f"Total {w.tables[0].total:,} downloads; {st.matched} models in both snapshots, {st.new} created in "
                   f"between, {st.no_baseline} left out (not listed in the earlier one), {st.gone} gone.")
        out += _html_country_table(e, f"Share by origin country: {METRIC_LABELS['window']}, snapshot "
                                      f"{w.start_snapshot} ({st.start:%Y-%m-%d}) to {w.end_snapshot} "
                                      f"({st.end:%Y-%m-%d})", w.tables, caption,
                                   f"Definition: {d} Differs from the study: {diff}")
        if w.new_tables and w.new_tables[0].total:
            out += _html_country_table(e, "The same, only models created within the window (the study's 'new "
                                          "models')", w.new_tables, f"Total {w.new_tables[0].total:,} downloads.",
                                       "")
    for view in VIEWS:
        ot = report.table(view, "downloads_30d", "org")
        out.append(f"<table><caption>HHI {_hhi(ot.hhi)} over {len(ot.rows)} organisations.</caption><thead><tr>"
                   f"<th colspan=4>Top organisations by 30-day downloads, {e(VIEW_LABELS[view])}</th></tr>"
                   "<tr><th>organisation</th><th>share</th><th></th><th>models</th></tr></thead><tbody>")
        for r in ot.rows[:top]:
            out.append(f'<tr><td>{e(r.label)}</td><td class="n">{e(_pct(r.share))}</td>'
                       f'<td>{_bar(r.share, "#4a7bd0" if view == "uploader" else "#d07a4a")}</td>'
                       f'<td class="n">{r.models}</td></tr>')
        out.append("</tbody></table>")
    if report.series:
        countries = sorted({k for p in report.series for k in p.shares})
        out.append("<table><caption>30-day download share by country over snapshots.</caption>"
                   "<thead><tr><th>snapshot</th><th>view</th>"
                   + "".join(f"<th>{e(c)}</th>" for c in countries) + "</tr></thead><tbody>")
        for p in report.series:
            out.append(f"<tr><td>{p.snapshot_id} ({e(p.taken_at.date().isoformat())})</td><td>{e(p.view)}</td>"
                       + "".join(f'<td class="n">{e(_pct(p.shares.get(c, 0.0)))}</td>' for c in countries)
                       + "</tr>")
        out.append("</tbody></table>")
    level_note = "; ".join(f"{lv.level}: {lv.models} models, {_pct(lv.share)} of 30-day downloads"
                           for lv in report.openness_levels)
    out.append(f"<table><caption>{e(level_note)}</caption>"
               "<thead><tr><th colspan=7>Openness of the most downloaded models</th></tr><tr><th>model</th>"
               "<th>30-day downloads</th><th>licence</th><th>class</th><th>data named</th><th>code linked</th>"
               "<th>level</th></tr></thead><tbody>")
    for o in report.openness[:top]:
        dl = f"{o.downloads_30d:,}" if o.downloads_30d is not None else "unknown"
        out.append(f'<tr><td>{e(o.model_id)}</td><td class="n">{e(dl)}</td><td>{e(o.license)}</td>'
                   f"<td>{e(o.licence_class)}</td><td>{yes_no(o.data_disclosed)}</td>"
                   f"<td>{yes_no(o.code_linked)}</td><td>{e(o.level)}</td></tr>")
    out.append("</tbody></table>")
    lin = report.lineage
    out.append(f'<p class="note">Lineage: {lin.self_root} models are their own root, {lin.in_snapshot} have a root '
               f"in the snapshot, {lin.external} a root outside it, {lin.cycle} sit on a base-model cycle, "
               f"{lin.depth} exceed the depth cap.</p>")
    out += [f'<p class="note">{e(n)}</p>' for n in report.notes]
    out.append("</section>")
    return "\n".join(out)


__all__ = ["AdoptionReport", "METRICS", "adoption_html_section", "build_report", "print_report", "report_json"]
