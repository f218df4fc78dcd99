"""Building blocks of the report's extra sections: :class:`Figure` and :class:`Section`.

A :class:`Section` is presentation-ready content: plain-text paragraphs (escaped when
rendered), titled tables (pandas DataFrames, rendered with ``<th scope>`` headers and
exported to the XLSX/DOCX workbooks) and figures (inline SVG text with a caption and alt
text). :mod:`patalliance.report.beyond` builds one per family beyond the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


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
    pairs; a frame's index is not rendered, so put row labels in a column. ``table_notes``
    gives the note printed under a table, by its position in ``tables``.
    """

    id: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    table_notes: dict[int, str] = field(default_factory=dict)
