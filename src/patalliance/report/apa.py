"""APA-style (7th edition) formatting of statistics for the report.

Rules applied everywhere:

- statistics that cannot exceed 1 in absolute value (r, p) have no leading zero: ``.65``;
- p is given exactly to three decimals, ``p < .001`` below .001 and ``p > .999`` when it
  rounds to 1.000;
- negative numbers use the real minus sign (U+2212), never a hyphen;
- the confidence level of an interval comes from the analysis plan (``confidence_level``);
- a missing value (``None`` or NaN) is written ``n/a``, with the reason where one is known;
- no confidence interval for a correlation with n < 4 (the Fisher z interval needs n > 3).

References
----------
American Psychological Association. (2020). *Publication manual of the American
Psychological Association* (7th ed.), sections 6.36 and 6.44.
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "\u2212"
NA = "n/a"


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN and infinities (anything that cannot be printed as a number).

    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0)
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def fmt_num(value: Any, decimals: int = 2, *, leading_zero: bool = True) -> str:
    """A number rounded to ``decimals``, with the real minus sign; ``n/a`` when missing.

    A value that rounds to zero never shows a minus sign.

    >>> fmt_num(-0.4321)
    '−0.43'
    >>> fmt_num(-0.4321, leading_zero=False)
    '−.43'
    >>> fmt_num(-0.001)
    '0.00'
    >>> fmt_num(None)
    'n/a'
    """
    if is_missing(value):
        return NA
    x = float(value)
    text = f"{abs(x):.{decimals}f}"
    if not leading_zero and text.startswith("0."):
        text = text[1:]
    negative = x < 0 and any(ch not in "0." for ch in text)
    return (MINUS if negative else "") + text


def fmt_int(value: Any) -> str:
    """An integer-valued count or df (``18``), or one decimal when fractional (Welch df)."""
    if is_missing(value):
        return NA
    x = float(value)
    return str(round(x)) if abs(x - round(x)) < 1e-9 else fmt_num(x, 1)


def fmt_r(r: Any, decimals: int = 2) -> str:
    """A correlation without leading zero: ``−.65``, ``1.00``, ``.00``.

    >>> fmt_r(-0.6549), fmt_r(-1.0), fmt_r(0.0)
    ('−.65', '−1.00', '.00')
    """
    return fmt_num(r, decimals, leading_zero=False)


def fmt_p_value(p: Any) -> str:
    """The value part of a p-value for a table cell: ``.030``, ``< .001``, ``> .999``.

    >>> fmt_p_value(0.0005), fmt_p_value(0.001), fmt_p_value(0.0296), fmt_p_value(0.9999)
    ('< .001', '.001', '.030', '> .999')
    """
    if is_missing(p):
        return NA
    x = float(p)
    if x < 0.001:
        return "< .001"
    text = f"{x:.3f}"
    if not text.startswith("0."):  # rounds to 1.000
        return "> .999"
    return text[1:]


def fmt_p(p: Any) -> str:
    """``p = .030``, ``p < .001``, ``p > .999``; ``p = n/a`` when missing.

    >>> fmt_p(0.0021), fmt_p(0.0005), fmt_p(0.9999), fmt_p(float("nan"))
    ('p = .002', 'p < .001', 'p > .999', 'p = n/a')
    """
    value = fmt_p_value(p)
    if value.startswith(("<", ">")):
        return f"p {value}"
    return f"p = {value}"


def ci_label(confidence_level: float) -> str:
    """``95%`` for 0.95, ``90%`` for 0.9, ``99.5%`` for 0.995.

    >>> ci_label(0.95), ci_label(0.995)
    ('95%', '99.5%')
    """
    pct = round(100 * float(confidence_level), 6)
    text = f"{pct:.6f}".rstrip("0").rstrip(".")
    return f"{text}%"


def fmt_ci(
    low: Any,
    high: Any,
    *,
    confidence_level: float,
    decimals: int = 2,
    leading_zero: bool = True,
) -> str:
    """``95% CI [−.85, −.29]``; ``n/a`` when either bound is missing.

    >>> fmt_ci(-0.853, -0.291, confidence_level=0.95, leading_zero=False)
    '95% CI [−.85, −.29]'
    """
    if is_missing(low) or is_missing(high):
        return NA
    lo = fmt_num(low, decimals, leading_zero=leading_zero)
    hi = fmt_num(high, decimals, leading_zero=leading_zero)
    return f"{ci_label(confidence_level)} CI [{lo}, {hi}]"


def sig_marker(p: Any) -> str:
    """``*`` p < .05, ``**`` p < .01, ``***`` p < .001; ``""`` otherwise or when missing.

    >>> sig_marker(0.04), sig_marker(0.009), sig_marker(0.0002), sig_marker(0.2)
    ('*', '**', '***', '')
    """
    if is_missing(p):
        return ""
    x = float(p)
    if x < 0.001:
        return "***"
    if x < 0.01:
        return "**"
    if x < 0.05:
        return "*"
    return ""


def r_symbol(method: str) -> str:
    """``r`` for Pearson, ``r_s`` for Spearman."""
    return "r_s" if method == "spearman" else "r"


def apa_correlation(
    r: Any,
    *,
    n: Any,
    p: Any,
    ci_low: Any = None,
    ci_high: Any = None,
    confidence_level: float = 0.95,
    method: str = "pearson",
) -> str:
    """One correlation in APA style: ``r(18) = −.65, p = .002, 95% CI [−.85, −.29]``.

    The degrees of freedom are n − 2. With n < 4 no interval is given; with n < 3, or when r
    is missing (e.g. a variable without variance), the statistic is ``n/a`` with the reason.

    >>> apa_correlation(-0.65, n=20, p=0.0019, ci_low=-0.85, ci_high=-0.29)
    'r(18) = −.65, p = .002, 95% CI [−.85, −.29]'
    >>> apa_correlation(0.99, n=3, p=0.09, ci_low=None, ci_high=None)
    'r(1) = .99, p = .090 (no CI: n = 3 < 4)'
    >>> apa_correlation(float("nan"), n=2, p=float("nan"))
    'r = n/a (n = 2: too few complete pairs)'
    """
    sym = r_symbol(method)
    n_int = None if is_missing(n) else int(n)
    if n_int is None or n_int < 3:
        shown = NA if n_int is None else str(n_int)
        return f"{sym} = {NA} (n = {shown}: too few complete pairs)"
    if is_missing(r):
        return f"{sym}({n_int - 2}) = {NA} (a variable has no variance; n = {n_int})"
    head = f"{sym}({n_int - 2}) = {fmt_r(r)}, {fmt_p(p)}"
    if n_int < 4:
        return f"{head} (no CI: n = {n_int} < 4)"
    if is_missing(ci_low) or is_missing(ci_high):
        return f"{head}, {ci_label(confidence_level)} CI {NA}"
    ci = fmt_ci(ci_low, ci_high, confidence_level=confidence_level, leading_zero=False)
    return f"{head}, {ci}"


def apa_t(
    t: Any,
    *,
    df: Any,
    p: Any,
    d_av: Any = None,
    d_z: Any = None,
    d_z_ci_low: Any = None,
    d_z_ci_high: Any = None,
    confidence_level: float = 0.95,
) -> str:
    """A paired t test: ``t(19) = 2.34, p = .030, d_av = 0.43`` (d has a leading zero).

    >>> apa_t(2.3412, df=19, p=0.0302, d_av=0.4321)
    't(19) = 2.34, p = .030, d_av = 0.43'
    >>> apa_t(-2.5, df=9, p=0.034, d_z=-0.79, d_z_ci_low=-1.5, d_z_ci_high=-0.05)
    't(9) = −2.50, p = .034, d_z = −0.79, 95% CI [−1.50, −0.05]'
    >>> apa_t(None, df=1, p=None)
    't = n/a (too few complete pairs)'
    """
    if is_missing(t) or is_missing(df):
        return f"t = {NA} (too few complete pairs)"
    parts = [f"t({fmt_int(df)}) = {fmt_num(t)}", fmt_p(p)]
    if d_av is not None:
        parts.append(f"d_av = {fmt_num(d_av)}")
    if d_z is not None:
        text = f"d_z = {fmt_num(d_z)}"
        if not is_missing(d_z_ci_low) and not is_missing(d_z_ci_high):
            text += ", " + fmt_ci(d_z_ci_low, d_z_ci_high, confidence_level=confidence_level)
        parts.append(text)
    return ", ".join(parts)


def fmt_mean_sd(mean: Any, sd: Any, decimals: int = 2) -> str:
    """``22.90 (3.60)``; ``n/a`` when the mean is missing, ``22.90 (n/a)`` without an SD."""
    if is_missing(mean):
        return NA
    return f"{fmt_num(mean, decimals)} ({fmt_num(sd, decimals)})"


def fmt_interval(low: Any, high: Any, *, decimals: int = 2, leading_zero: bool = True) -> str:
    """The bounds of an interval for a table cell whose header names it: ``[−0.85, −0.29]``.

    >>> fmt_interval(-0.853, -0.291, leading_zero=False)
    '[−.85, −.29]'
    >>> fmt_interval(None, 1.0)
    'n/a'
    """
    if is_missing(low) or is_missing(high):
        return NA
    lo = fmt_num(low, decimals, leading_zero=leading_zero)
    hi = fmt_num(high, decimals, leading_zero=leading_zero)
    return f"[{lo}, {hi}]"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_bf(bf: Any) -> str:
    """A Bayes factor: two decimals between 0.01 and 1,000, else ``1.2 × 10⁵``.

    >>> fmt_bf(3.456), fmt_bf(117785.86), fmt_bf(0.00042)
    ('3.46', '1.2 × 10⁵', '4.2 × 10⁻⁴')
    """
    if is_missing(bf):
        return NA
    x = float(bf)
    if x == 0:
        return "0"
    if 0.01 <= x < 1000:
        return fmt_num(x, 2)
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
