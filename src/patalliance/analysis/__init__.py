"""The analysis plan from the study file, run family by family into frozen results."""

from patalliance.analysis.core import run_analysis, validate_plan
from patalliance.analysis.results import AnalysisResults

__all__ = ["AnalysisResults", "run_analysis", "validate_plan"]
