"""Regenerate ``tdist.json``: two-sided Student-t p-values, and the t of a correlation.

Run ``python tests/reference/make_tdist.py`` from the repository root. Uses scipy and numpy
only (never ``patalliance``). Also holds a published table (NIST/SEMATECH critical values of
Student's t), compared at its printed precision.
"""

from __future__ import annotations

import numpy as np
import scipy
from _refio import dump, versions
from scipy import stats

T_CASES = [
    (0.0, 5.0),
    (0.5, 1.0),
    (-1.3, 2.5),
    (1.959963984540054, 30.0),
    (2.228, 10.0),
    (-3.5, 17.25),
    (4.2, 200.0),
    (7.0, 3.0),
    (-12.0, 40.0),
]
R_CASES = [
    (0.5, 18.0),
    (-0.31, 43.0),
    (0.9021126017769081, 10.0),
    (0.05, 120.0),
    (-0.97, 6.0),
    (0.0, 9.0),
    (0.44, 25.0),  # a partial correlation: n = 30, k = 3 covariates, df = n - 2 - k
]

# NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2, "Critical Values of
# the Student's t Distribution", column 0.975 (upper-tail probability 0.025, so a two-sided
# p-value of 0.05), printed to 3 decimals.
NIST_T_975 = [
    (1, 12.706),
    (2, 4.303),
    (3, 3.182),
    (4, 2.776),
    (5, 2.571),
    (10, 2.228),
    (20, 2.086),
    (30, 2.042),
]


def main() -> None:
    t_rows = [{"t": t, "df": df, "p": 2.0 * float(stats.t.sf(abs(t), df))} for t, df in T_CASES]
    r_rows = []
    for r, df in R_CASES:
        t = float(r * np.sqrt(df / (1.0 - r * r)))
        r_rows.append({"r": r, "df": df, "t": t, "p": 2.0 * float(stats.t.sf(abs(t), df))})
    out = {
        "family": "t distribution (patalliance.stats.t_two_sided_p, correlation_t)",
        "provenance": {
            "script": "tests/reference/make_tdist.py",
            "libraries": versions("scipy"),
            "source": (
                f"scipy {scipy.__version__}: 2 * scipy.stats.t.sf(abs(t), df); the t of r is "
                "the closed form r * sqrt(df / (1 - r**2)) (Fisher 1915); plus the published "
                "NIST/SEMATECH table of critical values of t"
            ),
            "frozen": True,
        },
        "t_two_sided_p": {
            "cases": t_rows,
            "call": "2.0 * scipy.stats.t.sf(abs(t), df)",
        },
        "correlation_t": {
            "cases": r_rows,
            "call": ("t = r * numpy.sqrt(df / (1 - r**2)); p = 2.0 * scipy.stats.t.sf(abs(t), df)"),
        },
        "published_t_table": {
            "citation": (
                "NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2 "
                "'Critical Values of the Student's t Distribution', column 0.975 "
                "(https://www.itl.nist.gov/div898/handbook/eda/section3/eda3672.htm)"
            ),
            "printed_decimals": 3,
            "two_sided_p": 0.05,
            "rows": [{"df": df, "t_crit": t} for df, t in NIST_T_975],
            "comparison": (
                "the two-sided p at the printed critical value is 0.05 up to the effect of "
                "rounding t to 3 decimals: |p - 0.05| <= 2 * f_df(t) * 0.0005"
            ),
        },
    }
    dump(out, "tdist.json")


if __name__ == "__main__":
    main()
