"""The publication-ready report: APA text, tables (CSV/XLSX/DOCX), figures and HTML.

Presentation only: computation modules never import this package. The entry point is
:func:`write_report`; matplotlib is imported only while figures are drawn. Names are
imported on first use, so that the power-plan page (:mod:`patalliance.report.power`) loads
without the analysis report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patalliance._lazy import lazy_exports

if TYPE_CHECKING:
    from patalliance.report.writer import write_report

#: Public name → the module that defines it.
_EXPORTS = {"write_report": "patalliance.report.writer"}

__all__ = ["write_report"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())
