"""Intervals, small-sample rules and shrinkage, applied to counts after the engine has
aggregated. Pure arithmetic on numbers: no data frames, no engine, no third-party libraries
(the Student t and beta quantiles come from the regularized incomplete beta function)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """95% Wilson score interval of a proportion, as fractions; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def nps_interval(
    promoters: float, detractors: float, n: float, z: float = Z95
) -> tuple[float, float] | None:
    """95% interval of a Net Promoter Score, in NPS points (−100…100); None when n is 0.

    NPS = 100·(p − d) with p, d the promoter and detractor shares; its margin is
    z·√((p + d − (p − d)²)/n)·100 (METRICS.md; 1.96 there is `z` rounded). The bounds are
    clipped to the score's range."""
    if n <= 0:
        return None
    p, d = promoters / n, detractors / n
    margin = z * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n) * 100
    value = 100 * (p - d)
    return max(-100.0, value - margin), min(100.0, value + margin)


# ---------------------------------------------------------------------------------------------
# Student t and beta distributions


def _beta_cf(x: float, a: float, b: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b): the beta(a, b) distribution function at x (a, b > 0)."""
    if a <= 0 or b <= 0:
        raise ValueError("beta parameters must be positive")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_cf(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_cf(1 - x, b, a) / b


def beta_quantile(p: float, a: float, b: float) -> float:
    """The p-quantile of the beta(a, b) distribution (bisection on `regularized_beta`)."""
    if not 0 <= p <= 1:
        raise ValueError("p must lie in [0, 1]")
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if regularized_beta(mid, a, b) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return (lo + hi) / 2


def t_cdf(t: float, df: float) -> float:
    """Student t distribution function with `df` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2, 0.5)
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1)."""
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if p == 0.5:
        return 0.0
    hi = 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    lo = 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13 * max(1.0, hi):
            break
    return (lo + hi) / 2


def t_interval(mean: float, sd: float, n: float, level: float = 0.95) -> tuple[float, float] | None:
    """Interval of a mean from its sample standard deviation (n − 1 in the denominator):
    mean ± t(1 − α/2, n − 1)·sd/√n; None with fewer than two values."""
    if n < 2 or math.isnan(sd) or math.isnan(mean):
        return None
    half = t_quantile(1 - (1 - level) / 2, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


# ---------------------------------------------------------------------------------------------
# empirical-Bayes shrinkage of proportions


def beta_binomial_prior(
    successes: Sequence[float], totals: Sequence[float]
) -> tuple[float, float] | None:
    """Method-of-moments fit of a beta prior to groups' successes out of totals.

    Returns (mean, strength): the prior is beta(mean·strength, (1 − mean)·strength), so
    `strength` is what the prior weighs in answers. The mean is the pooled rate Σs/Σn. The
    intra-group correlation ρ = 1/(strength + 1) is estimated from the weighted spread of the
    groups' rates, S = Σ nᵢ(pᵢ − p)², whose expectation under the beta-binomial model is
    p(1 − p)·[(k − 1) + ρ·(N − Σnᵢ²/N − (k − 1))] (k groups, N answers). Groups that differ no
    more than chance would make them give ρ ≤ 0: strength is infinite (every group gets the
    pooled rate); ρ ≥ 1 gives strength 0 (no shrinkage). None when there are no answers."""
    pairs = [(float(s), float(n)) for s, n in zip(successes, totals, strict=True) if n > 0]
    big_n = sum(n for _, n in pairs)
    if big_n <= 0:
        return None
    mean = sum(s for s, _ in pairs) / big_n
    k = len(pairs)
    pq = mean * (1 - mean)
    if k < 2 or pq <= 0:
        # one group, or every answer alike: there is no spread to learn from and shrinking
        # toward the pooled rate changes nothing
        return mean, math.inf
    spread = sum(n * (s / n - mean) ** 2 for s, n in pairs)
    denom = big_n - sum(n * n for _, n in pairs) / big_n - (k - 1)
    if denom <= 0:
        return mean, math.inf
    rho = (spread / pq - (k - 1)) / denom
    if rho <= 0:
        return mean, math.inf
    if rho >= 1:
        return mean, 0.0
    return mean, (1 - rho) / rho


def shrunk_proportion(successes: float, n: float, mean: float, strength: float) -> float:
    """Posterior mean of a group's rate under the beta prior (mean, strength), as a
    fraction: (s + mean·strength) / (n + strength)."""
    if math.isinf(strength):
        return mean
    if n + strength <= 0:
        return math.nan
    return (successes + mean * strength) / (n + strength)


def shrunk_interval(
    successes: float, n: float, mean: float, strength: float, level: float = 0.95
) -> tuple[float, float] | None:
    """Equal-tailed posterior interval of a group's rate, beta(s + mean·strength,
    n − s + (1 − mean)·strength), as fractions. None when the posterior is not a proper beta
    distribution: an infinite strength (the rate is the prior mean itself) or a zero
    parameter (no prior and no successes, or no failures)."""
    if math.isinf(strength):
        return None
    a = successes + mean * strength
    b = n - successes + (1 - mean) * strength
    if a <= 0 or b <= 0:
        return None
    alpha = (1 - level) / 2
    return beta_quantile(alpha, a, b), beta_quantile(1 - alpha, a, b)
