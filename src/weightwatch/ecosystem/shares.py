"""Download shares by country and by organisation, credited two ways, with concentration (HHI).

Views:
- `uploader`: a model's downloads go to the account that uploaded it (what the MIT/Hugging Face study
  appears to do): a community quantization of Qwen counts for the quantizer's country.
- `root`: a model's downloads go to the root of its base-model chain (lineage.py): the same
  quantization counts for Qwen's country.

- `developer`: a model's downloads go to the account that developed it: its uploader, EXCEPT that
  quantizations (`base_model_relation: quantized`, or a `base_model:quantized:` tag) and anything
  uploaded by an account marked `reuploader: true` in the origin table (unsloth, bartowski, TheBloke,
  ...) go to one bucket, `community` ("unaffiliated community"): re-uploading or quantizing a model
  is not developing it, and the re-uploader's own country says nothing about the model.

Metrics:
- `downloads_30d`: the Hub's `downloads` (last 30 days);
- `downloads_all_time`: `downloadsAllTime`;
- `new_12m_all_time` / `new_12m_30d`: the same, only for models created in the 12 months before the
  snapshot was taken (the study's "new models" framing). Models with no creation date are counted in
  `models_no_date`, not silently dropped.
- `window`: downloads between two snapshots, from the difference of all-time counters (`window_models`).

Shares are exact tallies of the snapshot (computed as fractions, reported as floats): they are a census
of the models listed, not an estimate, so they carry counts, not confidence intervals. Models whose
download count is missing contribute nothing to the totals and are counted in `models_no_downloads`.
Unknown origins are a row of their own (`unknown`), never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel

from weightwatch.ecosystem.lineage import Lineage, resolve
from weightwatch.ecosystem.models import HubModel
from weightwatch.ecosystem.origins import COMMUNITY, UNKNOWN, Origin, country_name, org_of, origin_of

View = Literal["uploader", "root", "developer"]
Metric = Literal["downloads_30d", "downloads_all_time", "new_12m_all_time", "new_12m_30d", "window"]
By = Literal["country", "org"]
VIEWS: tuple[View, ...] = ("uploader", "root", "developer")
METRICS: tuple[Metric, ...] = ("downloads_30d", "downloads_all_time", "new_12m_all_time", "new_12m_30d")


class ShareRow(BaseModel):
    key: str            # country code or organisation; "unknown" when not known
    label: str
    downloads: int
    models: int         # models credited here (including those with no download count)
    share: float        # downloads / table total (0 when the total is 0)


class ShareTable(BaseModel):
    view: View
    metric: Metric
    by: By
    total: int                  # downloads summed over every credited model
    rows: list[ShareRow]        # by downloads, largest first; "unknown" last
    models_counted: int         # models in scope (all, or created in the last 12 months)
    models_no_downloads: int    # in scope but the Hub gave no download count
    models_no_date: int         # left out of a 12-month metric because the creation date is unknown
    hhi: float | None           # Herfindahl-Hirschman index on the 0-10,000 scale, unknown excluded
    hhi_known_share: float      # the share of downloads the HHI is computed over (known keys)

    def fraction(self, key: str) -> Fraction:
        """The exact share of `key` (0 when absent)."""
        for r in self.rows:
            if r.key == key:
                return Fraction(r.downloads, self.total) if self.total else Fraction(0)
        return Fraction(0)

    def row(self, key: str) -> ShareRow | None:
        return next((r for r in self.rows if r.key == key), None)


class Credit(BaseModel):
    """Who a model's downloads are credited to, in one view."""
    org: str
    origin: Origin


def one_year_before(ref: datetime) -> datetime:
    try:
        return ref.replace(year=ref.year - 1)
    except ValueError:  # 29 February
        return ref.replace(year=ref.year - 1, day=28)


def credits(models: list[HubModel], origins: dict[str, Origin],
            lineage: dict[str, Lineage] | None = None) -> dict[View, dict[str, Credit]]:
    """For every model: the organisation and origin credited in each view."""
    lineage = lineage if lineage is not None else resolve(models)
    by_id = {m.model_id: m for m in models}
    out: dict[View, dict[str, Credit]] = {"uploader": {}, "root": {}, "developer": {}}
    community = Credit(org=COMMUNITY, origin=Origin(org=COMMUNITY, country=COMMUNITY, kind="community"))
    for m in models:
        up = org_of(m.model_id, m.author)
        out["uploader"][m.model_id] = Credit(org=up or UNKNOWN, origin=origin_of(up, origins))
        reupload = m.base_model_relation == "quantized" or out["uploader"][m.model_id].origin.reuploader
        out["developer"][m.model_id] = community if reupload else out["uploader"][m.model_id]
        lin = lineage[m.model_id]
        if lin.root_id is None:
            out["root"][m.model_id] = Credit(org=UNKNOWN, origin=Origin(org=UNKNOWN))
        else:
            root_model = by_id.get(lin.root_id)
            ro = org_of(lin.root_id, root_model.author if root_model else None)
            out["root"][m.model_id] = Credit(org=ro or UNKNOWN, origin=origin_of(ro, origins))
    return out


def _value(m: HubModel, metric: Metric) -> int | None:
    return m.downloads_30d if metric in ("downloads_30d", "new_12m_30d") else m.downloads_all_time


class WindowStats(BaseModel):
    """How the models of two snapshots were matched for windowed downloads."""
    start: datetime
    end: datetime
    matched: int            # in both snapshots: window = all-time(end) - all-time(start)
    new: int                # only in the later one, created after the earlier was taken: all their downloads
    no_baseline: int        # only in the later one but older than the earlier snapshot: left out (not listed then)
    gone: int               # only in the earlier one (deleted, renamed, or no longer within the listing)
    decreased: int          # all-time count went down (a Hub correction): counted as 0, shown here
    missing_count: int      # a side without an all-time count: left out


def window_models(start: list[HubModel], start_time: datetime, end: list[HubModel],
                  end_time: datetime) -> tuple[list[HubModel], WindowStats]:
    """The later snapshot's models with `downloads_all_time` replaced by the downloads between the two
    snapshots (difference of all-time counters): the Hub keeps no history, so two snapshots of one's own
    are the only way to count downloads in a window. Models that cannot be windowed are left out and
    counted in the stats, never guessed."""
    before = {m.model_id: m for m in start}
    out: list[HubModel] = []
    matched = new = no_base = decreased = missing = 0
    for m in end:
        old = before.get(m.model_id)
        if old is None:
            if m.created_at is not None and m.created_at >= start_time and m.downloads_all_time is not None:
                new += 1
                out.append(m.model_copy(update={"downloads_all_time": m.downloads_all_time}))
            else:
                no_base += 1
            continue
        if old.downloads_all_time is None or m.downloads_all_time is None:
            missing += 1
            continue
        delta = m.downloads_all_time - old.downloads_all_time
        if delta < 0:
            decreased += 1
            delta = 0
        matched += 1
        out.append(m.model_copy(update={"downloads_all_time": delta}))
    gone = len(set(before) - {m.model_id for m in end})
    return out, WindowStats(start=start_time, end=end_time, matched=matched, new=new, no_baseline=no_base,
                            gone=gone, decreased=decreased, missing_count=missing)


def share_table(models: list[HubModel], credit: dict[str, Credit], *, view: View, metric: Metric, by: By,
                reference_time: datetime) -> ShareTable:
    cutoff = one_year_before(reference_time)
    totals: dict[str, int] = {}
    counts: dict[str, int] = {}
    labels: dict[str, str] = {}
    in_scope = no_dl = no_date = 0
    for m in models:
        if metric.startswith("new_12m"):  # (the window metric takes every model it is given)
            if m.created_at is None:
                no_date += 1
                continue
            if not (cutoff <= m.created_at <= reference_time):
                continue
        in_scope += 1
        c = credit[m.model_id]
        if by == "country":
            key = c.origin.country
            labels.setdefault(key, country_name(key))
        else:
            key = c.org if c.org == UNKNOWN else c.org.lower()
            labels.setdefault(key, c.origin.org if c.origin.known else c.org)
        v = _value(m, metric)
        counts[key] = counts.get(key, 0) + 1
        totals[key] = totals.get(key, 0) + (v or 0)
        if v is None:
            no_dl += 1
    total = sum(totals.values())
    rows = [ShareRow(key=k, label=labels[k], downloads=d, models=counts[k],
                     share=float(Fraction(d, total)) if total else 0.0) for k, d in totals.items()]
    rows.sort(key=lambda r: (r.key == UNKNOWN, -r.downloads, r.key))
    known = {k: d for k, d in totals.items() if k != UNKNOWN}
    known_total = sum(known.values())
    hhi = (float(sum(Fraction(d, known_total) ** 2 for d in known.values()) * 10000) if known_total else None)
    return ShareTable(view=view, metric=metric, by=by, total=total, rows=rows, models_counted=in_scope,
                      models_no_downloads=no_dl, models_no_date=no_date, hhi=hhi,
                      hhi_known_share=float(Fraction(known_total, total)) if total else 0.0)


def all_tables(models: list[HubModel], origins: dict[str, Origin], reference_time: datetime,
               lineage: dict[str, Lineage] | None = None,
               metrics: Iterable[Metric] = METRICS) -> list[ShareTable]:
    """Every (view, metric, by) table over `models`."""
    cr = credits(models, origins, lineage)
    return [share_table(models, cr[view], view=view, metric=metric, by=by, reference_time=reference_time)
            for by in ("country", "org") for view in VIEWS for metric in metrics]


class SeriesPoint(BaseModel):
    snapshot_id: int
    taken_at: datetime
    view: View
    total: int
    shares: dict[str, float]    # country -> share of 30-day downloads


def series(snapshots: Iterable[tuple[int, datetime, list[HubModel]]], origins: dict[str, Origin]) -> list[SeriesPoint]:
    """Country shares of 30-day downloads across snapshots, both views: the Hub keeps no download
    history, so a time series exists only as far as one's own snapshots go."""
    out: list[SeriesPoint] = []
    for sid, taken, models in snapshots:
        cr = credits(models, origins)
        for view in VIEWS:
            t = share_table(models, cr[view], view=view, metric="downloads_30d", by="country",
                            reference_time=taken)
            out.append(SeriesPoint(snapshot_id=sid, taken_at=taken, view=view, total=t.total,
                                   shares={r.key: r.share for r in t.rows}))
    return out
