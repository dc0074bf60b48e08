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


def _frame(title: str, desc: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="t d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="t">{escape(title)}</title><desc id="d">{escape(desc)}</desc>{body}</svg>')


def bar_chart(points: list[Point], title: str, *, unit: str = "", max_value: float | None = None,
              width: int = 640, height: int = 220, threshold: float | None = None) -> Markup:
    """Vertical bars, one per point; an optional dashed ``threshold`` line (e.g. 90%)."""
    vals = [p.value for p in points if p.value is not None]
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
        if n <= 16 or i % max(1, n // 12) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{height - 18}" font-size="10" '
                         f'text-anchor="middle" fill="#1b1f24">{escape(p.label)}</text>')
    if threshold is not None and threshold <= top:
        y = pad_t + plot_h - plot_h * threshold / top
        parts.append(f'<line x1="{pad_l}" y1="{y:.1f}" x2="{width - 6}" y2="{y:.1f}" '
                     f'stroke="#b3261e" stroke-dasharray="4 3"/>')
    desc = "; ".join(f"{p.label}: {'no data' if p.value is None else f'{p.value:g}{unit}'}"
                     for p in points)
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
