"""Readers: every input format becomes one :class:`TrialData` with per-row provenance."""

from patalliance.io.tidy import read_study_data
from patalliance.io.trialdata import InputFile, TrialData

__all__ = ["InputFile", "TrialData", "read_study_data"]
