"""Small accessible SVG charts rendered on the server: no JavaScript, no CDN. Each chart has a
title and a description for screen readers, and the page shows the figures in a table too."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None


def _frame(title: str, desc: str, width: int, height: int, body: str,
           uid: str = "chart") -> Markup:
    """The SVG around a chart; ``uid`` keeps its title and description ids unique when a page
    has more than one chart."""
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>'
        f'{body}</svg>')


def bar_chart(points: list[Point], title: str, *, unit: str = "", max_value: float | None = None,
              width: int = 640, height: int = 220, threshold: float | None = None,
              threshold_label: str = "") -> Markup:
    """Vertical bars, one per point, each with its figure above it (so a zero still shows);
    an optional dashed ``threshold`` line (England's figure, 90%...), labelled, and always
    inside the scale."""
    vals = [p.value for p in points if p.value is not None]
    if threshold is not None:
        vals.append(threshold)
    top = max_value or (max(vals) if vals else 1) or 1
    n = max(len(points), 1)
    pad_l, pad_b, pad_t = 36, 34, 10
    plot_w, plot_h = width - pad_l - 6, height - pad_b - pad_t
    bw = plot_w / n
    parts = [f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 6}" y2="{pad_t + plot_h}" '
             f'stroke="#5a6470"/>',
             f'<text x="2" y="{pad_t + 10}" font-size="11" fill="#5a6470">{top:g}{escape(unit)}</text>']
    for i, p in enumerate(points):
        x = pad_l + i * bw
        if p.value is not None:
            h = plot_h * min(p.value, top) / top
            parts.append(f'<rect x="{x + bw * 0.15:.1f}" y="{pad_t + plot_h - h:.1f}" '
                         f'width="{bw * 0.7:.1f}" height="{h:.1f}" fill="#1d4f91">'
                         f'<title>{escape(p.label)}: {p.value:g}{escape(unit)}</title></rect>')
            if n <= 24:
                parts.append(f'<text x="{x + bw / 2:.1f}" y="{pad_t + plot_h - h - 3:.1f}" '
                             f'font-size="10" text-anchor="middle" fill="#1b1f24">'
                             f'{p.value:g}{escape(unit)}</text>')
        if n <= 16 or i % max(1, n // 12) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 18}" font-size="10" '
                         f'text-anchor="middle" fill="#1b1f24">{escape(p.label)}</text>')
    if threshold is not None and threshold <= top:
        y = pad_t + plot_h - plot_h * threshold / top
        parts.append(f'<line class="threshold" x1="{pad_l}" y1="{y:.1f}" x2="{width - 6}" '
                     f'y2="{y:.1f}" stroke="#b3261e" stroke-width="2" stroke-dasharray="6 4"/>'
                     + (f'<text x="{width - 8}" y="{max(y - 4, 10):.1f}" font-size="11" '
                        f'text-anchor="end" fill="#b3261e">{escape(threshold_label)} '
                        f'{threshold:g}{escape(unit)}</text>' if threshold_label else ""))
    desc = "; ".join(f"{p.label}: {'no data' if p.value is None else f'{p.value:g}{unit}'}"
                     for p in points)
    if threshold is not None and threshold_label:
        desc += f"; {threshold_label}: {threshold:g}{unit}"
    return _frame(title, desc, width, height, "".join(parts))


def line_chart(points: list[Point], title: str, *, unit: str = "", min_value: float = 0,
               max_value: float | None = None, width: int = 640, height: int = 220) -> Markup:
    """A line through the points (gaps where a value is missing)."""
    vals = [p.value for p in points if p.value is not None]
    top = max_value or (max(vals) if vals else 1) or 1
    span = (top - min_value) or 1
    n = max(len(points) - 1, 1)
    pad_l, pad_b, pad_t = 36, 34, 10
    plot_w, plot_h = width - pad_l - 6, height - pad_b - pad_t
    parts = [f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 6}" y2="{pad_t + plot_h}" '
             f'stroke="#5a6470"/>',
             f'<text x="2" y="{pad_t + 10}" font-size="11" fill="#5a6470">{top:g}{escape(unit)}</text>',
             f'<text x="2" y="{pad_t + plot_h}" font-size="11" fill="#5a6470">{min_value:g}</text>']
    path, pen = [], "M"
    for i, p in enumerate(points):
        x = pad_l + plot_w * i / n
        if p.value is None:
            pen = "M"
            continue
        y = pad_t + plot_h - plot_h * (p.value - min_value) / span
        path.append(f"{pen}{x:.1f},{y:.1f}")
        pen = "L"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1d4f91">'
                     f'<title>{escape(p.label)}: {p.value:g}{escape(unit)}</title></circle>')
        if len(points) <= 16 or i % max(1, len(points) // 12) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 18}" font-size="10" '
                         f'text-anchor="middle">{escape(p.label)}</text>')
    if path:
        parts.insert(0, f'<path d="{" ".join(path)}" fill="none" stroke="#1d4f91" stroke-width="2"/>')
    desc = "; ".join(f"{p.label}: {'no data' if p.value is None else f'{p.value:g}{unit}'}"
                     for p in points)
    return _frame(title, desc, width, height, "".join(parts))


def sparkline(values: list[float | None], label: str, *, width: int = 72,
              height: int = 18) -> Markup:
    """A small line of a few figures (the last six terms) for a table cell, its figures in
    its label for screen readers; the last figure is marked with a dot."""
    present = [v for v in values if v is not None]
    words = ", ".join("no figure" if v is None else f"{v:g}" for v in values)
    aria = escape(f"{label}: {words}")
    if not present:
        return Markup('<span class="spark-none">no figures</span>')
    lo, hi = min(present), max(present)
    span = (hi - lo) or 1
    step = (width - 4) / max(len(values) - 1, 1)
    path, pen, last = [], "M", None
    for i, v in enumerate(values):
        if v is None:
            pen = "M"
            continue
        x, y = 2 + i * step, height - 2 - (height - 4) * ((v - lo) / span if hi > lo else 0.5)
        path.append(f"{pen}{x:.1f},{y:.1f}")
        pen, last = "L", (x, y)
    dot = f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2" fill="#1d4f91"/>' if last else ""
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{aria}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{aria}</title><path d="{" ".join(path)}" fill="none" stroke="#1d4f91" '
        f'stroke-width="1.5"/>{dot}</svg>')


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    emphasis: bool = False  # drawn thick and dashed (the trust median)


# colours that stay apart for the common colour-vision differences (Okabe and Ito), each with
# its own dash pattern, so a line is told by its pattern and end label as well as its colour
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8C564B")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def multi_line_chart(labels: list[str], series: list[Series], title: str, *, unit: str = "",
                     width: int = 720, height: int = 300, uid: str = "trend") -> Markup:
    """One line per series over the same labels (terms), each named at its last point, with
    a key below; an emphasised series (the median) is black, thick and dashed."""
    vals = [v for s in series for v in s.values if v is not None]
    lo = min(0.0, min(vals)) if vals else 0.0
    top = (max(vals) if vals else 1) or 1
    span = (top - lo) or 1
    pad_l, pad_r, pad_b, pad_t = 40, 120, 34, 12
    plot_w, plot_h = width - pad_l - pad_r, height - pad_b - pad_t
    n = max(len(labels) - 1, 1)

    def xy(i, v):
        return pad_l + plot_w * i / n, pad_t + plot_h - plot_h * (v - lo) / span

    parts = [f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" '
             f'y2="{pad_t + plot_h}" stroke="#5a6470"/>',
             f'<text x="2" y="{pad_t + 10}" font-size="11" fill="#5a6470">{top:g}{escape(unit)}</text>',
             f'<text x="2" y="{pad_t + plot_h}" font-size="11" fill="#5a6470">{lo:g}</text>']
    for i, label in enumerate(labels):
        if len(labels) <= 9 or i % max(1, len(labels) // 8) == 0:
            x = pad_l + plot_w * i / n
            anchor = "start" if i == 0 else ("end" if i == len(labels) - 1 else "middle")
            parts.append(f'<text x="{x:.1f}" y="{height - 16}" font-size="10" '
                         f'text-anchor="{anchor}">{escape(label)}</text>')
    ends: list[list] = []  # [y, x, colour, name] of each line's last point, to label
    plain = 0
    for s in series:
        if s.emphasis:
            colour, dash, stroke = "#000000", "10 5", 3.5
        else:
            colour, dash, stroke = PALETTE[plain % len(PALETTE)], DASHES[plain % len(DASHES)], 2
            plain += 1
        path, pen, end = [], "M", None
        for i, v in enumerate(s.values):
            if v is None:
                pen = "M"
                continue
            x, y = xy(i, v)
            path.append(f"{pen}{x:.1f},{y:.1f}")
            pen, end = "L", (x, y)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                         f'<title>{escape(s.name)}, {escape(labels[i])}: {v:g}{escape(unit)}'
                         f'</title></circle>')
        if path:
            parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" '
                         f'stroke-width="{stroke}"'
                         + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            ends.append([end[1], end[0], colour, s.name])
    parts.extend(_end_labels(ends, pad_t, pad_t + plot_h))
    desc = "; ".join(
        f"{s.name}: " + ", ".join(f"{lab} {'no figure' if v is None else f'{v:g}{unit}'}"
                                  for lab, v in zip(labels, s.values)) for s in series)
    return _frame(title, desc, width, height, "".join(parts), uid=uid)


def _end_labels(ends: list[list], top: float, bottom: float, gap: float = 11) -> list[str]:
    """Each line's name beside its last point, nudged apart so that lines ending close
    together keep readable names (in the order of their points, top to bottom)."""
    ends.sort(key=lambda e: e[0])
    placed: list[float] = []
    for e in ends:
        y = max(e[0], placed[-1] + gap) if placed else e[0]
        placed.append(y)
    overflow = (placed[-1] - bottom) if placed else 0
    if overflow > 0:  # pushed below the plot: slide them all up, as far as the top allows
        placed = [max(top, y - overflow) for y in placed]
    return [f'<text x="{e[1] + 5:.1f}" y="{y + 4:.1f}" font-size="10" fill="{e[2]}">'
            f'{escape(e[3][:18])}</text>' for e, y in zip(ends, placed)]
