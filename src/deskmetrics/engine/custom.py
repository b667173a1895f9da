"""The custom sources: metrics over tables other than tickets (survey answers and requests,
customers, subscriptions, social posts, mentions, SLA targets), each computed by a hand-written
function. Listed here, in one place, and registered by one explicit call (engine/__init__):
importing a module decides nothing."""

from __future__ import annotations

from deskmetrics.engine import revenue, sla, social, surveys
from deskmetrics.engine.compile import CUSTOM_SOURCES, CustomSource
from deskmetrics.metrics.base import Source

#: the function computing every metric of each source
CUSTOM: dict[Source, CustomSource] = {
    Source.SURVEYS: surveys.survey_metric,
    Source.SURVEY_REQUESTS: surveys.survey_request_metric,
    Source.CUSTOMERS: revenue.customer_rates,
    Source.SUBSCRIPTIONS: revenue.revenue,
    Source.SOCIAL_POSTS: social.engagement,
    Source.MENTIONS: social.mentions,
    Source.SLA_TARGETS: sla.sla_compliance,
}


def register_custom_sources() -> None:
    """Make the engine compute the custom sources' metrics with their functions."""
    CUSTOM_SOURCES.update(CUSTOM)
