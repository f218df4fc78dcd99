"""``pool_results.json`` (schema ``patalliance.pool/1``): the pooled analysis as data.

Numbers are unrounded; NaN becomes ``null``; there is no timestamp. The JSON Schema is
``pool.schema.json`` next to this module and the fields are documented in ``docs/pool.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from patalliance._version import __version__
from patalliance.document import clean, dumps, package_versions
from patalliance.pool.analysis import PoolResult
from patalliance.pool.diagnostics import SubgroupAnalysis

__all__ = [
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "build_document",
    "display_path",
    "file_sha256",
    "write_document",
]

SCHEMA_ID = "patalliance.pool/1"
SCHEMA_PATH = Path(__file__).resolve().parent / "pool.schema.json"

_ANALYSIS_SCALE = {
    "g": "Hedges' g",
    "r": "r (pooled on Fisher's z, back-transformed with tanh)",
    "generic": "the effect as given",
}


def display_path(path: str) -> str:
    """A bundled data file as ``patalliance/data/...``; other paths as given."""
    marker = "/patalliance/data/"
    text = path.replace("\\", "/")
    return "patalliance/data/" + text.split(marker, 1)[1] if marker in text else path


def file_sha256(path: str) -> str | None:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


def _direction(result: PoolResult) -> str:
    if result.table.oriented:
        return (
            "oriented: effects from inputs with higher_is_better = false were sign-flipped, so "
            "a positive effect means a better outcome"
        )
    return "as given: higher outcome values count as better in every input (no sign flipped)"


def _model(result: PoolResult) -> dict[str, Any]:
    m = result.model
    out = asdict(m)
    out.pop("weights")
    out["status"] = str(m.status)
    out["test"] = "t (HKSJ)" if m.hksj else "z"
    pooled = {k: out[k] for k in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")}
    out.update(
        estimate=result.estimate,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        pi_low=result.pi_low,
        pi_high=result.pi_high,
        pooling_scale_values=pooled,
    )
    return out


def _subgroups(sub: SubgroupAnalysis | None) -> dict[str, Any] | None:
    if sub is None:
        return None
    groups = [
        {k: v for k, v in asdict(g).items() if k != "model"} | {"status": str(g.model.status)}
        for g in sub.groups
    ]
    return {
        "column": sub.column,
        "groups": groups,
        "q_between": sub.q_between,
        "df": sub.df,
        "p": sub.p,
        "confidence_level": sub.confidence_level,
        "status": str(sub.status),
        "reason": sub.reason,
    }


def build_document(result: PoolResult) -> dict[str, Any]:
    """The content of ``pool_results.json`` for ``result`` (JSON-safe)."""
    table = result.table
    egger = asdict(result.egger) | {"status": str(result.egger.status)}
    loo = [asdict(r) | {"status": str(r.status)} for r in result.leave_one_out.records]
    doc = {
        "schema": SCHEMA_ID,
        "software": {"name": "patalliance", "version": __version__, **package_versions()},
        "title": result.title,
        "description": result.description,
        "inputs": {
            "source": table.source,
            "outcome": table.outcome,
            "files": [{"path": display_path(f), "sha256": file_sha256(f)} for f in table.files],
        },
        "effect": {
            "measure": table.measure,
            "analysis_scale": _ANALYSIS_SCALE[table.measure],
            "pooling_scale": result.pooling_scale,
            "g_convention": table.convention or None,
            "direction": _direction(result),
        },
        "options": {
            "method": result.model.method,
            "hksj": result.model.hksj,
            "confidence_level": result.confidence_level,
        },
        "studies": [asdict(s) for s in result.studies],
        "model": _model(result),
        "leave_one_out": loo,
        "egger": egger,
        "subgroups": _subgroups(result.subgroups),
        "benchmark": asdict(result.benchmark) if result.benchmark is not None else None,
        "notes": list(result.notes),
    }
    cleaned: dict[str, Any] = clean(doc)
    return cleaned


def write_document(result: PoolResult, path: Path) -> Path:
    """Write ``pool_results.json``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(build_document(result)), encoding="utf-8")
    return path
