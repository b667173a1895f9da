"""deskmetrics.stats against known values: closed forms, textbook tables, and an independent
numerical integration for the Student t distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deskmetrics.stats import (
    Z95,
    beta_binomial_prior,
    beta_quantile,
    nps_interval,
    regularized_beta,
    shrunk_interval,
    shrunk_proportion,
    t_cdf,
    t_interval,
    t_quantile,
    wilson_interval,
)

# ---------------------------------------------------------------------------------------------
# Wilson and NPS


def test_wilson_known_values() -> None:
    lo, hi = wilson_interval(80, 100)
    assert (lo, hi) == (pytest.approx(0.711171, abs=1e-6), pytest.approx(0.866633, abs=1e-6))
    # s = 0: lower bound 0, upper z²/(n + z²)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(Z95**2 / (10 + Z95**2))
    assert wilson_interval(0, 0) is None


def test_nps_interval() -> None:
    # 40 promoters, 20 detractors of 100: 20 ± 1.96·√(0.56/100)·100 = 20 ± 14.667
    lo, hi = nps_interval(40, 20, 100)
    assert lo == pytest.approx(20 - Z95 * math.sqrt(0.0056) * 100)
    assert (lo, hi) == (pytest.approx(5.333, abs=1e-3), pytest.approx(34.667, abs=1e-3))
    # clipped to −100 … 100
    assert nps_interval(1, 1, 2) == (-100.0, 100.0)
    assert nps_interval(3, 0, 3) == (100.0, 100.0)
    assert nps_interval(0, 0, 0) is None


# ---------------------------------------------------------------------------------------------
# beta and Student t


@pytest.mark.parametrize("x", [0.01, 0.3, 0.5, 0.77, 0.99])
def test_regularized_beta_closed_forms(x: float) -> None:
    assert regularized_beta(x, 1, 1) == pytest.approx(x, abs=1e-14)
    assert regularized_beta(x, 3, 1) == pytest.approx(x**3, abs=1e-14)
    assert regularized_beta(x, 1, 2) == pytest.approx(1 - (1 - x) ** 2, abs=1e-14)
    # I_x(2, 3) = 1 − (1 − x)⁴ − 4x(1 − x)³
    assert regularized_beta(x, 2, 3) == pytest.approx(
        1 - (1 - x) ** 4 - 4 * x * (1 - x) ** 3, abs=1e-13
    )
    # symmetry: I_x(a, b) = 1 − I_{1−x}(b, a)
    assert regularized_beta(x, 2.5, 7) == pytest.approx(1 - regularized_beta(1 - x, 7, 2.5))


def test_regularized_beta_edges() -> None:
    assert regularized_beta(0, 2, 3) == 0.0
    assert regularized_beta(1, 2, 3) == 1.0
    with pytest.raises(ValueError):
        regularized_beta(0.5, 0, 1)


@pytest.mark.parametrize("p", [0.025, 0.5, 0.975])
def test_beta_quantile_inverts(p: float) -> None:
    # beta(1, 2): F(x) = 1 − (1 − x)² → x = 1 − √(1 − p)
    assert beta_quantile(p, 1, 2) == pytest.approx(1 - math.sqrt(1 - p), abs=1e-12)
    assert regularized_beta(beta_quantile(p, 12.5, 3.2), 12.5, 3.2) == pytest.approx(p)


# 97.5% quantiles of Student's t (textbook values, 12 significant digits)
T975 = {
    1: 12.7062047361747,
    2: 4.30265272974946,
    3: 3.18244630528371,
    4: 2.77644510519779,
    5: 2.57058183563631,
    10: 2.22813885198627,
    29: 2.04522964213270,
    30: 2.04227245630124,
    100: 1.98397151852355,
}


@pytest.mark.parametrize("df, q", sorted(T975.items()))
def test_t_quantile_table(df: int, q: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(q, rel=1e-10)
    assert t_quantile(0.025, df) == pytest.approx(-q, rel=1e-10)


def test_t_quantile_tends_to_normal() -> None:
    assert t_quantile(0.975, 1e7) == pytest.approx(Z95, abs=1e-6)
    assert t_quantile(0.5, 7) == 0.0
    # df 1 is Cauchy: quantile tan(π(p − ½))
    assert t_quantile(0.9, 1) == pytest.approx(math.tan(math.pi * 0.4), rel=1e-10)
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)


@pytest.mark.parametrize("df", [1, 3, 8.5, 40])
def test_t_cdf_matches_numerical_integration(df: float) -> None:
    """An independent check: integrate the t density with the trapezoid rule."""
    x = np.linspace(0, 2.5, 200_001)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    dens = np.exp(log_c) * (1 + x * x / df) ** (-(df + 1) / 2)
    area = float(np.sum((dens[1:] + dens[:-1]) / 2) * (x[1] - x[0]))
    assert t_cdf(2.5, df) == pytest.approx(0.5 + area, abs=1e-9)
    assert t_cdf(-2.5, df) == pytest.approx(0.5 - area, abs=1e-9)


def test_t_interval() -> None:
    # [6, 5, 5, 4]: mean 5, s = √(2/3); half = t(0.975, 3)·s/2 = 3.18245·0.40825 = 1.29923
    lo, hi = t_interval(5.0, math.sqrt(2 / 3), 4)
    assert (lo, hi) == (pytest.approx(3.700772, abs=1e-6), pytest.approx(6.299228, abs=1e-6))
    assert t_interval(5.0, 0.0, 10) == (5.0, 5.0)
    assert t_interval(5.0, math.nan, 1) is None
    assert t_interval(5.0, 1.0, 1) is None


# ---------------------------------------------------------------------------------------------
# empirical-Bayes shrinkage


def test_beta_binomial_prior_method_of_moments() -> None:
    # worked example (tests/golden/test_surveys_grouping.py): M = 14.98797 answers at 80.149%
    mean, strength = beta_binomial_prior([95, 3, 70, 80, 75], [100, 3, 100, 100, 100])
    assert mean == pytest.approx(323 / 403)
    assert strength == pytest.approx(14.987966, abs=1e-6)


def test_beta_binomial_prior_edges() -> None:
    # rates differing less than chance would make them → infinite strength (full pooling)
    assert beta_binomial_prior([3, 95], [3, 100]) == (pytest.approx(98 / 103), math.inf)
    # one group, or every answer alike: nothing to learn from
    assert beta_binomial_prior([5], [10]) == (0.5, math.inf)
    assert beta_binomial_prior([10, 20], [10, 20]) == (1.0, math.inf)
    # all-or-nothing groups: the groups are everything → no shrinkage
    assert beta_binomial_prior([50, 0, 50, 0], [50, 50, 50, 50]) == (0.5, 0.0)
    assert beta_binomial_prior([], []) is None
    assert beta_binomial_prior([0], [0]) is None


def test_shrunk_proportion() -> None:
    # (3 + 0.8·12) / (3 + 12) = 12.6 / 15 = 0.84
    assert shrunk_proportion(3, 3, 0.8, 12) == pytest.approx(0.84)
    assert shrunk_proportion(3, 3, 0.8, math.inf) == 0.8
    assert shrunk_proportion(3, 4, 0.8, 0.0) == 0.75


def test_shrunk_interval() -> None:
    # a uniform prior (mean ½, strength 2) and 0 of 1: posterior beta(1, 2)
    lo, hi = shrunk_interval(0, 1, 0.5, 2)
    assert lo == pytest.approx(1 - math.sqrt(0.975), abs=1e-12)
    assert hi == pytest.approx(1 - math.sqrt(0.025), abs=1e-12)
    assert shrunk_interval(3, 3, 0.8, math.inf) is None
    assert shrunk_interval(0, 5, 0.5, 0.0) is None  # beta(0, 5) is not a distribution
