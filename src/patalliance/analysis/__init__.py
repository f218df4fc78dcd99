"""The analysis plan from the study file, run family by family into frozen, typed results."""

from patalliance.analysis.results import AnalysisResults, PlanResults
from patalliance.analysis.runner import run_plan

__all__ = ["AnalysisResults", "PlanResults", "run_plan"]
