"""Reference values quoted by the articles our users gave us, with their source. Definitions
as data: result rows say where a value stands against them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Benchmark(BaseModel):
    model_config = ConfigDict(frozen=True)
    metric: str
    name: str
    value: float
    source: str
    #: only rows whose group keys match (e.g. channel = social) are compared
    when: dict[str, str] = Field(default_factory=dict)


ARTICLES = "customer-service metrics articles (CSAT, NPS, FCR, response time, retention)"

BENCHMARKS: list[Benchmark] = [
    Benchmark(metric="csat", name="industry average", value=80.0, source=ARTICLES),
    Benchmark(metric="csat", name="top performers", value=90.0, source=ARTICLES),
    Benchmark(metric="nps", name="Apple (often above)", value=70.0, source=ARTICLES),
    Benchmark(metric="nps", name="Tesla (reported up to)", value=96.0, source=ARTICLES),
    Benchmark(metric="fcr_rate", name="American Express (above)", value=85.0, source=ARTICLES),
    Benchmark(metric="retention_rate", name="Amazon Prime (above)", value=90.0, source=ARTICLES),
    Benchmark(metric="retention_rate", name="Starbucks (above)", value=80.0, source=ARTICLES),
    Benchmark(
        metric="first_response_time",
        name="social: within 1 h",
        value=60.0,
        source=ARTICLES,
        when={"channel": "social"},
    ),
    Benchmark(
        metric="first_response_time",
        name="email: within 24 h",
        value=1440.0,
        source=ARTICLES,
        when={"channel": "email"},
    ),
    Benchmark(
        metric="first_response_time",
        name="priority customers: within 2 h",
        value=120.0,
        source=ARTICLES,
        when={"priority": "urgent"},
    ),
]


def benchmarks_for(metric: str) -> list[Benchmark]:
    return [b for b in BENCHMARKS if b.metric == metric]
