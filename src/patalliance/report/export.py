"""Table exports: formatted CSVs, an Excel workbook (openpyxl) and a Word file (python-docx).

- ``tables/paper_<key>.csv``: the formatted, paper-layout tables (UTF-8 with BOM so Excel
  shows the minus signs);
- ``tables/tables.xlsx``: one sheet per table, numbers stored as numbers (unrounded, shown
  rounded through number formats);
- ``tables/tables.docx``: real Word tables, each with an APA caption ("Table N" and an italic
  title) and a note.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from patalliance.report.tables import ReportTable, numeric_columns
from patalliance.safe_cells import set_text, write_csv

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def write_csvs(tables: Sequence[ReportTable], folder: Path) -> dict[str, Path]:
    """The formatted tables as ``paper_<key>.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for table in tables:
        path = folder / f"paper_{table.key}.csv"
        write_csv(table.display, path, index=False, encoding="utf-8-sig")
        files[f"tables/{path.name}"] = path
    return files


def _sheet_name(index: int, key: str, used: set[str]) -> str:
    short = key.replace("correlations_", "r_")
    base = _SHEET_BAD.sub("_", f"T{index} {short}")[:31]
    name, k = base, 2
    while name.lower() in used:
        suffix = f"~{k}"
        name = base[: 31 - len(suffix)] + suffix
        k += 1
    used.add(name.lower())
    return name


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def write_xlsx(tables: Sequence[ReportTable], path: Path) -> Path:
    """One sheet per table: title in A1, header in row 2, data below, then the note."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    contents = wb.create_sheet("Contents", 0)
    for extra in [ws for ws in wb.worksheets if ws is not contents]:
        wb.remove(extra)
    contents.title = "Contents"
    contents.append(["Table", "Sheet", "Title"])
    for cell in contents[1]:
        cell.font = Font(bold=True)
    used = {"contents"}
    for i, table in enumerate(tables, start=1):
        name = _sheet_name(i, table.key, used)
        contents.append([f"Table {i}", name, table.title])
        ws = wb.create_sheet(name)
        ws.append([f"Table {i}. {table.title}"])
        ws["A1"].font = Font(bold=True)
        frame = table.data
        ws.append([str(c) for c in frame.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        numeric = set(numeric_columns(frame))
        for values in frame.itertuples(index=False):
            ws.append([_cell_value(v) for v in values])
        for j, col in enumerate(frame.columns, start=1):
            fmt = table.number_formats.get(str(col))
            if col in numeric and fmt:
                for row in range(3, 3 + len(frame)):
                    ws.cell(row=row, column=j).number_format = fmt
            width = max([len(str(col))] + [len(str(v)) for v in frame[col] if col not in numeric])
            ws.column_dimensions[ws.cell(row=2, column=j).column_letter].width = min(
                max(10, width + 2), 60
            )
        if table.note:
            ws.append([])
            ws.append([f"Note. {table.note}"])
        ws.freeze_panes = "B3"
    for sheet in wb.worksheets:  # every text cell: inert, a string and never a formula
        for row in sheet.iter_rows():
            for cell in row:
                set_text(cell)
    contents.column_dimensions["C"].width = 80
    contents.column_dimensions["B"].width = 32
    wb.properties.creator = "patalliance"
    fixed = datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


_RULE = '<w:{side} w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
_NO_RULE = '<w:{side} w:val="nil"/>'


def _run_xml(text: str, bold_off: bool) -> str:
    """One 9-point run of ``text``: tabs and line breaks as Word's own elements."""
    from xml.sax.saxutils import escape

    props = (
        '<w:rPr><w:b w:val="0"/><w:sz w:val="18"/></w:rPr>'
        if bold_off
        else ('<w:rPr><w:sz w:val="18"/></w:rPr>')
    )
    parts = []
    for piece in re.split(r"(\t|\r\n|\n|\r)", text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\n", "\r", "\r\n"):
            parts.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if piece != piece.strip() else ""
            parts.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return f"<w:r>{props}{''.join(parts)}</w:r>"


def _rows_xml(widths: Sequence[str], header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The table's rows as WordprocessingML: the header ruled below, 9-point text throughout.

    Written in one piece and parsed once; python-docx's cell-by-cell API costs about a
    millisecond per cell.
    """
    rule = f"<w:tcBorders>{_RULE.format(side='bottom')}</w:tcBorders>"
    out = []
    for k, values in enumerate([header, *rows]):
        cells = "".join(
            f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/>{rule if k == 0 else ""}</w:tcPr>'
            f"<w:p>{_run_xml(v, bold_off=k == 0)}</w:p></w:tc>"
            for w, v in zip(widths, values, strict=True)
        )
        out.append(f"<w:tr>{cells}</w:tr>")
    return "".join(out)


def _fill_table(table: Any, frame: Any) -> None:
    """Replace the rows of the python-docx ``table`` by the header and rows of ``frame``, and
    give it APA rules: a line above and below the header and one at the bottom, no verticals."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn

    tbl = table._tbl
    widths = [col.get(qn("w:w")) for col in tbl.tblGrid.iterchildren(qn("w:gridCol"))]
    header = [str(c) for c in frame.columns]
    rows = [["" if v is None else str(v) for v in values] for values in frame.itertuples(False)]
    for tr in tbl.tr_lst:
        tbl.remove(tr)
    parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{_rows_xml(widths, header, rows)}</w:tbl>")
    for tr in list(parsed):
        tbl.append(tr)
    sides = [("top", _RULE), ("left", _NO_RULE), ("bottom", _RULE), ("right", _NO_RULE),
             ("insideH", _NO_RULE), ("insideV", _NO_RULE)]  # fmt: skip
    borders = "".join(rule.format(side=side) for side, rule in sides)
    tbl.tblPr.append(parse_xml(f"<w:tblBorders {nsdecls('w')}>{borders}</w:tblBorders>"))


def write_docx(tables: Sequence[ReportTable], path: Path, *, title: str) -> Path:
    """Word tables with APA captions ("Table N", italic title) and notes."""
    from docx import Document
    from docx.enum.section import WD_ORIENT

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.core_properties.title = title
    doc.core_properties.author = "patalliance"
    fixed = datetime(2000, 1, 1)
    doc.core_properties.created = fixed
    doc.core_properties.modified = fixed
    doc.core_properties.last_modified_by = "patalliance"
    doc.core_properties.revision = 1
    doc.add_heading(title, level=1)
    for i, table in enumerate(tables, start=1):
        cap = doc.add_paragraph()
        cap.add_run(f"Table {i}").bold = True
        cap.paragraph_format.keep_with_next = True
        ttl = doc.add_paragraph()
        ttl.add_run(table.title).italic = True
        ttl.paragraph_format.keep_with_next = True
        frame = table.display
        _fill_table(doc.add_table(rows=1, cols=len(frame.columns)), frame)
        if table.note:
            note = doc.add_paragraph()
            note.add_run("Note.").italic = True
            note.add_run(f" {table.note}")
        doc.add_paragraph()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
