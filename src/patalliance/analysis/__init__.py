"""The analysis plan from the study file, run family by family into frozen, typed results.

Names are imported on first use, so that the plan checks (:mod:`patalliance.analysis.plan`)
load without every family's estimators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patalliance._lazy import lazy_exports

if TYPE_CHECKING:
    from patalliance.analysis.results import AnalysisResults, PlanResults
    from patalliance.analysis.runner import run_plan

#: Public name → the module that defines it.
_EXPORTS = {
    "AnalysisResults": "patalliance.analysis.results",
    "PlanResults": "patalliance.analysis.results",
    "run_plan": "patalliance.analysis.runner",
}

__all__ = ["AnalysisResults", "PlanResults", "run_plan"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())
