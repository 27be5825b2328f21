"""Inline SVG charts, generated in Python: no chart library, no script, nothing fetched.

Every piece of text that reaches an SVG (target labels, topics, conditions) is escaped here with
html.escape; the template inserts the finished SVG with |safe, so these functions are the only place
that builds markup, and they never receive model output.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ["#2a6fdb", "#e4572e", "#29a35a", "#8e44ad", "#f0a202", "#17becf", "#7f7f7f", "#bcbd22"]

Entry = tuple[str, float | None, float | None, float | None]  # (target, value, ci_low, ci_high)


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def legend(targets: Sequence[str]) -> str:
    parts = []
    for i, t in enumerate(targets):
        parts.append(f'<span class="lg"><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
                     f'fill="{color(i)}"/></svg> {_e(t)}</span>')
    return '<div class="legend">' + "".join(parts) + "</div>"


def ci_chart(groups: Sequence[tuple[str, Sequence[Entry]]], targets: Sequence[str], *, fmt: Callable[[float], str],
             title: str, lo: float = 0.0, hi: float | None = None, ref: dict[str, float] | None = None,
             width: int = 760, diverging: bool = False) -> str:
    """Horizontal bars with 95% interval whiskers, one group per metric / language / condition, one
    bar per target. `ref` draws a dashed reference tick per target (e.g. its baseline).

    `diverging=True` is for signed differences (gaps): the axis is symmetric around zero, zero is drawn
    and labelled, and bars grow left or right from it. Plain rates never share such an axis. The axis
    range is written on the SVG (`data-axis-min`, `data-axis-max`, `data-zero-x`) for tests. A zero-width
    interval (every observation equal) gets no whisker and says so."""
    label_w, value_w, bar_h, gap, top = 270, 170, 14, 12, 8
    vals = [v for _, es in groups for _, a, b, c in es for v in (a, b, c) if v is not None]
    if diverging:
        reach = max([abs(v) for v in vals] + [0.05]) * 1.1
        reach = min(1.0, reach) if all(abs(v) <= 1 for v in vals) else reach
        lo, hi = -reach, reach
    else:
        top_v: float = hi if hi is not None else (max(vals + [0.0]) * 1.1 or 1.0)
        hi = max([top_v] + vals)
        lo = min([lo] + vals)
    plot_w = width - label_w - value_w
    n_rows = sum(len(es) for _, es in groups)
    height = top + n_rows * bar_h + len(groups) * gap + 24

    def x(v: float) -> float:
        return label_w + (v - lo) / ((hi - lo) or 1.0) * plot_w

    zero = f' data-zero-x="{x(0):.1f}"' if lo <= 0 <= hi else ""
    out = [f'<svg class="chart{" diverging" if diverging else ""}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" '
           f'font-size="11" data-axis-min="{lo:.6g}" data-axis-max="{hi:.6g}"{zero}>',
           f"<title>{_e(title)}</title>"]
    for t in range(5):
        tick = lo + (hi - lo) * t / 4
        out.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{height - 20}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle" fill="#555">'
                   f'{_e(fmt(tick))}</text>')
    if lo < 0 < hi:
        out.append(f'<line class="zero" x1="{x(0):.1f}" y1="{top}" x2="{x(0):.1f}" y2="{height - 20}" '
                   f'stroke="#222" stroke-width="{2 if diverging else 1}"/>')
        if diverging:
            out.append(f'<text x="{x(0):.1f}" y="{height - 6}" text-anchor="middle" font-weight="bold" '
                       f'fill="#222">0</text>')
    y: float = top
    index = {t: i for i, t in enumerate(targets)}
    for group, entries in groups:
        gy = y
        short = group if len(group) <= 42 else group[:41] + "…"
        out.append(f'<text x="{label_w - 8}" y="{gy + bar_h * len(entries) / 2 + 4:.1f}" text-anchor="end" '
                   f'font-weight="bold" fill="#222"><title>{_e(group)}</title>{_e(short)}</text>')
        for target, v, ci_a, ci_b in entries:
            a, b = ci_a, ci_b
            c = color(index.get(target, 0))
            if v is not None:
                x0 = x(max(lo, 0.0)) if lo <= 0 else x(lo)
                x1 = x(v)
                out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 2}" width="{max(abs(x1 - x0), 1.0):.1f}" '
                           f'height="{bar_h - 4}" fill="{c}" fill-opacity="0.75"><title>{_e(target)}: '
                           f'{_e(fmt(v))}</title></rect>')
                if a is not None and b is not None and a == b:
                    a = b = None  # a zero-width interval: the resampled values did not vary, nothing to draw
                    degenerate = True
                else:
                    degenerate = False
                if a is not None and b is not None:
                    ym = y + bar_h / 2
                    out.append(f'<line x1="{x(a):.1f}" y1="{ym:.1f}" x2="{x(b):.1f}" y2="{ym:.1f}" stroke="#111"/>')
                    for e in (a, b):
                        out.append(f'<line x1="{x(e):.1f}" y1="{y + 3}" x2="{x(e):.1f}" y2="{y + bar_h - 3}" '
                                   f'stroke="#111"/>')
                txt = fmt(v) + (f" [{fmt(a)}, {fmt(b)}]" if a is not None and b is not None
                                else " (no interval: no spread)" if degenerate else "")
                out.append(f'<text x="{width - value_w + 6}" y="{y + bar_h - 3}" fill="#333">{_e(txt)}</text>')
            else:
                out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" fill="#999">no data</text>')
            if ref and target in ref:
                rx = x(ref[target])
                out.append(f'<line x1="{rx:.1f}" y1="{y}" x2="{rx:.1f}" y2="{y + bar_h}" stroke="#000" '
                           f'stroke-dasharray="2,2" stroke-width="2"/>')
            y += bar_h
        y += gap
    out.append("</svg>")
    return "".join(out)


MIN_N = 20  # heat-map cells with fewer responses are hatched and say "n too small"
SOLID_N = 100  # from this many responses on, a cell's colour is fully saturated


def _heat(v: float) -> str:
    v = min(1.0, max(0.0, v))
    r, g, b = 255, int(255 - 180 * v), int(255 - 200 * v)
    return f"#{r:02x}{g:02x}{b:02x}"


def cell_opacity(n: int) -> float:
    """How strongly a heat-map cell is coloured: grows with n (sqrt, as interval widths shrink), from 0.35
    at MIN_N to 1.0 at SOLID_N, so a value resting on few responses never looks as sure as one on many."""
    if n >= SOLID_N:
        return 1.0
    return round(0.35 + 0.65 * max(0.0, (math.sqrt(n) - math.sqrt(MIN_N)) / (math.sqrt(SOLID_N) - math.sqrt(MIN_N))),
                 3)


def heatmap(rows: Sequence[str], cols: Sequence[str], cells: dict[tuple[str, str], tuple[float, float | None,
            float | None, int]], *, title: str, fmt: Callable[[float], str], min_n: int = MIN_N) -> str:
    """Rows = targets, columns = topics; colour = value in [0, 1], its strength tied to n, and the cell's
    95% interval drawn as a bar across the cell (wider interval, wider bar). Cells with fewer than `min_n`
    responses are hatched grey with "n too small" (value and interval in the tooltip)."""
    cell_w, cell_h, top = 86, 34, 70
    label_w = max(170, 16 + 7 * max((len(r) for r in rows), default=0))  # room for the longest row label
    width = label_w + cell_w * len(cols) + 10
    height = top + cell_h * len(rows) + 10
    pid = "hatch-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]
    out = [f'<svg class="chart heat" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" font-size="11" data-min-n="{min_n}">',
           f"<title>{_e(title)}</title>",
           f'<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" '
           f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/>'
           f'<line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="2"/></pattern></defs>']
    for j, c in enumerate(cols):
        cx = label_w + j * cell_w + cell_w / 2
        out.append(f'<text x="{cx:.1f}" y="{top - 8}" text-anchor="start" transform="rotate(-30 {cx:.1f} '
                   f'{top - 8})" fill="#222">{_e(c)}</text>')
    for i, r in enumerate(rows):
        y = top + i * cell_h
        out.append(f'<text x="{label_w - 8}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" fill="#222">{_e(r)}</text>')
        for j, c in enumerate(cols):
            x = label_w + j * cell_w
            cell = cells.get((r, c))
            if cell is None:
                out.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#f4f4f4"/>')
                continue
            v, a, b, n = cell
            interval = f" [{fmt(a)}, {fmt(b)}]" if a is not None and b is not None and a != b else (
                " (no interval: no spread)" if a is not None and a == b else "")
            tip = f"{r} / {c}: {fmt(v)}{interval} n={n}"
            if n < min_n:
                out.append(f'<rect class="cell small-n" data-n="{n}" x="{x}" y="{y}" width="{cell_w - 2}" '
                           f'height="{cell_h - 2}" fill="url(#{pid})"><title>{_e(tip)}: fewer than {min_n} '
                           f"responses</title></rect>")
                out.append(f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="middle" '
                           f'fill="#333" font-size="10">n too small</text>')
                continue
            op = cell_opacity(n)
            out.append(f'<rect class="cell" data-n="{n}" x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                       f'fill="{_heat(v)}" fill-opacity="{op}"><title>{_e(tip)}</title></rect>')
            if a is not None and b is not None and a != b:
                x0 = x + 4 + (cell_w - 10) * min(1.0, max(0.0, a))
                x1 = x + 4 + (cell_w - 10) * min(1.0, max(0.0, b))
                out.append(f'<line class="ci" x1="{x0:.1f}" y1="{y + cell_h - 7}" x2="{x1:.1f}" y2="{y + cell_h - 7}" '
                           f'stroke="#333" stroke-width="2"/>')
            out.append(f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 1:.1f}" text-anchor="middle" '
                       f'fill="{"#fff" if v * op > 0.6 else "#111"}">{_e(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)


def scatter(points: Sequence[tuple[str, float, float, float | None, float | None]], targets: Sequence[str], *,
            x_label: str, y_label: str, title: str, log_x: bool = False,
            fmt_x: Callable[[float], str] = lambda v: f"{v:.3g}", width: int = 560, height: int = 320) -> str:
    """(target, x, y, y_low, y_high) points with vertical interval bars; y is a rate in [0, 1]."""
    pl, pr, pt, pb = 56, 150, 14, 44
    xs = [math.log10(p[1]) if log_x and p[1] > 0 else p[1] for p in points]
    x_lo, x_hi = min(xs), max(xs)
    if x_hi - x_lo < 1e-12:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    span = x_hi - x_lo
    x_lo, x_hi = x_lo - 0.12 * span, x_hi + 0.12 * span
    if not log_x:
        x_lo = min(x_lo, 0.0) if x_lo < 0.12 * span else x_lo

    def px(v: float) -> float:
        return pl + (v - x_lo) / (x_hi - x_lo) * (width - pl - pr)

    def py(v: float) -> float:
        return height - pb - v * (height - pt - pb)

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" font-size="11">',
           f"<title>{_e(title)}</title>",
           f'<line x1="{pl}" y1="{height - pb}" x2="{width - pr}" y2="{height - pb}" stroke="#444"/>',
           f'<line x1="{pl}" y1="{pt}" x2="{pl}" y2="{height - pb}" stroke="#444"/>']
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{pl}" y1="{py(v):.1f}" x2="{width - pr}" y2="{py(v):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{pl - 6}" y="{py(v) + 4:.1f}" text-anchor="end" fill="#555">{v:.0%}</text>')
    for t in range(5):
        v = x_lo + (x_hi - x_lo) * t / 4
        shown = 10 ** v if log_x else v
        out.append(f'<text x="{px(v):.1f}" y="{height - pb + 14}" text-anchor="middle" fill="#555">'
                   f"{_e(fmt_x(shown))}</text>")
    index = {t: i for i, t in enumerate(targets)}
    for (label, xv, yv, ylo, yhi), x in zip(points, xs, strict=True):
        c = color(index.get(label, 0))
        cx, cy = px(x), py(yv)
        if ylo is not None and yhi is not None:
            out.append(f'<line x1="{cx:.1f}" y1="{py(ylo):.1f}" x2="{cx:.1f}" y2="{py(yhi):.1f}" stroke="{c}" '
                       f'stroke-width="2"/>')
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{c}"><title>{_e(label)}: '
                   f'{_e(fmt_x(xv))}, {yv:.1%}</title></circle>')
        out.append(f'<text x="{cx + 8:.1f}" y="{cy - 6:.1f}" fill="#222">{_e(label)}</text>')
    out.append(f'<text x="{(pl + width - pr) / 2:.0f}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>')
    mid = (pt + height - pb) / 2
    out.append(f'<text x="14" y="{mid:.0f}" text-anchor="middle" transform="rotate(-90 14 {mid:.0f})">'
               f"{_e(y_label)}</text>")
    out.append("</svg>")
    return "".join(out)
