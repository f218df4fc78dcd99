"""Extra result sections of the HTML report, contributed by other modules.

A :class:`Section` is presentation-ready content: plain-text paragraphs (escaped when
rendered), titled tables (pandas DataFrames, rendered with ``<th scope>`` headers and
exported to the XLSX/DOCX workbooks) and figures (inline SVG text with a caption and alt
text). :func:`extra_sections` collects the sections of
``patalliance.report.beyond.render_sections(document, table)`` when that module exists.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from patalliance.derive import AnalysisTable


@dataclass(frozen=True)
class Figure:
    """One figure: SVG markup (from matplotlib), a plain-language caption and alt text.

    ``svg`` is inserted into the HTML unescaped, so it must come from matplotlib's SVG
    backend (which escapes text) or be otherwise trusted. ``caption`` and ``alt`` are
    escaped when rendered.
    """

    svg: str
    caption: str
    alt: str


@dataclass(frozen=True)
class Section:
    """A report section: ``id`` (an HTML anchor), a title, paragraphs, tables and figures.

    Paragraphs are plain text (escaped when rendered). ``tables`` holds ``(title, frame)``
    pairs; a frame's index is not rendered, so put row labels in a column.
    """

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def extra_sections(document: dict[str, Any], table: AnalysisTable) -> list[Section]:
    """Sections beyond the paper-level analysis (efficacy, mediation, ...), or ``[]``.

    Imports ``patalliance.report.beyond`` lazily when it exists and returns its
    ``render_sections(document, table)``.
    """
    if importlib.util.find_spec("patalliance.report.beyond") is None:
        return []
    module = importlib.import_module("patalliance.report.beyond")
    render = getattr(module, "render_sections", None)
    if render is None:
        return []
    return list(render(document, table))
