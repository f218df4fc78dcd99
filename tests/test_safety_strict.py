"""A strict study file: unknown keys, strict types, seeds, and bounded resample counts.

The bad-input corpus (tests/data/bad/b2_*) runs the same failures through ``patalliance
validate``; these tests cover every level of the study file, the pool plan, the memory
estimates (measured with :mod:`tracemalloc`, an oracle outside our code) and the commands
whose counts only fail once the data are read (``analyze``, ``power``).
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import ALL_FAMILIES, STUDY_TOML, make_participants, make_responses, run_cli
from conftest import write_study as write_tiny_study
from pydantic import ValidationError

from patalliance.config_messages import explain
from patalliance.errors import ConfigError
from patalliance.limits import (
    MAX_RESAMPLES,
    MAX_SIMULATIONS,
    MEMORY_BUDGET_BYTES,
    largest_fitting,
    memory_problem,
)
from patalliance.pool.plan import load_plan
from patalliance.simulate.power_mc import simulate_power_correlation
from patalliance.stats import bootstrap_correlations, mixed_bootstrap
from patalliance.stats.bootstrap import bootstrap_memory_bytes
from patalliance.stats.mediation import mediation, mediation_memory_bytes
from patalliance.stats.mixed_bootstrap import (
    BLOCK_BYTES,
    parametric_bootstrap_memory_bytes,
    parametric_bootstrap_random_intercept,
)
from patalliance.study import Study, load_study

ROOT = Path(__file__).resolve().parents[1]

WIDE = '[data.wide]\nid_column = "pid"\n'
SDTM = '[data.sdtm]\nqs = "qs.csv"\n'


def full_raw() -> dict[str, Any]:
    """The tiny study with every analysis family, as the dict that TOML gives."""
    text = STUDY_TOML.format(data_extra="", analysis_extra=ALL_FAMILIES)
    return tomllib.loads(text)


def message(raw: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        Study.model_validate({**raw, "path": Path("study.toml")})
    return explain(info.value, Study)


def folder_hash(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- every legitimate study file still loads -------------------------------------------------


def shipped_study_files() -> list[Path]:
    found = [*ROOT.glob("src/patalliance/data/**/*.toml"), *ROOT.glob("tests/data/**/*.toml")]
    studies = []
    for path in sorted(found):
        if "bad" in path.parts:  # the malformed-input corpus fails on purpose
            continue
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        if "study" in raw and "measures" in raw:
            studies.append(path)
    return studies


@pytest.mark.parametrize("path", shipped_study_files(), ids=lambda p: p.parent.name)
def test_every_shipped_study_file_loads(path: Path) -> None:
    assert load_study(path).analysis.seed >= 0


def test_every_analysis_family_and_option_loads(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path / "s", analysis_extra=ALL_FAMILIES)
    plan = load_study(path).analysis
    assert plan.mediation[0].n_boot == 300
    assert plan.mixed_models and plan.facilitator and plan.partial_correlations
    assert plan.efficacy[0].treatment_arm == "immediate"


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "study-file.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "study.toml").write_text(example, encoding="utf-8")
    assert load_study(tmp_path / "study.toml").analysis.confidence_level == 0.95


def test_an_int_is_still_a_number(tmp_path: Path) -> None:
    raw = full_raw()
    raw["timepoints"][0]["week"] = 0  # int where a float is expected
    raw["analysis"]["bayes_factors"]["kappa"] = 1
    raw["data"]["missing_codes"] = [-99, -9]
    study = Study.model_validate({**raw, "path": Path("study.toml")})
    assert study.timepoints[0].week == 0.0
    assert isinstance(study.analysis.bayes_factors, object)


# --- unknown keys, at every level, with did-you-mean ----------------------------------------


def _set(raw: dict[str, Any], path: tuple[Any, ...], key: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node: Any = raw
    for part in path:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[key] = value
    return raw


UNKNOWN = [
    ((), "studdy", "studdy: unknown key; did you mean 'study'?"),
    (("study",), "titel", "study.titel: unknown key; did you mean 'title'?"),
    (("arms", "immediate"), "lable", "arms.immediate.lable: unknown key; did you mean 'label'?"),
    (("timepoints", 1), "lable", "timepoints[1].lable: unknown key; did you mean 'label'?"),
    (("data",), "missing_code", "data.missing_code: unknown key; did you mean 'missing_codes'?"),
    (("measures", "alliance"), "timepiont", "measures.alliance.timepiont: unknown key"),
    (("analysis",), "ajdust", "analysis.ajdust: unknown key; did you mean 'adjust'?"),
    (("analysis",), "n_resample", "analysis.n_resample: unknown key; did you mean 'n_resamples'"),
    (("analysis", "change", 0), "variable_form", "did you mean 'variable_from'?"),
    (("analysis", "correlations", 1), "scater", "analysis.correlations[1].scater: unknown key"),
    (("analysis", "efficacy", 0), "treatment_arms", "did you mean 'treatment_arm'?"),
    (("analysis", "partial_correlations", 0), "covariate", "did you mean 'covariates'?"),
    (("analysis", "mixed_models", 0), "nboot", "mixed_models[0].nboot: unknown key"),
    (("analysis", "mediation", 0), "covarites", "did you mean 'covariates'?"),
    (("analysis", "facilitator", 0), "outcome", "did you mean 'outcomes'?"),
    (("analysis", "sensitivity"), "famlies", "analysis.sensitivity.famlies: unknown key"),
    (("analysis", "bayes_factors"), "kapa", "analysis.bayes_factors.kapa: unknown key"),
    (("analysis", "multiple_imputation"), "burnin", "did you mean 'burn_in'?"),
]


@pytest.mark.parametrize(("path", "key", "expected"), UNKNOWN, ids=[u[1] for u in UNKNOWN])
def test_unknown_keys_are_errors_at_every_level(
    path: tuple[Any, ...], key: str, expected: str
) -> None:
    text = message(_set(full_raw(), path, key, 1))
    assert expected in text, text
    assert text.count(": ") == 1, text  # one sentence for one problem


@pytest.mark.parametrize(
    ("section", "key", "expected"),
    [
        ("redcap", "recrods", "data.redcap.recrods: unknown key; did you mean 'records'?"),
        ("wide", "id_colum", "data.wide.id_colum: unknown key; did you mean 'id_column'?"),
        ("sdtm", "categries", "data.sdtm.categries: unknown key; did you mean 'categories'?"),
    ],
)
def test_unknown_keys_in_the_format_sections(section: str, key: str, expected: str) -> None:
    raw = full_raw()
    raw["data"][section] = {
        "redcap": {"records": "r.csv", "dictionary": "d.csv"},
        "wide": {},
        "sdtm": {"qs": "qs.csv"},
    }[section] | {key: "x"}
    assert expected in message(raw)


def test_a_key_with_control_characters_is_escaped() -> None:
    text = message(_set(full_raw(), ("analysis",), "aj\x1b[31mdust", 1))
    assert "\x1b" not in text
    assert text.startswith("analysis.'aj\\x1b[31mdust': unknown key"), text


def test_an_empty_list_names_the_key() -> None:
    text = message(_set(full_raw(), ("analysis", "correlations", 0), "x", []))
    assert text == "analysis.correlations[0].x: needs at least 1 entry, got 0"


def test_an_unknown_key_with_no_close_match_lists_the_keys() -> None:
    text = message(_set(full_raw(), ("analysis", "bayes_factors"), "zzz", 1))
    assert "analysis.bayes_factors.zzz: unknown key; allowed keys: families, kappa" in text


# --- strict types and the seed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("seed", True, "analysis.seed: expected a whole number, got the boolean true"),
        ("seed", -1, "analysis.seed: must be at least 0, got -1"),
        (
            "seed",
            "1",
            "analysis.seed: expected a whole number, got the text '1'; remove the quotes",
        ),
        ("seed", 1.0, "analysis.seed: expected a whole number, got 1.0"),
        ("confidence_level", "0.95", "analysis.confidence_level: expected a number, got the text"),
        ("confidence_level", True, "analysis.confidence_level: expected a number, got the boolean"),
        ("confidence_level", 1, "analysis.confidence_level: must be less than 1, got 1"),
        ("n_resamples", 1e9, "analysis.n_resamples: expected a whole number, got 1000000000.0"),
        ("n_resamples", 10**9, f"analysis.n_resamples: must be at most {MAX_RESAMPLES}"),
        ("reliability", 1, "analysis.reliability: expected true or false, got 1"),
        ("adjust", "hlom", "analysis.adjust: must be 'none', 'holm' or 'fdr_bh', got 'hlom'"),
        ("sensitivity", "yes", "analysis.sensitivity: expected true, false or a table, got 'yes'"),
    ],
)
def test_strict_types(key: str, value: Any, expected: str) -> None:
    text = message(_set(full_raw(), ("analysis",), key, value))
    assert expected in text, text
    assert "Input should" not in text and "bool" not in text.replace("boolean", "")


def test_quotes_are_blamed_only_when_the_text_is_a_number() -> None:
    text = message(_set(full_raw(), ("analysis",), "confidence_level", "abc"))
    assert text == "analysis.confidence_level: expected a number, got the text 'abc'"


def test_the_power_api_bounds_its_counts() -> None:
    with pytest.raises(ValueError, match=r"'n_simulations' parameter .* at most 1000000"):
        simulate_power_correlation(0.3, 20, n_simulations=MAX_SIMULATIONS + 1, seed=1)
    with pytest.raises(ValueError, match=r"'n' parameter .* too large"):
        simulate_power_correlation(0.3, 2 * 10**9, n_simulations=10, seed=1)


def test_a_suggestion_for_a_misspelt_choice() -> None:
    text = message(_set(full_raw(), ("analysis",), "adjust", "hlom"))
    assert text.endswith("did you mean 'holm'?"), text


@pytest.mark.parametrize(
    ("path", "key", "value", "expected"),
    [
        (
            ("analysis", "mediation", 0),
            "n_boot",
            2 * MAX_RESAMPLES,
            "mediation[0].n_boot: must be at most",
        ),
        (
            ("analysis", "mixed_models", 0),
            "n_boot",
            True,
            "mixed_models[0].n_boot: expected a whole",
        ),
        (
            ("analysis", "sensitivity"),
            "n_resamples",
            10**8,
            "sensitivity.n_resamples: must be at most",
        ),
        (
            ("analysis", "multiple_imputation"),
            "m",
            10**6,
            "multiple_imputation.m: must be at most 1000",
        ),
        (("analysis", "multiple_imputation"), "burn_in", 10**6, "burn_in: must be at most 1000"),
    ],
)
def test_every_count_has_an_upper_bound(
    path: tuple[Any, ...], key: str, value: Any, expected: str
) -> None:
    assert expected in message(_set(full_raw(), path, key, value))


def test_load_study_names_the_file_and_key(tmp_path: Path) -> None:
    path = write_tiny_study(tmp_path / "s")
    text = path.read_text(encoding="utf-8").replace("seed = 1", "seed = true")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"study\.toml: analysis\.seed: expected a whole number"):
        load_study(path)


# --- the pool plan -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[pool]\nmetod = "DL"\n', "pool.metod: unknown key; did you mean 'method'?"),
        ('[pool]\nconfidence_level = "0.95"\n', "pool.confidence_level: expected a number"),
        ("[pool]\nhksj = 1\n", "pool.hksj: expected true or false, got 1"),
        ('[[inputs]]\nfile = "a.json"\nhigher_is_beter = true\n', "inputs[0].higher_is_beter"),
    ],
)
def test_the_pool_plan_is_strict(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "pool.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_plan(tmp_path / "pool.toml")
    assert expected in str(info.value)


def test_a_pool_plan_with_inputs_still_loads(tmp_path: Path) -> None:
    (tmp_path / "pool.toml").write_text(
        '[pool]\nmethod = "DL"\n[[inputs]]\nfile = "a.json"\n[[inputs]]\nfile = "b.json"\n',
        encoding="utf-8",
    )
    assert [i.file for i in load_plan(tmp_path / "pool.toml").inputs] == ["a.json", "b.json"]


# --- the memory budget -------------------------------------------------------------------------


def test_memory_problem_arithmetic() -> None:
    n = 5_000

    def need(c: int) -> int:
        return c * n * 8

    assert memory_problem("k", 53_687, need, "f") is None  # 53687 * 5000 * 8 < 2**31
    text = memory_problem("analysis.n_resamples", 53_688, need, "f")
    assert text is not None
    assert text.startswith("analysis.n_resamples = 53688 needs about 2.0 GiB")
    assert text.endswith("use at most 53687")
    assert largest_fitting(need, 10**6) == MEMORY_BUDGET_BYTES // (n * 8)


def peak_bytes(func: Any) -> int:
    """Peak bytes traced during ``func()``, after a first call has loaded any module the step
    imports lazily (the estimates count the step's arrays, not one-time imports)."""
    func()
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("n", "p", "q", "n_resamples", "method"),
    [(100, 1, 1, 3000, "pearson"), (100, 2, 4, 3000, "pearson"), (60, 2, 2, 2000, "spearman")],
)
def test_bootstrap_estimate_bounds_the_measured_peak(
    n: int, p: int, q: int, n_resamples: int, method: str
) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(n, p)), rng.normal(size=(n, q))
    peak = peak_bytes(
        lambda: bootstrap_correlations(
            x, y, method=method, n_resamples=n_resamples, rng=np.random.default_rng(2)
        )
    )
    estimate = bootstrap_memory_bytes(n, p, q, n_resamples, method)
    assert 0.9 * peak <= estimate <= 3.5 * peak, (peak, estimate)


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_resampling_memory_does_not_grow_with_resamples_times_participants(method: str) -> None:
    # the resample indices of one call would be n_resamples x n int64 values: 8 GB here
    n, n_resamples = 100_000, 10_000
    indices = np.dtype(np.int64).itemsize * n * n_resamples
    assert bootstrap_memory_bytes(n, 2, 4, n_resamples, method) < indices / 20
    assert mediation_memory_bytes(n, 2, 1, n_resamples) < indices / 20


def test_mediation_estimate_bounds_the_measured_peak() -> None:
    rng = np.random.default_rng(1)
    n, n_boot = 200, 1000
    x = rng.normal(size=n)
    m = np.column_stack([x + rng.normal(size=n), rng.normal(size=n)])
    y = x + m[:, 0] + rng.normal(size=n)
    peak = peak_bytes(lambda: mediation(x, m, y, n_boot=n_boot, rng=np.random.default_rng(2)))
    estimate = mediation_memory_bytes(n, 2, 0, n_boot)
    assert peak <= estimate <= 1.5 * peak, (peak, estimate)


@pytest.mark.parametrize(
    ("n_groups", "max_size", "p", "n_boot", "block_bytes"),
    [
        (100, 1, 2, 300, BLOCK_BYTES),
        (1000, 4, 7, 2000, BLOCK_BYTES),
        (20000, 4, 7, 200, BLOCK_BYTES),
        (300, 3, 4, 5000, 2**20),  # several blocks
    ],
)
def test_mixed_bootstrap_estimate_bounds_the_measured_peak(
    n_groups: int,
    max_size: int,
    p: int,
    n_boot: int,
    block_bytes: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mixed_bootstrap, "BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(1)
    sizes = np.maximum(rng.integers(1, max_size + 1, n_groups), 1)
    sizes[:max_size] = np.arange(1, max_size + 1)  # every size 1 .. max_size present
    codes = np.repeat(np.arange(n_groups), sizes)
    n_obs = codes.size
    exog = np.column_stack([np.ones(n_obs), rng.normal(size=(n_obs, p - 1))])
    peak = peak_bytes(
        lambda: parametric_bootstrap_random_intercept(
            exog, codes, np.ones(p), 1.0, 2.0, n_boot=n_boot, rng=np.random.default_rng(3)
        )
    )
    estimate = parametric_bootstrap_memory_bytes(
        n_obs, n_groups, n_boot, n_fixed=p, n_sizes=max_size
    )
    assert peak <= estimate <= 2 * peak, (peak, estimate)


def test_mixed_bootstrap_memory_does_not_grow_with_n_boot_beyond_its_estimates() -> None:
    # One block at most: beyond it, only n_boot * (p + 2) values for the kept estimates.
    small = parametric_bootstrap_memory_bytes(400_000, 100_000, 1_000, n_fixed=6, n_sizes=4)
    large = parametric_bootstrap_memory_bytes(400_000, 100_000, 1_000_000, n_fixed=6, n_sizes=4)
    assert large - small <= BLOCK_BYTES + 8 * (1_000_000 - 1_000) * 8
    assert large < MEMORY_BUDGET_BYTES


def test_mixed_models_of_100000_participants_fit_the_budget() -> None:
    # The demo's mixed models: 4 follow-ups, 1,000 parametric-bootstrap replicates each.
    from importlib.resources import files

    from patalliance.analysis.memory import resample_memory_problems

    study = load_study(Path(str(files("patalliance") / "data" / "levin2024" / "study.toml")))
    assert [m.n_boot for m in study.analysis.mixed_models] == [1000]
    problems = resample_memory_problems(study, 100_000, 50)
    assert not [p for p in problems if "mixed_models" in p], problems


# --- commands: exit 2, one line naming the key, nothing lost ---------------------------------


def test_analyze_refuses_resamples_over_the_memory_budget(tmp_path: Path) -> None:
    # 15 x 15 participants-file columns: 225 pairs x 1,000,000 replicates, held whole for
    # their quantiles, are about 2.3 GiB
    n = 40
    participants = make_participants(n=n)
    rng = np.random.default_rng(3)
    names = [f"c{i:02d}" for i in range(30)]
    for name in names:
        participants[name] = rng.normal(size=n).round(3)
    wide = (
        '[[analysis.correlations]]\nfamily = "wide"\n'
        f"x = {names[:15]!r}\ny = {names[15:]!r}\n".replace("'", '"')
    )
    study = write_tiny_study(
        tmp_path / "s",
        make_responses(n=n, missing=0.0),
        participants,
        analysis_extra=wide,
    )
    text = study.read_text(encoding="utf-8").replace(
        'ci = "fisher"', f'ci = "bootstrap"\nn_resamples = {MAX_RESAMPLES}'
    )
    study.write_text(text, encoding="utf-8")
    before = folder_hash(study.parent)
    result = run_cli("analyze", str(study), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "study.toml: analysis.n_resamples = 1000000 needs about" in lines[0]
    assert "use at most" in lines[0]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert folder_hash(study.parent) == before
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--n", "20", "--simulations", str(10**12)], "--simulations must be a whole number"),
        (["--n", "20", "--simulations", "0"], "--simulations must be a whole number"),
        (
            ["--n", "2000000000", "--simulations", "10"],
            "--n: one simulated trial of n = 2000000000 participants",
        ),
        (
            ["--n", "20", "--simulations", "10", "--seed", "-1"],
            "--seed must be a whole number >= 0",
        ),
    ],
)
def test_power_flags_are_bounded(args: list[str], expected: str) -> None:
    if "--seed" not in args:
        args = [*args, "--seed", "1"]
    result = run_cli("power", "correlation", "--r", "0.3", *args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_power_plan_simulations_are_bounded(tmp_path: Path) -> None:
    study = write_tiny_study(tmp_path / "s")
    before = folder_hash(study.parent)
    result = run_cli(
        "power", "plan", str(study), "--n", "24", "--simulations", str(10**9), "--seed", "1"
    )
    assert result.returncode == 2, result.stderr
    assert "--simulations must be a whole number from 1 to 1000000" in result.stderr
    assert folder_hash(study.parent) == before
