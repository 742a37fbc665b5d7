"""Horizontal bar charts as inline SVG (stacked; grouped, with target markers), for the
self-contained HTML reports.

Why not a chart library: the charts are horizontal bars, a few dozen lines of SVG; the
candidates are far heavier than the need (matplotlib pulls numpy and takes ~0.5 s to import, and
its SVG carries generated ids and metadata that make the file differ run to run), or emit a
JavaScript bundle that a self-contained, reproducible file should not embed. Every label and
title is data, escaped with html.esc.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from .html import esc
from .text import fmt_number

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288",
           "#117733", "#882255"]
NO_TIER_COLOUR = "#9E9E9E"
CHAR_W = 8.2  # a generous average width of a 12px sans-serif character, so labels are never cut


def svg_bars(rows: Sequence[tuple[Any, Sequence[float]]], series: list[str], colours: list[str], *, title: str,
             value_format: Callable[[float], str] = fmt_number, width: int = 720,
             row_colours: list[str] | None = None) -> str:
    """A horizontal (stacked, when there are several series) bar chart as inline SVG. Each segment
    has a tooltip; the row's total is written at the end of its bar; the legend wraps. With one
    series, `row_colours` may colour each row."""
    row_h, gap, top = 22, 6, 8
    labels = [str(label) if len(str(label)) <= 32 else str(label)[:31] + "\u2026" for label, _ in rows]
    label_w = int(min(32 * CHAR_W, 12 + CHAR_W * max([len(label) for label in labels] + [4])))
    bar_w = max(120, width - label_w - 90)
    legend: list[tuple[float, int, str, str]] = []  # (x, line, name, colour)
    if len(series) > 1:
        x, line = float(label_w), 0
        for name, colour in zip(series, colours):
            item_w = 24 + CHAR_W * len(name)
            if x + item_w > width and x > label_w:
                x, line = float(label_w), line + 1
            legend.append((x, line, name, colour))
            x += item_w
    legend_h = (legend[-1][1] + 1) * 20 + 4 if legend else 0
    height = top + len(rows) * (row_h + gap) + legend_h + 4
    largest = max([sum(values) for _, values in rows] + [0]) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" font-family="system-ui, Arial, sans-serif" '
           f'font-size="12"><title>{esc(title)}</title>']
    for i, ((label, values), shown) in enumerate(zip(rows, labels)):
        y = top + i * (row_h + gap)
        out.append(f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end">{esc(shown)}</text>')
        x = float(label_w)
        row = [row_colours[i]] if row_colours and len(series) == 1 else colours
        for name, colour, value in zip(series, row, values):
            if value <= 0:
                continue
            w = value / largest * bar_w
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{row_h}" fill="{esc(colour)}">'
                       f'<title>{esc(label)}: {esc(name + ": " if len(series) > 1 else "")}'
                       f'{esc(value_format(value))}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + row_h / 2 + 4}">{esc(value_format(sum(values)))}</text>')
    base = top + len(rows) * (row_h + gap) + 4
    for x, line, name, colour in legend:
        y = base + line * 20
        out.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{esc(colour)}"/>'
                   f'<text x="{x + 16:.1f}" y="{y + 10}">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def svg_grouped_bars(rows: Sequence[tuple[Any, Sequence[float | None], float | None]], series: list[str],
                     colours: list[str], *, title: str, scale: float | None = None,
                     value_format: Callable[[float], str] = fmt_number, marker_name: str = "target",
                     width: int = 720) -> str:
    """Horizontal bars grouped by row: one bar per series (a snapshot) in each row (a region),
    a None value drawn as no bar; `scale` fixes the axis's end (100 for percentages); a row's
    marker (its target) is a vertical line across its bars, named in the legend and tooltips."""
    bar_h, gap, top = 14, 10, 8
    labels = [str(label) if len(str(label)) <= 32 else str(label)[:31] + "\u2026" for label, _, _ in rows]
    label_w = int(min(32 * CHAR_W, 12 + CHAR_W * max([len(label) for label in labels] + [4])))
    bar_w = max(120, width - label_w - 70)
    # with a fixed scale (percentages) the values stand in a column past the axis's end, clear of
    # the markers; otherwise each at the end of its bar
    value_x = label_w + bar_w + 6 if scale else None
    group_h = bar_h * max(len(series), 1) + gap
    values = [v for _, vs, m in rows for v in list(vs) + [m] if v is not None]
    largest = scale or max(values + [0]) or 1
    legend = [*zip(series, colours)] + ([(marker_name, "#222")] if any(m is not None for _, _, m in rows) else [])
    legend_y = top + len(rows) * group_h + 4
    height = legend_y + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" font-family="system-ui, Arial, sans-serif" '
           f'font-size="12"><title>{esc(title)}</title>']
    for i, ((label, vals, marker), shown) in enumerate(zip(rows, labels)):
        y0 = top + i * group_h
        out.append(f'<text x="{label_w - 8}" y="{y0 + bar_h * len(series) / 2 + 4}" text-anchor="end">'
                   f'{esc(shown)}</text>')
        for j, (name, colour, value) in enumerate(zip(series, colours, vals)):
            y = y0 + j * bar_h
            if value is None:
                continue
            w = max(value, 0) / largest * bar_w
            out.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h - 2}" '
                       f'fill="{esc(colour)}"><title>{esc(label)}: {esc(name)}: {esc(value_format(value))}</title></rect>'
                       f'<text x="{value_x if value_x is not None else label_w + w + 4:.1f}" y="{y + bar_h - 4}">'
                       f'{esc(value_format(value))}</text>')
        if marker is not None:
            x = label_w + marker / largest * bar_w
            out.append(f'<line x1="{x:.1f}" y1="{y0 - 2}" x2="{x:.1f}" y2="{y0 + bar_h * len(series)}" '
                       f'stroke="#222" stroke-width="2" stroke-dasharray="4 2"><title>{esc(label)}: '
                       f'{esc(marker_name)} {esc(value_format(marker))}</title></line>')
    x = float(label_w)
    for name, colour in legend:
        out.append(f'<rect x="{x:.1f}" y="{legend_y}" width="12" height="12" fill="{esc(colour)}"/>'
                   f'<text x="{x + 16:.1f}" y="{legend_y + 10}">{esc(name)}</text>')
        x += 24 + CHAR_W * len(name)
    out.append("</svg>")
    return "".join(out)
