"""patalliance: therapeutic-alliance analysis for psychedelic-assisted therapy trials.

From item-level questionnaire data to the complete analysis of Levin et al. (2024),
*PLoS One* 19(3):e0300501: scoring, quality control, change in alliance, and the associations
between alliance, acute drug experience and depression outcomes.

The public API (documented in ``docs/api.md``)::

    import patalliance as pa

    study = pa.load_study("study.toml")
    res = pa.analyze(study)
    res.correlations.to_frame()

Names are imported on first use, so ``import patalliance`` (and ``patalliance --help``) stays
fast: pandas, scipy and statsmodels load only when an analysis runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patalliance._lazy import lazy_exports
from patalliance._version import __version__

if TYPE_CHECKING:
    from patalliance.api import analyze, load_study, score, validate_data
    from patalliance.demo import demo_study
    from patalliance.errors import ConfigError, DataValidationError, PatallianceError
    from patalliance.qc import ValidationReport
    from patalliance.results import Results
    from patalliance.status import Status
    from patalliance.study import Study

#: Public name → the module that defines it.
_EXPORTS = {
    "analyze": "patalliance.api",
    "demo_study": "patalliance.demo",
    "load_study": "patalliance.api",
    "score": "patalliance.api",
    "validate_data": "patalliance.api",
    "Results": "patalliance.results",
    "Status": "patalliance.status",
    "Study": "patalliance.study",
    "ValidationReport": "patalliance.qc",
    "PatallianceError": "patalliance.errors",
    "ConfigError": "patalliance.errors",
    "DataValidationError": "patalliance.errors",
}

__all__ = [
    "ConfigError",
    "DataValidationError",
    "PatallianceError",
    "Results",
    "Status",
    "Study",
    "ValidationReport",
    "__version__",
    "analyze",
    "demo_study",
    "load_study",
    "score",
    "validate_data",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())
