"""Is a change between two periods more than noise? Tests on the counts behind two results."""

from __future__ import annotations

import math


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def two_proportion_p(s1: float, n1: float, s2: float, n2: float) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test (rates, CSAT, FCR …)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0 if s1 / n1 == s2 / n2 else 0.0
    return _two_sided_p((s2 / n2 - s1 / n1) / se)


def welch_p(m1: float, sd1: float, n1: float, m2: float, sd2: float, n2: float) -> float | None:
    """Two-sided p-value for a difference of means (normal approximation of Welch's test;
    support samples are large, and skew is why p50/p90 are reported beside the mean)."""
    if n1 < 2 or n2 < 2 or any(math.isnan(x) for x in (sd1, sd2)):
        return None
    se = math.sqrt(sd1 * sd1 / n1 + sd2 * sd2 / n2)
    if se == 0:
        return 1.0 if m1 == m2 else 0.0
    return _two_sided_p((m2 - m1) / se)


def poisson_p(c1: float, c2: float) -> float | None:
    """Two-sided p-value that two counts over equal periods differ (conditional binomial,
    normal approximation)."""
    if c1 + c2 <= 0:
        return None
    return _two_sided_p((c2 - c1) / math.sqrt(c1 + c2))


def margins_differ(diff: float, margin1: float, margin2: float) -> bool:
    """A difference of two scores with 95% margins (e.g. NPS) is meaningful when it exceeds
    the margin of the difference, √(m₁² + m₂²)."""
    return abs(diff) > math.hypot(margin1, margin2)
