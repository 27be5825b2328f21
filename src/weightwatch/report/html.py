"""The self-contained HTML report: one file, works offline, every piece of model text escaped.

- jinja2 with autoescape on; `|safe` is used only for our own SVG (built in charts.py, which escapes
  every label), our own CSS/JS, the JSON data block (escaped here), and the ecosystem's adoption
  fragment (escaped by its producer).
- The drill-down rows travel as JSON in `<script type="application/json">` (never executed) with
  `<`, `>`, `&`, U+2028 and U+2029 escaped, and are drawn by report.js with textContent only.
- A Content-Security-Policy meta tag forbids every external load and any script or style but ours
  (allowed by their sha256 hashes), so even a slip in escaping could not run injected code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from weightwatch import __version__
from weightwatch.ecosystem.report import adoption_html_section, latest_adoption
from weightwatch.report.figures import build_figures
from weightwatch.report.headlines import metric_help
from weightwatch.report.methods import judge_lines, mde_lines, row_methods, run_lines, scorer_lines
from weightwatch.report.readable import human_span, human_time, readable_version
from weightwatch.report.summary import (
    comparison_text,
    dims_text,
    drill_rows,
    fmt_ci,
    fmt_p,
    fmt_value,
    power_notes,
    scorecard,
    target_labels,
    undecided,
    undecided_text,
)
from weightwatch.types import Metric, RunSummary, ScoredSample

COLUMNS = ["target", "probe", "item", "variant", "sample", "topic", "language", "condition", "label", "judges",
           "facts", "flags", "findings", "extra", "prompt", "response", "reasoning", "error"]


# ProbeResult.tables names shown under "Judge calibration and scanner calibration"
CALIBRATION_TABLES = ("calibration", "judge_calibration", "judge_accuracy", "scanner_calibration_table")


def _asset(name: str) -> str:
    return resources.files("weightwatch.report").joinpath("templates", name).read_text("utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def json_for_script(obj: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
            .replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _env() -> Environment:
    return Environment(loader=PackageLoader("weightwatch.report", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


def _metric_row(m: Metric) -> dict[str, str]:
    return {
        "name": m.name,
        "who": ((f"{m.target}: " if m.target else "") + " vs ".join(m.compare)) if m.compare else (m.target or ""),
        "dims": dims_text(m.dims),
        "value": fmt_value(m),
        "ci": fmt_ci(m),
        "n": str(m.n),
        "method": " / ".join(x for x in (m.ci_method, m.test) if x),
        "p": fmt_p(m.p_value),
        "p_adj": fmt_p(m.p_adjusted),
        "sig": "*" if m.significant else "",
        "note": m.note or "",
    }


def _table(rows: Any) -> dict[str, Any] | None:
    """A probe's extra table (list of flat dicts) as header + string rows; other shapes are skipped."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return None
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols and not isinstance(r[k], (dict, list)):
                cols.append(k)
    body = [[("" if r.get(c) is None else (f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c])))
             for c in cols] for r in rows[:200]]
    return {"cols": cols, "rows": body}


def adoption_section(journal_path: Path) -> str | None:
    """The ecosystem part's adoption fragment (escaped by its producer) when the journal holds a finished
    Hub snapshot; None otherwise. An optional section never breaks the report."""
    try:
        from weightwatch.ecosystem.origins import configured_origins

        # the user's [origins] from weightwatch.toml, exactly as `adoption report` uses them
        report = latest_adoption(journal_path, origins=configured_origins())
        return None if report is None else str(adoption_html_section(report))
    except Exception as exc:
        return (f'<section id="adoption"><h2>Adoption</h2><p class="warn">The adoption section could not be built: '
                f"{Markup.escape(type(exc).__name__)}: {Markup.escape(str(exc))}</p></section>")


def render_html(summary: RunSummary, rows: Iterable[ScoredSample] | list[dict[str, Any]],
                *, adoption_html: str | None = None) -> str:
    """The whole report as one HTML string. `rows` are scored samples (or ready drill rows);
    `adoption_html` is the ecosystem's (already escaped) adoption fragment, if any."""
    items: list[Any] = list(rows)
    scored: list[ScoredSample] = [x for x in items if isinstance(x, ScoredSample)]
    drill: list[dict[str, Any]] = (drill_rows(items) if items and isinstance(items[0], ScoredSample)
                                   else [dict(x) for x in items])
    labels = target_labels(summary)
    score_rows = scorecard(summary)
    figures = build_figures(summary, score_rows)

    card: list[dict[str, Any]] = []
    for r in score_rows:
        cells = []
        for t in labels:
            c = r.cells.get(t)
            m = c.metric if c else None
            sec = c.secondary if c else None
            cells.append({
                "value": (undecided_text(m) if m.test and undecided(m) else fmt_value(m)) if m else "–",
                "ci": fmt_ci(m), "n": m.n if m else "",
                "own_test": (f"{m.test}, {fmt_p(m.p_adjusted if m.p_adjusted is not None else m.p_value)}"
                             if m and m.test and m.p_value is not None else ""),
                "own_sig": bool(m and m.test and m.significant),
                "sec": (f"{r.headline.secondary_label or sec.name} {fmt_value(sec)} {fmt_ci(sec)}".strip()
                        if sec and sec.value is not None else ""),
                "sec_sig": bool(sec and sec.significant),
                "sec_test": (f"{sec.test}, {fmt_p(sec.p_adjusted if sec.p_adjusted is not None else sec.p_value)}"
                             if sec and sec.test else ""),
            })
        card.append({"label": r.label, "probe": r.probe, "cells": cells, "sig": r.significant,
                     "comparisons": [{"text": comparison_text(c), "sig": c.significant} for c in r.comparisons]})

    probes: list[dict[str, Any]] = []
    for res in summary.results:
        tables: list[dict[str, Any]] = []
        for name, value in res.tables.items():
            if name in CALIBRATION_TABLES:  # shown under Methods and trust
                continue
            tab = _table(value)
            if tab is not None:
                tables.append({"name": name, **tab})
        probes.append({"name": res.probe, "version": res.version, "version_text": readable_version(res.version),
                       "notes": res.notes, "warnings": res.warnings,
                       "metrics": [_metric_row(m) for m in res.metrics], "tables": tables})

    helps = metric_help(summary)
    methods = []
    for r in score_rows:
        h = r.headline
        methods.append({"key": r.key, "label": r.label, "probe": r.probe, "names": ", ".join(h.names),
                        "meaning": h.meaning, "test": row_methods(r)})
    other_names = sorted({(m.probe, m.name) for m in summary.metrics()} - set(helps))
    calibration: list[dict[str, Any]] = []
    for res in summary.results:
        for name in CALIBRATION_TABLES:
            cal = _table(res.tables.get(name))
            if cal is not None:
                calibration.append({"probe": res.probe, "name": name, **cal})
        cal_metrics = [m for m in res.metrics if "calibration" in m.name or m.name.startswith("judge_")]
        if cal_metrics:
            calibration.append({"probe": res.probe, "name": "judge metrics", "cols": ["metric", "dims", "value",
                                                                                       "95% interval", "n"],
                                "rows": [[m.name, dims_text(m.dims), fmt_value(m), fmt_ci(m), str(m.n)]
                                         for m in cal_metrics]})

    fingerprints: list[dict[str, Any]] = []
    for ts in summary.targets:
        fp = ts.fingerprint.model_dump(exclude_none=True)
        extra = fp.pop("extra", {}) or {}
        fp.update({f"extra.{k}": v for k, v in extra.items()})
        fp["id"] = ts.fingerprint.id()
        fingerprints.append({"label": ts.label, "kind": ts.kind, "samples": ts.samples, "errors": ts.errors,
                             "scoring_errors": ts.scoring_errors,
                             "tokens": f"{ts.prompt_tokens} in / {ts.completion_tokens} out",
                             "price": ", ".join(f"{k}={v:g}" for k, v in ts.price.items()),
                             "defaults": ", ".join(f"{k}={v}" for k, v in ts.defaults.items()),
                             "fields": [(k, str(v)) for k, v in fp.items() if v not in ("", None, [], {})]})

    css = _asset("report.css")
    js = _asset("report.js")
    # the adoption fragment brings its own <style> block: allowed by its hash, like ours
    styles = [css] + re.findall(r"<style>(.*?)</style>", adoption_html or "", flags=re.S)
    style_src = " ".join(f"'{_sha256(x)}'" for x in styles)
    csp = ("default-src 'none'; img-src data:; "
           f"style-src {style_src}; script-src '{_sha256(js)}'; base-uri 'none'; form-action 'none'")
    data = {"columns": COLUMNS, "rows": [[d.get(c, "") for c in COLUMNS] for d in drill]}
    counts: dict[str, int] = {}
    for d in drill:
        counts[d["target"]] = counts.get(d["target"], 0) + 1

    ctx = {
        "s": summary,
        "labels": labels,
        "card": card,
        "figures": figures,
        "probes": probes,
        "power": power_notes(summary, score_rows),
        "warnings": summary.warnings,
        "methods": methods,
        "run_lines": run_lines(summary),
        "scorer_lines": scorer_lines(scored),
        "judge_lines": judge_lines(summary),
        "mde": mde_lines(score_rows),
        "other_names": other_names,
        "calibration": calibration,
        "fingerprints": fingerprints,
        "rows_total": len(drill),
        "row_counts": counts,
        "generated": human_time(datetime.now(UTC)),
        "when": {"span": human_span(summary.created_at, summary.finished_at),
                 "started": human_time(summary.created_at),
                 "finished": human_time(summary.finished_at) if summary.finished_at else "not finished"},
        "version": __version__,
        "css": Markup(css),
        "js": Markup(js),
        "csp": csp,
        "data_json": Markup(json_for_script(data)),
        "adoption": Markup(adoption_html) if adoption_html else None,
    }
    return _env().get_template("report.html.j2").render(**ctx)


def html_text(journal: Any, run_id: str, summary: RunSummary | None = None) -> str:
    """The self-contained HTML report of run `run_id` (an exact id) as text."""
    summary = summary if summary is not None else journal.summary(run_id)
    return render_html(summary, journal.scored_samples(run_id), adoption_html=adoption_section(journal.path))


def write_html(journal: Any, run_id: str, path: Path, summary: RunSummary | None = None) -> Path:
    """Render run `run_id` of `journal` (a weightwatch.engine.journal.Journal) to `path`; returns the path.
    `summary`: the run's summary as loaded by `weightwatch.api.load_summary` (default: as stored)."""
    run_id = journal.resolve_run(run_id)
    text = html_text(journal, run_id, summary)
    path = Path(path)
    if path.is_dir():
        path = path / f"weightwatch-report-{run_id}.html"
    from weightwatch.datafiles import written_whole

    with written_whole(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path.resolve()
