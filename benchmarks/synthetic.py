"""Settings for the benchmarks' synthetic data: the sample generator starts on 2026-01-05 and
spreads a large data set over up to two years, so much of it lies ahead of the clock, where
`[limits] recorded_ahead` would refuse it on import and leave it out on reading."""

from __future__ import annotations

from typing import Any

#: far enough ahead for every synthetic data set (two years from 2026-01-05, and then some)
AHEAD = "3660d"


def synthetic(settings: Any) -> Any:
    """`settings` accepting the synthetic data's future instants (a copy)."""
    out = settings.model_copy(deep=True)
    out.limits = out.limits.model_copy(update={"recorded_ahead": AHEAD})
    return out
