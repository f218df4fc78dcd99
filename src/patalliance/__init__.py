"""patalliance: therapeutic-alliance analysis for psychedelic-assisted therapy trials.

From item-level questionnaire data to the complete analysis of Levin et al. (2024),
*PLoS One* 19(3):e0300501: scoring, quality control, change in alliance, and the associations
between alliance, acute drug experience and depression outcomes.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("patalliance")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
