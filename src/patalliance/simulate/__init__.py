"""Synthetic trials: seeded simulation, calibration to published statistics, and power."""
