"""Pool study-level results across trials: random-effects meta-analysis.

Inputs are several trials' ``results.json`` (with a ``pool.toml`` naming the result), a CSV of
study-level effects, or a bundled example; see ``docs/pool.md``. Names are imported on first
use, so registering the ``pool`` command does not load the statistics.

>>> from patalliance.pool import EffectTable, StudyEffect, pool
>>> table = EffectTable("r", (StudyEffect("a", "A", "", 0.5, 0.2, 28.0),
...                          StudyEffect("b", "B", "", 0.3, 0.25, 19.0)))
>>> res = pool(table, method="DL")
>>> res.model.k, round(res.estimate, 3)
(2, 0.399)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patalliance._lazy import lazy_exports

if TYPE_CHECKING:
    from patalliance.pool.analysis import Benchmark, PoolResult, StudyRecord, pool
    from patalliance.pool.effects import (
        EffectSizes,
        change_sd,
        combine_groups,
        fisher_z,
        hedges_g,
    )
    from patalliance.pool.inputs import read_effects_csv
    from patalliance.pool.model import RandomEffects, random_effects
    from patalliance.pool.plan import load_plan, read_results_inputs
    from patalliance.pool.report import write_pool_outputs
    from patalliance.pool.run import run_pool
    from patalliance.pool.studies import EffectTable, StudyEffect

#: Public name → the module that defines it.
_EXPORTS = {
    "Benchmark": "patalliance.pool.analysis",
    "PoolResult": "patalliance.pool.analysis",
    "StudyRecord": "patalliance.pool.analysis",
    "pool": "patalliance.pool.analysis",
    "EffectSizes": "patalliance.pool.effects",
    "change_sd": "patalliance.pool.effects",
    "combine_groups": "patalliance.pool.effects",
    "fisher_z": "patalliance.pool.effects",
    "hedges_g": "patalliance.pool.effects",
    "read_effects_csv": "patalliance.pool.inputs",
    "RandomEffects": "patalliance.pool.model",
    "random_effects": "patalliance.pool.model",
    "load_plan": "patalliance.pool.plan",
    "read_results_inputs": "patalliance.pool.plan",
    "write_pool_outputs": "patalliance.pool.report",
    "run_pool": "patalliance.pool.run",
    "EffectTable": "patalliance.pool.studies",
    "StudyEffect": "patalliance.pool.studies",
}

__all__ = [
    "Benchmark",
    "EffectSizes",
    "EffectTable",
    "PoolResult",
    "RandomEffects",
    "StudyEffect",
    "StudyRecord",
    "change_sd",
    "combine_groups",
    "fisher_z",
    "hedges_g",
    "load_plan",
    "pool",
    "random_effects",
    "read_effects_csv",
    "read_results_inputs",
    "run_pool",
    "write_pool_outputs",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, globals())
