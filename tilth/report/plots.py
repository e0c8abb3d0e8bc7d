"""The report's figures, drawn by hand as inline SVG from already-aggregated numbers (counts, bin edges).

Why not matplotlib: every run writes a report, and importing matplotlib alone took 0.5-2 s per run (plus
~0.1 s per figure) for what are four kinds of bar chart. Strings cost nothing, and inline SVG makes a smaller
page whose text is crisp and selectable. Each function returns one `<svg>` element that html.py puts straight
into the page; every text that comes from the data (steps, reasons, columns, domains) is XML-escaped here.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

KEPT, DROPPED, ACCENT, GRID, MUTED = "#4C78A8", "#E45756", "#222222", "#e5e5e5", "#666666"
SERIES = [KEPT, "#72B7B2", "#F58518", "#54A24B"]
FONT = 11  # px, tick and bar labels
WIDTH, HIST_WIDTH = 640, 460  # two histograms side by side on a 1000 px wide page
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML


def funnel(steps: list[tuple[str, int]]) -> str:
    """Rows remaining after each step, top to bottom, labelled with the count and share of the input."""
    first = steps[0][1] if steps and steps[0][1] else 1
    rows = [n for _, n in steps]
    return _hbars("Rows after each step", [_short(s, 40) for s, _ in steps],
                  [("rows", KEPT, rows, [f"{n:,} ({n / first:.0%})" for n in rows])], "rows out")


def reason_bars(drops: list[dict[str, Any]]) -> str:
    """Dropped rows per (step, reason kind)."""
    counts = [d["rows"] for d in drops]
    return _hbars("Dropped rows per step and reason", [f"{d['step']}: {_short(d['reason'], 50)}" for d in drops],
                  [("dropped", DROPPED, counts, [f"{n:,}" for n in counts])], "rows dropped")


def domains(series: dict[str, list[dict[str, Any]]]) -> str:
    """Share of rows per domain at one or more points of the run (e.g. input and output), side by side:
    shares, not counts, so a point with few rows left is still comparable."""
    names = list(dict.fromkeys(d["domain"] for items in series.values() for d in items))
    bars = []
    for k, (label, items) in enumerate(series.items()):
        shares = {d["domain"]: 100 * d["share"] for d in items}
        values = [shares.get(n, 0.0) for n in names]
        total = sum(d["rows"] for d in items)
        bars.append((f"{label} ({total:,} rows)", SERIES[k % len(SERIES)], values, [f"{v:.3g}%" for v in values]))
    return _hbars("Domain distribution", [_short(n, 40) for n in names], bars, "% of rows", integer=False, legend=True)


def histogram(hist: dict[str, Any], title: str, thresholds: list[tuple[str, str, Any]] = ()) -> str:
    """Stacked kept/dropped histogram with a vertical line per threshold ('min', '>=', 5)."""
    edges, kept = list(hist["edges"]), list(hist["kept"])
    dropped = list(hist.get("dropped") or [0] * len(kept))
    if len(edges) < 2 or not kept:
        return _empty(title, HIST_WIDTH)
    if not edges[-1] > edges[0]:  # all values equal: spread the bins over a unit around them
        edges = [edges[0] - 0.5 + i / len(kept) for i in range(len(kept) + 1)]
    lo, hi = edges[0], edges[-1]
    legend = ([("box", KEPT, "kept"), ("box", DROPPED, "dropped")] if any(dropped) else [])
    lines = []
    for param, direction, value in thresholds:
        label = f"{param}={value} (keep if {direction})"
        on = isinstance(value, int | float) and lo <= value <= hi
        legend.append(("dash", ACCENT, label) if on else ("", "", label + ", off scale"))
        if on:
            lines.append((param, value))
    yticks = _scale(max([k + d for k, d in zip(kept, dropped, strict=True)] + [0]))
    left = 22 + max(_width(_n(t)) for t in yticks) + 6
    right = HIST_WIDTH - 24
    out, y = _legend(left, 32, legend, right)
    top = y + (20 if lines else 6)  # room above the plot for the threshold names
    bottom = top + 170
    px = (right - left) / (hi - lo)

    def x(v: float) -> float:
        return left + (v - lo) * px

    def ys(n: float) -> float:
        return (bottom - top) * n / yticks[-1]

    out += _yaxis(left, right, top, bottom, yticks)
    for a, b, k, d in zip(edges[:-1], edges[1:], kept, dropped, strict=True):
        w = x(b) - x(a) - (1 if x(b) - x(a) > 3 else 0)  # a hairline gap between wide bars
        tip = f"{_n(a)} to {_n(b)}: {k:,} kept" + (f", {d:,} dropped" if d else "")
        for cls, color, n, base in (("kept", KEPT, k, 0), ("dropped", DROPPED, d, k)):
            if n:
                out.append(f'<rect class="{cls}" x="{_px(x(a))}" y="{_px(bottom - ys(base + n))}" width="{_px(w)}" '
                           f'height="{_px(ys(n))}" fill="{color}"><title>{_esc(tip)}</title></rect>')
    for param, value in lines:
        out.append(f'<line class="threshold" x1="{_px(x(value))}" x2="{_px(x(value))}" y1="{_px(top - 12)}" '
                   f'y2="{_px(bottom)}" stroke="{ACCENT}" stroke-width="1.5" stroke-dasharray="5 3"/>')
        near_right = x(value) > right - _width(param) - 6
        out.append(_text(x(value) + (-4 if near_right else 4), top - 5, param, "end" if near_right else "start",
                         fill=ACCENT))
    for t in _range_ticks(lo, hi):
        out.append(f'<line x1="{_px(x(t))}" x2="{_px(x(t))}" y1="{_px(bottom)}" y2="{_px(bottom + 4)}" '
                   f'stroke="{MUTED}"/>')
        out.append(_text(x(t), bottom + 15, _n(t), "middle", cls="tick"))
    out.append(_text((left + right) / 2, bottom + 32, hist["column"], "middle"))
    height = bottom + 40
    if above := hist.get("above", 0):
        note = f"last bin also holds {above:,} row{'s' * (above != 1)} > {_n(hist['top'])}"
        out.append(_text((left + right) / 2, bottom + 47, note, "middle", cls="note", fill=MUTED))
        height += 14
    out.append(_text(12, (top + bottom) / 2, "rows", "middle", transform=f"rotate(-90 12 {_px((top + bottom) / 2)})"))
    return _svg(HIST_WIDTH, height, title, out)


def lines(title: str, series: list[tuple[str, list[float], list[float]]], xlabel: str, ylabel: str,
          width: float = WIDTH) -> str:
    """Line chart, one line per (label, xs, ys) series, with a legend: training loss and mixture weights over
    steps. The y axis spans the data (a loss curve would be flat on a 0-based axis)."""
    series = [(name, xs, ys) for name, xs, ys in series if xs]
    if not series:
        return _empty(title, width)
    xs_all = [x for _, xs, _ in series for x in xs]
    ys_all = [y for _, _, ys in series for y in ys if y is not None and math.isfinite(y)]
    if not ys_all:
        return _empty(title, width)
    x_lo, x_hi = min(xs_all), max(xs_all)
    y_lo, y_hi = min(ys_all), max(ys_all)
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    yticks = _range_ticks(y_lo, y_hi) or [y_lo, y_hi]
    y_lo, y_hi = min(y_lo, yticks[0]), max(y_hi, yticks[-1])
    left = 30 + max(_width(_n(t)) for t in yticks)
    right = width - 16
    colors = [SERIES[i % len(SERIES)] if i < len(SERIES) else _EXTRA[i % len(_EXTRA)] for i in range(len(series))]
    out, y = _legend(left, 32, [("box", c, name) for (name, _, _), c in zip(series, colors, strict=True)], right)
    top, bottom = y + 4, y + 184

    def px(v: float) -> float:
        return left + (v - x_lo) * (right - left) / (x_hi - x_lo)

    def py(v: float) -> float:
        return bottom - (v - y_lo) * (bottom - top) / (y_hi - y_lo)

    for t in yticks:
        out.append(f'<line x1="{_px(left)}" x2="{_px(right)}" y1="{_px(py(t))}" y2="{_px(py(t))}" stroke="{GRID}"/>')
        out.append(_text(left - 5, py(t), _n(t), "end", cls="tick", dy="0.35em"))
    for t in _range_ticks(x_lo, x_hi):
        out.append(_text(px(t), bottom + 15, _n(t), "middle", cls="tick"))
    for (name, xs, ys), color in zip(series, colors, strict=True):
        pts = " ".join(f"{_px(px(a))},{_px(py(b))}" for a, b in zip(xs, ys, strict=True)
                       if b is not None and math.isfinite(b))
        out.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="1.6" points="{pts}">'
                   f'<title>{_esc(name)}</title></polyline>')
    out.append(f'<line class="axis" x1="{_px(left)}" x2="{_px(right)}" y1="{_px(bottom)}" y2="{_px(bottom)}" '
               f'stroke="{MUTED}"/>')
    out.append(_text((left + right) / 2, bottom + 32, xlabel, "middle"))
    out.append(_text(12, (top + bottom) / 2, ylabel, "middle", transform=f"rotate(-90 12 {_px((top + bottom) / 2)})"))
    return _svg(width, bottom + 42, title, out)


_EXTRA = ["#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC", "#EECA3B"]


def _hbars(title: str, labels: list[str], series: list[tuple[str, str, list[float], list[str]]], xlabel: str,
           integer: bool = True, legend: bool = False) -> str:
    """Horizontal bars, one group per label (top to bottom), one bar per series in a group, each with its
    value label; the width grows past WIDTH only when the labels need it."""
    if not labels or not series:
        return _empty(title, WIDTH)
    left = 16 + max(_width(s) for s in labels)
    right_room = 8 + max(_width(v) for _, _, _, vl in series for v in vl)
    width = max(WIDTH, left + 300 + right_room)
    right = width - right_room
    out, y = _legend(left, 32, [("box", c, name) for name, c, _, _ in series] if legend else [], right)
    bar = 16 if len(series) == 1 else 12
    group = bar * len(series) + 8
    top, bottom = y + 4, y + 4 + group * len(labels)
    xticks = _scale(max(v for _, _, values, _ in series for v in values), integer)
    px = (right - left) / xticks[-1]
    for t in xticks:
        out.append(f'<line x1="{_px(left + t * px)}" x2="{_px(left + t * px)}" y1="{_px(top)}" y2="{_px(bottom)}" '
                   f'stroke="{GRID}"/>')
        out.append(_text(left + t * px, bottom + 15, _n(t), "middle", cls="tick"))
    for i, label in enumerate(labels):
        y0 = top + i * group + 4
        out.append(_text(left - 6, y0 + group / 2 - 4, label, "end", cls="label", dy="0.35em"))
        for k, (_, color, values, value_labels) in enumerate(series):
            yb = y0 + k * bar
            out.append(f'<rect class="bar" x="{_px(left)}" y="{_px(yb)}" width="{_px(values[i] * px)}" '
                       f'height="{_px(bar - 2)}" fill="{color}"/>')
            out.append(_text(left + values[i] * px + 4, yb + (bar - 2) / 2, value_labels[i], cls="value",
                             dy="0.35em"))
    out.append(f'<line class="axis" x1="{_px(left)}" x2="{_px(left)}" y1="{_px(top)}" y2="{_px(bottom)}" '
               f'stroke="{MUTED}"/>')
    out.append(_text((left + right) / 2, bottom + 32, xlabel, "middle"))
    return _svg(width, bottom + 42, title, out)


def _yaxis(left: float, right: float, top: float, bottom: float, ticks: list[float]) -> list[str]:
    """Horizontal grid lines with count labels on the left, and the axis line."""
    out = []
    for t in ticks:
        y = bottom - (bottom - top) * t / ticks[-1]
        out.append(f'<line x1="{_px(left)}" x2="{_px(right)}" y1="{_px(y)}" y2="{_px(y)}" stroke="{GRID}"/>')
        out.append(_text(left - 5, y, _n(t), "end", cls="tick", dy="0.35em"))
    return out + [f'<line class="axis" x1="{_px(left)}" x2="{_px(right)}" y1="{_px(bottom)}" y2="{_px(bottom)}" '
                  f'stroke="{MUTED}"/>']


def _legend(x0: float, y: float, items: list[tuple[str, str, str]], right: float) -> tuple[list[str], float]:
    """Legend entries left to right, wrapping before `right`: a 'box' or 'dash' swatch (or none) and a label.
    Returns the elements and the y below the legend."""
    out, x = [], x0
    if not items:
        return out, y
    for swatch, color, label in items:
        w = (16 if swatch else 0) + _width(label) + 14
        if x > x0 and x + w > right:
            x, y = x0, y + 16
        if swatch == "box":
            out.append(f'<rect class="swatch" x="{_px(x)}" y="{_px(y - 5)}" width="10" height="10" fill="{color}"/>')
        elif swatch == "dash":
            out.append(f'<line class="swatch" x1="{_px(x)}" x2="{_px(x + 12)}" y1="{_px(y)}" y2="{_px(y)}" '
                       f'stroke="{color}" stroke-width="1.5" stroke-dasharray="4 2"/>')
        out.append(_text(x + (16 if swatch else 0), y, label, cls="legend", dy="0.35em"))
        x += w
    return out, y + 16


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg class="plot" width="{_px(width)}" height="{_px(height)}" viewBox="0 0 {_px(width)} {_px(height)}" '
            f'role="img" font-size="{FONT}"><title>{_esc(title)}</title>'
            + _text(width / 2, 16, title, "middle", cls="title", font_size=13, font_weight=600)
            + "".join(body) + "</svg>")


def _empty(title: str, width: float) -> str:
    return _svg(width, 60, title, [_text(width / 2, 42, "nothing to show", "middle", cls="note", fill=MUTED)])


def _text(x: float, y: float, s: Any, anchor: str = "start", cls: str = "", **attrs: Any) -> str:
    extra = (f' class="{cls}"' if cls else "") + "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{_px(x)}" y="{_px(y)}" text-anchor="{anchor}"{extra}>{_esc(s)}</text>'


def _scale(vmax: float, integer: bool = True) -> list[float]:
    """Ticks from 0 to the first round value >= vmax (the axis ends there); 0..1 when everything is 0."""
    vmax = vmax if vmax > 0 else 1
    step = _step(vmax, integer)
    return [i * step for i in range(math.ceil(vmax / step - 1e-9) + 1)]


def _range_ticks(lo: float, hi: float) -> list[float]:
    """Round values between lo and hi (lo < hi)."""
    step = _step(hi - lo, False)
    return [i * step for i in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]


def _step(span: float, integer: bool) -> float:
    """1, 2, (2.5,) 5 or 10 times a power of ten, giving about five ticks over `span`."""
    raw = span / 5
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in ((1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)) if m * mag >= raw * (1 - 1e-9))
    return max(step, 1.0) if integer else step


def _n(v: float) -> str:
    """Axis numbers: whole ones with thousands separators, others to 4 significant digits."""
    return f"{int(v):,}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:.4g}"


def _px(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _width(s: str, size: float = FONT) -> float:
    """Rough rendered width of a text (no font metrics here): 0.6 em per character, wide enough for DejaVu."""
    return 0.6 * size * len(s)


def _esc(s: Any) -> str:
    return escape(_CONTROL.sub("", str(s)))


def _short(s: str, n: int) -> str:
    s = str(s)
    return s if len(s) <= n else s[: n - 1] + "…"
