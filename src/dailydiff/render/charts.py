"""Charts of the stored reports: their numbers (pure functions of DayReports) and their pictures.

The numbers come from stored reports alone (no fetching, no LLM): commits per day by importance, change
types per week, the most-changed areas and the most active authors, a day against its repository's median,
a week by weekday and its change types against the week before. Each :class:`Chart` carries its title, a
text alternative and the table of its numbers, so a page can show the picture and the numbers side by side.

Pictures: SVG for pages, drawn here (a site draws eight per repository each time a day is added), whose
own stylesheet follows ``prefers-color-scheme`` and names a CJK font family for fallback; PNG for email,
where inline SVG is often stripped, drawn by pygal (imported only then) and cairosvg on a white card that
reads in light and dark mail clients. Both share the layout: sizes, ticks, thinned labels, the legend.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Sequence
from typing import Any

from dailydiff.render.chartdata import (
    COLOURS,
    FONT_FAMILY,
    PNG_FONT_FAMILY,
    Chart,
    cell_width,
    chart_labels,
    number_text,
)

# pictures ----------------------------------------------------------------------------------------

SVG_WIDTH = 480  # drawn at about this size in a page column, and scaled down less on a phone


SVG_HEIGHT = 260


PNG_WIDTH = 640


LEGEND_COLUMNS = 4


MARGIN = 8


SPACING = 6


LABEL_FONT = 13


LEGEND_FONT = 14


LEGEND_BOX = 12  # pygal's legend_box_size


LEGEND_ROW = 21  # pygal puts legend rows 1.5 font sizes apart


def _pygal() -> Any:
    """pygal, imported on first use. Its import appends a finder for map plugins (``pygal.maps.*``, which
    we do not use) to ``sys.meta_path`` without ``find_spec``: every later import then warns (an error
    under ``-W error``). It is taken out again."""
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


_CLASSES = {"stacked": "StackedBar", "bars": "Bar", "hbars": "HorizontalBar"}


def _style(chart: Chart) -> Any:
    """The PNG's style: light colours on a white card (mail clients show a picture as it is)."""
    from pygal.style import Style

    colours = tuple(COLOURS.get(s.key, COLOURS["other"])[0] for s in chart.series)
    return Style(
        font_family=PNG_FONT_FAMILY, background="#ffffff", plot_background="#ffffff",
        foreground="#1f2328", foreground_strong="#1f2328", foreground_subtle="#d1d9e0",
        colors=colours or ("#0969da",), opacity="1", opacity_hover="1",
        label_font_size=LABEL_FONT, major_label_font_size=LABEL_FONT, legend_font_size=LEGEND_FONT, title_font_size=17,
        value_font_size=12, tooltip_font_size=12, no_data_font_size=20,
        guide_stroke_color="#d1d9e0", major_guide_stroke_color="#d1d9e0",
    )  # fmt: skip


def _y_labels(chart: Chart) -> list[int]:
    """Whole-number ticks (counts) from 0 to just above the largest bar."""
    if chart.kind == "stacked":
        peak = max((sum(v or 0 for v in cells[: len(chart.series)]) for _, cells in chart.rows()), default=0)
    else:
        peak = max((v or 0 for s in chart.series for v in s.values), default=0)
    peak = max(int(-(-peak // 1)), 1)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10**9) if peak / s <= 6)
    top = (peak // step + 1) * step  # room above the tallest bar
    return list(range(0, top + 1, step))


def picture_height(chart: Chart, height: int = SVG_HEIGHT, width: int = SVG_WIDTH) -> int:
    """Horizontal bars grow with their number so that every label has room, and the legend with its rows."""
    if chart.kind == "hbars":
        return max(
            height, 60 + (10 + 18 * len(chart.series)) * len(chart.labels) + 22 * (len(chart.series) > 1)
        )
    return height + LEGEND_ROW * (_legend_layout(chart, width)[1] - 1)


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` px, erring wide: pygal counts 0.6 em a character
    whatever it is, so capitals and CJK characters (a full em) would run into their neighbours."""
    width = 0.0
    for ch in text:
        if ord(ch) > 0x2E7F:
            width += 1.0
        elif ch in "il.,:;'|!I ()[]jft":
            width += 0.38
        elif ch.isupper() or ch in "mwMW%@":
            width += 0.78
        else:
            width += 0.64
    return width * size


def _legend_layout(chart: Chart, width: int) -> tuple[int, int]:
    """(columns, rows) of the legend under the chart: as many columns as its longest name allows."""
    if len(chart.series) < 2:
        return 1, 1
    room = width - 2 * MARGIN - 2 * SPACING
    item = max(text_width(s.name, LEGEND_FONT) for s in chart.series) + LEGEND_BOX + 5 + 12
    columns = max(1, min(len(chart.series), LEGEND_COLUMNS, int(room // item)))
    return columns, -(-len(chart.series) // columns)


def _legend_names(chart: Chart, width: int) -> list[str]:
    """The series' names, shortened (with "…") only when one alone is wider than its legend column."""
    columns, _ = _legend_layout(chart, width)
    room = (width - 2 * MARGIN - 2 * SPACING) / columns - LEGEND_BOX - 5 - 6
    return [_fit(s.name, LEGEND_FONT, room) for s in chart.series]


def _fit(text: str, size: float, room: float) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _axis_every(labels: Sequence[str], base: int, plot_width: float) -> int:
    """Label every nth category (a multiple of ``base``) so that the labels, upright, never touch."""
    if not labels:
        return 1
    need = max(text_width(label, LABEL_FONT) for label in labels) + 10
    slot = plot_width / len(labels)
    every = max(base, 1)
    while every * slot < need and every < len(labels):
        every += max(base, 1)
    return every


def figure_view(chart: Chart, src: str, anchor: str = "", width: int = SVG_WIDTH) -> dict[str, Any]:
    """What the chart template shows: the picture (``src``), its title and text alternative, and the
    table of its numbers; ``anchor`` is the figure's id in its page."""
    C = chart_labels(chart.language)
    return {
        "id": anchor or f"chart-{chart.key}",
        "key": chart.key,
        "title": chart.title,
        "alt": chart.alt,
        "src": src,
        "width": width,
        "height": picture_height(chart, width=width),
        "label_header": chart.label_header,
        "columns": chart.columns,
        "rows": [(label, [number_text(v) for v in cells]) for label, cells in chart.rows()],
        "table": C["table"],
        "note": chart.note,
    }


def _pygal_chart(chart: Chart, *, width: int, height: int) -> Any:
    """The chart as pygal draws it for a PNG (``render_png``), its title drawn in."""
    pygal = _pygal()

    cls = getattr(pygal, _CLASSES[chart.kind])
    hbars = chart.kind == "hbars"
    labels = list(chart.axis_labels or chart.labels)
    if hbars:
        labels = [_clip(label, 28) for label in labels]
    columns, rows = _legend_layout(chart, width)
    shown = len(chart.series) > 1
    # Upright labels, thinned until they fit (rotated ones ran into the legend); the y axis takes ~40 px.
    every = 1 if hbars else _axis_every(labels, chart.axis_every, width - 2 * MARGIN - 40)
    # pygal makes room for len(series) // columns legend rows; the last, partly filled one needs room too.
    legend_room = LEGEND_ROW * (rows - len(chart.series) // columns) + 4 if shown else 0
    # pygal sizes the label column at 0.6 em a character: wider characters need the difference.
    label_room = max((text_width(label, LABEL_FONT) - len(label) * 0.6 * LABEL_FONT for label in labels),
                     default=0) if hbars else 0  # fmt: skip
    config: dict[str, Any] = {
        "width": width, "height": picture_height(chart, height, width),
        "style": _style(chart), "js": [], "disable_xml_declaration": True,
        "title": chart.title, "x_labels": labels,
        "legend_at_bottom": True, "legend_at_bottom_columns": columns, "show_legend": shown,
        "margin": MARGIN, "margin_bottom": MARGIN + legend_room, "margin_left": MARGIN + max(0, round(label_room)),
        "spacing": SPACING, "truncate_legend": -1, "truncate_label": -1, "no_data_text": "—",
        "value_formatter": number_text, "show_minor_x_labels": every == 1, "x_labels_major_every": every,
        "y_labels": _y_labels(chart), "x_label_rotation": 0,
        "css": ["file://style.css", "file://graph.css"],
        "tooltip_border_radius": 0, "show_y_guides": not hbars, "show_x_guides": hbars,
    }  # fmt: skip
    if hbars:
        config["x_labels"] = list(reversed(labels))  # pygal draws the first label at the bottom
    drawn = cls(**config)
    drawn.uuid = chart.key  # a stable id (pygal draws a random one): rebuilt pages stay byte-identical
    drawn.add_xml_filter(_static)
    for s, name in zip(chart.series, _legend_names(chart, width), strict=True):
        values = list(reversed(s.values)) if hbars else list(s.values)
        drawn.add(name, values)
    return drawn


def _clip(text: str, width: int) -> str:
    return text if cell_width(text) <= width else text[: max(width // 2, 8)] + "…"


def _static(root: Any) -> Any:
    """pygal's XML filter: the picture without pygal's script (its configuration, kept for interactive
    tooltips, would carry every label into a <script>) and its comments (they hold today's date)."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag.rsplit("}", 1)[-1] == "script" or not tag:
                parent.remove(child)
    return root


def render_svg(chart: Chart, width: int = SVG_WIDTH, height: int = SVG_HEIGHT) -> str:
    """The chart as a standalone SVG document (no script, no external reference); its own stylesheet
    switches to dark colours under ``prefers-color-scheme: dark``. Drawn here, with the layout of the
    pygal pictures mail gets (sizes, ticks, thinned labels, legend) at a fraction of their cost: a site
    draws eight per repository each time a day is added."""
    return _SvgDrawing(chart, width, picture_height(chart, height, width)).svg()


class _SvgDrawing:
    """One chart drawn as plain SVG: bars (stacked, side by side or horizontal), the value axis with its
    guides, the category labels (thinned so that they never touch) and the legend under the plot. Each
    bar carries its value (``<desc class="value">``), as pygal's do."""

    def __init__(self, chart: Chart, width: int, height: int) -> None:
        self.chart, self.width, self.height = chart, width, height
        self.parts: list[str] = []
        shown = len(chart.series) > 1
        self.columns, rows = _legend_layout(chart, width)
        self.legend_top = height - MARGIN - rows * LEGEND_ROW if shown else height - MARGIN
        self.ticks = _y_labels(chart)
        self.hbars = chart.kind == "hbars"
        labels = list(chart.axis_labels or chart.labels)
        self.labels = [_clip(label, 28) for label in labels] if self.hbars else labels
        tick_room = max(text_width(str(t), LABEL_FONT) for t in self.ticks) + 8
        widest = max((text_width(label, LABEL_FONT) for label in self.labels), default=0) if self.hbars else 0
        self.left = MARGIN + widest + 10 if self.hbars else MARGIN + tick_room
        self.bottom = self.legend_top - SPACING - LABEL_FONT - 12
        self.top = MARGIN + LABEL_FONT / 2 + 2
        self.right = width - MARGIN - (tick_room / 2 if self.hbars else 0)

    def svg(self) -> str:
        chart = self.chart
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{_xml(chart.key)}" class="chart" '
            f'viewBox="0 0 {self.width} {self.height}"><title>{_xml(chart.title)}</title>'
            f"<defs><style>{self._css()}</style></defs>"
        ]
        if (chart.labels and not chart.empty) or (chart.labels and chart.kind != "hbars"):
            self._axis()
            self._bars()
        else:
            self.parts.append(
                f'<text class="no-data" x="{self.width / 2:g}" y="{self.height / 2:g}">—</text>'
            )
        self._legend()
        self.parts.append("</svg>")
        return "".join(self.parts)

    def _css(self) -> str:
        rules = [
            f"#chart-{self.chart.key}{{font-family:{FONT_FAMILY}}}",
            "text{fill:#1f2328;font-size:13px}.legend text{font-size:14px}.no-data{font-size:20px}",
            ".axis text.x,.no-data{text-anchor:middle}.axis text.y{text-anchor:end}",
            ".axis line{stroke:#1f2328}.axis line.guide{stroke:#d1d9e0;stroke-dasharray:4,4}",
        ]
        dark = ["text{fill:#e6edf3}.axis line{stroke:#9198a1}.axis line.guide{stroke:#3d444d}"]
        for i, s in enumerate(self.chart.series):
            light, night = COLOURS.get(s.key, COLOURS["other"])
            rules.append(f".color-{i}{{fill:{light};stroke:{light}}}")
            dark.append(f".color-{i}{{fill:{night};stroke:{night}}}")
        return "".join(rules) + "@media (prefers-color-scheme: dark){" + "".join(dark) + "}"

    def _scale(self, value: float) -> float:
        """A value's distance from the axis, in pixels."""
        span = (self.right - self.left) if self.hbars else (self.bottom - self.top)
        return span * value / (self.ticks[-1] or 1)

    def _axis(self) -> None:
        out = self.parts
        out.append('<g class="axis">')
        for tick in self.ticks:
            guide = "" if tick == 0 else "guide"
            if self.hbars:
                x = self.left + self._scale(tick)
                out.append(f'<line class="{guide}" x1="{x:.1f}" y1="{self.top:.1f}" x2="{x:.1f}" '
                           f'y2="{self.bottom:.1f}"/>')  # fmt: skip
                out.append(
                    f'<text class="x" x="{x:.1f}" y="{self.bottom + LABEL_FONT + 8:.1f}">{tick}</text>'
                )
            else:
                y = self.bottom - self._scale(tick)
                out.append(f'<line class="{guide}" x1="{self.left:.1f}" y1="{y:.1f}" '
                           f'x2="{self.right:.1f}" y2="{y:.1f}"/>')  # fmt: skip
                out.append(
                    f'<text class="y" x="{self.left - 6:.1f}" y="{y + LABEL_FONT / 3:.1f}">{tick}</text>'
                )
        n = len(self.labels)
        if self.hbars:
            slot = (self.bottom - self.top) / max(n, 1)
            for i, label in enumerate(self.labels):
                y = self.top + slot * (i + 0.5) + LABEL_FONT / 3
                out.append(f'<text class="y" x="{self.left - 6:.1f}" y="{y:.1f}">{_xml(label)}</text>')
        else:
            slot = (self.right - self.left) / max(n, 1)
            every = _axis_every(self.labels, self.chart.axis_every, self.right - self.left)
            for i, label in enumerate(self.labels):
                if i % every:
                    continue
                half = text_width(label, LABEL_FONT) / 2
                x = min(max(self.left + slot * (i + 0.5), half + 1), self.width - half - 1)
                out.append(
                    f'<text class="x" x="{x:.1f}" y="{self.bottom + LABEL_FONT + 8:.1f}">{_xml(label)}</text>'
                )
        out.append("</g>")

    def _bars(self) -> None:
        chart, out = self.chart, self.parts
        n, count = len(chart.labels), len(chart.series)
        along = (self.bottom - self.top) if self.hbars else (self.right - self.left)
        slot = along / max(n, 1)
        stacked = chart.kind == "stacked"
        thick = slot * 0.7 if stacked else slot * 0.8 / max(count, 1)
        base = [0.0] * n
        for index, series in enumerate(chart.series):
            out.append(f'<g class="series serie-{index} color-{index}">')
            order = range(n - 1, -1, -1) if self.hbars else range(n)  # horizontal: drawn from the bottom up
            for i in order:
                value = series.values[i]
                if value is None:
                    continue
                start = slot * i + (slot * 0.15 if stacked else slot * 0.1 + thick * index)
                length = self._scale(value)
                if self.hbars:
                    box = (self.left, self.top + start, length, thick)
                else:
                    offset = self._scale(base[i]) if stacked else 0
                    box = (self.left + start, self.bottom - offset - length, thick, length)
                if stacked:
                    base[i] += value
                x, y, w, h = box
                out.append(f'<g class="bar"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}"/>'
                           f'<desc class="value">{number_text(value)}</desc></g>')  # fmt: skip
            out.append("</g>")

    def _legend(self) -> None:
        chart, out = self.chart, self.parts
        if len(chart.series) < 2:
            return
        column = (self.width - 2 * MARGIN - 2 * SPACING) / self.columns
        out.append('<g class="legends">')
        for i, name in enumerate(_legend_names(chart, self.width)):
            x = MARGIN + SPACING + column * (i % self.columns)
            y = self.legend_top + LEGEND_ROW * (i // self.columns) + 4
            out.append(f'<g class="legend"><rect class="color-{i}" x="{x:.1f}" y="{y:.1f}" width="{LEGEND_BOX}" '
                       f'height="{LEGEND_BOX}"/><text x="{x + LEGEND_BOX + 5:.1f}" y="{y + LEGEND_BOX - 1:.1f}">'
                       f"{_xml(name)}</text></g>")  # fmt: skip
        out.append("</g>")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URI (for a standalone page that fetches nothing)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_png(chart: Chart, width: int = PNG_WIDTH, height: int = SVG_HEIGHT) -> bytes:
    """The chart as a PNG of ``width`` pixels, title included, on white (mail clients keep images as
    they are, so one neutral picture reads in light and dark mode)."""
    import cairosvg

    svg = _pygal_chart(chart, width=width, height=height).render(is_unicode=True)
    png: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width)
    return png
