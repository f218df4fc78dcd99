"""APA formatting (APA Publication Manual, 7th ed., sections 6.36 and 6.44)."""

from __future__ import annotations

import math

import pytest

from patalliance.report import apa

MINUS = "\u2212"


def test_paper_examples() -> None:
    assert (
        apa.apa_correlation(-0.6512, n=20, p=0.0019, ci_low=-0.8512, ci_high=-0.2931)
        == f"r(18) = {MINUS}.65, p = .002, 95% CI [{MINUS}.85, {MINUS}.29]"
    )
    assert apa.apa_t(2.3412, df=19, p=0.0302, d_av=0.4321) == "t(19) = 2.34, p = .030, d_av = 0.43"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0005, "p < .001"),
        (0.000999, "p < .001"),
        (0.001, "p = .001"),
        (0.0296, "p = .030"),
        (0.05, "p = .050"),
        (0.9994, "p = .999"),
        (0.9999, "p > .999"),
        (1.0, "p > .999"),
        (None, "p = n/a"),
        (math.nan, "p = n/a"),
    ],
)
def test_p_values(p: float | None, expected: str) -> None:
    assert apa.fmt_p(p) == expected


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (-1.0, f"{MINUS}1.00"),
        (1.0, "1.00"),
        (-0.004, ".00"),
        (0.456, ".46"),
        (-0.455001, f"{MINUS}.46"),
    ],
)
def test_r_has_no_leading_zero_and_a_real_minus(r: float, expected: str) -> None:
    assert apa.fmt_r(r) == expected
    assert "-" not in apa.fmt_r(r)


def test_r_of_minus_one_in_a_sentence() -> None:
    text = apa.apa_correlation(-1.0, n=10, p=0.0, ci_low=-1.0, ci_high=-1.0)
    assert text == f"r(8) = {MINUS}1.00, p < .001, 95% CI [{MINUS}1.00, {MINUS}1.00]"


def test_small_n_gives_no_interval() -> None:
    text = apa.apa_correlation(0.9, n=3, p=0.29, ci_low=0.1, ci_high=0.99)
    assert text == "r(1) = .90, p = .290 (no CI: n = 3 < 4)"
    assert "CI [" not in text
    assert (
        apa.apa_correlation(math.nan, n=2, p=math.nan) == "r = n/a (n = 2: too few complete pairs)"
    )


def test_missing_values_say_why() -> None:
    assert "no variance" in apa.apa_correlation(math.nan, n=12, p=math.nan)
    assert apa.apa_correlation(None, n=None, p=None).startswith("r = n/a")
    assert apa.apa_t(math.nan, df=math.nan, p=math.nan) == "t = n/a (too few complete pairs)"
    assert apa.fmt_mean_sd(None, None) == "n/a"
    assert apa.fmt_ci(None, 0.2, confidence_level=0.95) == "n/a"
    assert apa.sig_marker(None) == ""


def test_confidence_level_comes_from_the_plan() -> None:
    text = apa.apa_correlation(0.5, n=30, p=0.005, ci_low=0.17, ci_high=0.73, confidence_level=0.9)
    assert text.endswith("90% CI [.17, .73]")
    assert apa.ci_label(0.995) == "99.5%"


def test_spearman_symbol_and_fractional_df() -> None:
    assert apa.apa_correlation(0.5, n=30, p=0.005, method="spearman").startswith("r_s(28)")
    assert apa.apa_t(2.0, df=17.56, p=0.06).startswith("t(17.6) = 2.00")


def test_significance_markers() -> None:
    assert [apa.sig_marker(p) for p in (0.0009, 0.001, 0.0099, 0.049, 0.05)] == [
        "***",
        "**",
        "**",
        "*",
        "",
    ]
