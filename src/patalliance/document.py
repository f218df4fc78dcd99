"""The results document (``results.json``, schema ``patalliance.results/1``).

Numbers are unrounded; NaN and infinities become ``null``. There is no timestamp, so the same
inputs and seed give a byte-identical file. The schema is ``results.schema.json`` in the
package and is documented in ``docs/results-json.md``.
"""

from __future__ import annotations

import math
import os
import platform
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from patalliance._version import __version__
from patalliance.analysis.results import AnalysisResults
from patalliance.json_text import CleanList, dumps_indented

SCHEMA_ID = "patalliance.results/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "results.schema.json"
KEY_PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "pydantic", "matplotlib")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "not installed"
    return out


#: Types that :func:`clean` keeps as they are.
_KEEP = frozenset({str, int, bool, type(None)})


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf → None, numpy scalars → Python, tuples → lists."""
    kind = type(value)
    if kind in _KEEP or kind is CleanList:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {
            (k if type(k) is str else str(k)): (
                v if type(v) in _KEEP or type(v) is CleanList else clean(v)
            )
            for k, v in value.items()
        }
    if kind is list or kind is tuple:
        return [v if type(v) in _KEEP else clean(v) for v in value]
    return _clean_other(value)


def _clean_other(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, Path):
        return str(value)
    return value


def relative_path(path: str, base: Path) -> str:
    """``path`` relative to ``base`` (the study file's folder) when possible; the name of a
    DataFrame input (``<responses DataFrame>``) as it is."""
    if path.startswith("<"):
        return path
    try:
        return os.path.relpath(path, base)
    except ValueError:  # pragma: no cover - different drive on Windows
        return path


def _qc(results: AnalysisResults) -> dict[str, Any]:
    report = results.qc
    base = results.study.base_dir
    return {
        "policy": report.policy,
        "rows_read": report.rows_read,
        "rows_used": report.rows_used,
        "rows_excluded": report.rows_excluded,
        "excluded_by_reason": dict(report.excluded_by_reason),
        "files": [{**f, "path": relative_path(str(f["path"]), base)} for f in report.files],
        "problems": [
            {**asdict(p), "file": relative_path(p.file, base) if p.file else ""}
            for p in report.problems
        ],
    }


#: Families beyond the paper: written only when the plan asks for them.
_OPTIONAL = (
    "reliability",
    "efficacy",
    "partial_correlations",
    "mixed_models",
    "mediation",
    "facilitator",
    "sensitivity",
    "bayes_factors",
    "multiple_imputation",
    "regressions",
    "moderation",
    "trajectories",
)


def build_document(results: AnalysisResults) -> dict[str, Any]:
    """The content of ``results.json`` (JSON-safe: NaN and infinities are ``None``)."""
    study = results.study
    base = study.base_dir
    plan = study.analysis
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "software": {"name": "patalliance", "version": __version__, **package_versions()},
        "study": {
            "id": study.study.id,
            "title": study.study.title,
            "file": study.path.name,
            "sha256": results.study_sha256,
        },
        "inputs": [
            {**inp.to_dict(), "path": relative_path(inp.path, base)} for inp in results.inputs
        ],
        "plan": plan.model_dump(mode="json"),
        "instruments": {
            mid: {
                "instrument": key.id,
                "abbreviation": key.instrument.abbreviation,
                "citation": key.instrument.citation,
                "verified": key.verified_everywhere,
            }
            for mid, key in results.keys.items()
        },
        "qc": _qc(results),
        "n_participants": results.n_participants,
        "descriptives": results.descriptives.to_list(),
        "descriptives_by_arm": [d.to_dict() for d in results.descriptives.by_arm],
        "change": results.change.to_list(),
        "correlations": results.correlations.to_list(),
    }
    for name in _OPTIONAL:
        if getattr(plan, name):
            family = getattr(results, name)
            doc[name] = (
                family.to_dict()
                if name in ("facilitator", "multiple_imputation")
                else family.to_list()
            )
    if results.reproduction is not None:
        doc["reproduction"] = [c.to_dict() for c in results.reproduction]
    return clean(doc)


def dumps(document: dict[str, Any]) -> str:
    """The text of ``results.json``: ``json.dumps(document, indent=2, ensure_ascii=False,
    allow_nan=False)`` and a final newline (:func:`patalliance.json_text.dumps_indented`)."""
    return dumps_indented(document) + "\n"
