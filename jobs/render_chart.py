"""The timeliness chart of the compliance page: a horizontal 100 % stacked bar per clock
(met on time / met late / breached / still running) as inline SVG, with a legend, counts in
the segments, and a <title>/<desc> so a screen reader gets the figures too."""

from __future__ import annotations

from html import escape

from jobs.clock_names import CLOCK_LABELS, clock_label
from jobs.compliance import ClockTally

# The names live in jobs/clock_names.py, shared with the CLI and the letters.
__all__ = ["CLOCK_LABELS", "SEGMENTS", "chart_svg", "clock_label", "pct"]


# (field, legend label, fill, text colour on the fill)
SEGMENTS = (
    ("met_on_time", "Met on time", "#2e7d32", "#ffffff"),
    ("met_late", "Met late", "#f0a202", "#000000"),
    ("breached", "Breached", "#c62828", "#ffffff"),
    ("pending", "Still running", "#cfd8dc", "#000000"),
)

WIDTH = 760
LABEL_W = 232  # label column, text right-aligned at LABEL_W
BAR_X = 240
BAR_W = 380
ROW = 28
BAR_H = 18
TOP = 34
BOTTOM = 26
_MAX_LABEL = 36


def pct(value: float | None) -> str:
    """A share as a whole percentage that never rounds to 0 % or 100 % falsely."""
    if value is None:
        return "–"
    p = round(value * 100)
    if p == 100 and value < 1:
        p = 99
    if p == 0 and value > 0:
        return "<1%"
    return f"{p}%"


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _describe(t: ClockTally) -> str:
    return (f"{clock_label(t.clock)} ({t.clock}): {t.due} due, {t.met_on_time} met on time, "
            f"{t.met_late} met late, {t.breached} breached, {t.pending} still running; "
            f"timeliness {pct(t.timeliness)}")


def _legend() -> list[str]:
    out, x = [], BAR_X
    for _, label, fill, _ in SEGMENTS:
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{fill}" '
                   f'stroke="#555" stroke-width="0.5"/>'
                   f'<text x="{x + 17}" y="16.5" class="lg">{escape(label)}</text>')
        x += 28 + 7 * len(label)
    return out


def _bar(t: ClockTally, y: float) -> list[str]:
    label = clock_label(t.clock)
    shown = label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"
    out = [f'<g><title>{escape(_describe(t))}</title>',
           f'<text x="{LABEL_W}" y="{_n(y + BAR_H - 5)}" text-anchor="end" class="lb">'
           f'{escape(shown)}</text>']
    if t.due == 0:
        out.append(f'<rect x="{BAR_X}" y="{_n(y)}" width="{BAR_W}" height="{BAR_H}" '
                   f'fill="none" stroke="#999" stroke-dasharray="3 3"/>'
                   f'<text x="{BAR_X + 6}" y="{_n(y + BAR_H - 5)}" class="sg">none due '
                   f'({t.not_required} not required)</text>')
    else:
        x = float(BAR_X)
        for name, _, fill, ink in SEGMENTS:
            count = getattr(t, name)
            if not count:
                continue
            w = BAR_W * count / t.due
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{BAR_H}" '
                       f'fill="{fill}"/>')
            if w >= 8 * len(str(count)) + 6:
                out.append(f'<text x="{_n(x + w / 2)}" y="{_n(y + BAR_H - 5)}" '
                           f'text-anchor="middle" class="sg" fill="{ink}">{count}</text>')
            x += w
    out.append(f'<text x="{BAR_X + BAR_W + 8}" y="{_n(y + BAR_H - 5)}" class="rt">'
               f'{escape(pct(t.timeliness))} on time · n={t.due}</text></g>')
    return out


def chart_svg(tallies: tuple[ClockTally, ...], caption: str) -> str:
    """The chart for ``tallies`` (one bar each, in order); ``caption`` becomes <title>."""
    height = TOP + ROW * len(tallies) + BOTTOM
    desc = "; ".join(_describe(t) for t in tallies) or "No clock fell due in the period."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px" role="img" '
        f'aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(caption)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
        *_legend(),
    ]
    axis_y = TOP + ROW * len(tallies)
    for i in range(5):
        gx = BAR_X + BAR_W * i / 4
        parts.append(f'<line x1="{_n(gx)}" y1="{TOP - 4}" x2="{_n(gx)}" y2="{axis_y}" '
                     f'stroke="#ddd" stroke-width="1"/>'
                     f'<text x="{_n(gx)}" y="{axis_y + 16}" text-anchor="middle" '
                     f'class="ax">{25 * i}%</text>')
    for i, t in enumerate(tallies):
        parts.extend(_bar(t, TOP + ROW * i + (ROW - BAR_H) / 2))
    parts.append("</svg>")
    return "\n".join(parts)
