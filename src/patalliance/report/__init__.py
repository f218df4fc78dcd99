"""The publication-ready report: APA text, tables (CSV/XLSX/DOCX), figures and HTML.

Presentation only: computation modules never import this package. The entry point is
:func:`write_report`; matplotlib is imported only while figures are drawn.
"""

from __future__ import annotations

from patalliance.report.writer import write_report

__all__ = ["write_report"]
