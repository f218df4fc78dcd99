"""The self-contained HTML report (Jinja2, autoescaped, inline SVG, no external resources).

Every string from the data or the study file goes through Jinja2's autoescaping. The only
markup inserted unescaped is figure SVG, and only after :func:`safe_svg` has checked that it
contains no script, event handler, external reference or ``foreignObject``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from patalliance.report import apa
from patalliance.report.sections import Figure, Section
from patalliance.report.tables import ReportTable

_CELL = re.compile(r"^(?P<r>[^*\s(]+)(?P<m>\*{0,3}) \(n = (?P<n>[^)]+)\)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_UNSAFE_TAG = re.compile(
    r"^<\s*/?\s*(?:[a-z]+:)?(?:script|foreignObject|iframe|object|embed|a)\b"
    r"|\son[a-z]+\s*=|javascript:"
    r"|href\s*=\s*[\"'](?!#|data:image/(?:png|jpeg);base64,)",
    re.IGNORECASE,
)
_UNSAFE_CSS = re.compile(r"url\(\s*['\"]?(?!#)|@import", re.IGNORECASE)


class UnsafeSVGError(ValueError):
    """An SVG that would run code or load something from outside the file."""


def safe_svg(svg: str, *, alt: str) -> Markup:
    """Mark figure SVG as safe for inlining after checking it, and label it for screen readers.

    Raises
    ------
    UnsafeSVGError
        When the SVG has a script, event handler, external link or ``foreignObject``.
    """
    start = svg.find("<svg")
    if start < 0:
        raise UnsafeSVGError("The figure is not SVG markup (no <svg> element).")
    svg = svg[start:]
    bare = _COMMENT.sub("", svg)
    bad = next(
        (m for tag in _TAG.findall(bare) if (m := _UNSAFE_TAG.search(tag)) is not None), None
    ) or _UNSAFE_CSS.search(bare)
    if bad is not None:
        raise UnsafeSVGError(
            f"The figure SVG contains {bad.group(0)!r}; only static, self-contained SVG is inlined."
        )
    label = str(escape(alt))
    return Markup(svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1))


@dataclass(frozen=True)
class Cell:
    text: str
    sup: str = ""
    sub: str = ""
    header: bool = False


@dataclass(frozen=True)
class HtmlTable:
    number: int
    anchor: str
    title: str
    note: str
    columns: list[str]
    rows: list[list[Cell]]
    kind: str


@dataclass(frozen=True)
class HtmlFigure:
    number: int
    anchor: str
    svg: Markup | None
    caption: str
    alt: str
    error: str = ""


def _cell(value: Any, kind: str, header: bool) -> Cell:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return Cell("", header=header)
    if isinstance(value, bool):
        return Cell("yes" if value else "no", header=header)
    if isinstance(value, int):
        return Cell(str(value), header=header)
    if isinstance(value, float):
        return Cell(apa.fmt_num(value, 2), header=header)
    text = str(value)
    if kind == "correlation" and not header:
        m = _CELL.match(text)
        if m is not None:
            return Cell(m.group("r"), sup=m.group("m"), sub=f"n = {m.group('n')}")
    return Cell(text, header=header)


def html_table(table: ReportTable, number: int) -> HtmlTable:
    frame = table.display
    rows = [
        [_cell(v, table.kind, header=(j == 0)) for j, v in enumerate(values)]
        for values in frame.itertuples(index=False)
    ]
    return HtmlTable(
        number,
        f"table-{number}",
        table.title,
        table.note,
        [str(c) for c in frame.columns],
        rows,
        table.kind,
    )


def html_figure(anchor: str, figure: Figure, number: int) -> HtmlFigure:
    try:
        svg = safe_svg(figure.svg, alt=figure.alt)
    except UnsafeSVGError as exc:
        return HtmlFigure(number, anchor, None, figure.caption, figure.alt, str(exc))
    return HtmlFigure(number, anchor, svg, figure.caption, figure.alt)


def section_table(section: Section, k: int, title: str, frame: pd.DataFrame) -> ReportTable:
    """A table of an extra section as a ReportTable (formatted text + numbers)."""
    display = frame.reset_index(drop=True).copy()
    for col in display.columns:
        display[col] = [_cell(v, "plain", False).text for v in display[col]]
    key = re.sub(r"[^A-Za-z0-9_]+", "_", f"{section.id}_{k + 1}")
    note = section.table_notes.get(k, "")
    return ReportTable(key, title, display, frame.reset_index(drop=True), note)


def break_ids(text: object) -> Markup:
    """Escaped text with a line-break opportunity after each ``_``, so that an id such as
    ``alliance_outcome`` can wrap in a narrow table cell."""
    return Markup(str(escape(str(text))).replace("_", "_<wbr>"))


def render(
    context: Mapping[str, Any],
    *,
    tables: Sequence[tuple[str, HtmlTable]],
    figures: Sequence[tuple[str, HtmlFigure]],
) -> str:
    """Render ``templates/report.html.j2`` (autoescape on) with the prepared context."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("patalliance.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["wbr"] = break_ids
    template = env.get_template("report.html.j2")
    by_place_t: dict[str, list[HtmlTable]] = {}
    for place, t in tables:
        by_place_t.setdefault(place, []).append(t)
    by_place_f: dict[str, list[HtmlFigure]] = {}
    for place, f in figures:
        by_place_f.setdefault(place, []).append(f)
    return template.render(**context, tables=by_place_t, figures=by_place_f)
