"""Customer sentiment metrics: how the customer's messages read, from −1 to 1 (scored by the
ticket-text job, joined to each ticket at query time)."""

from __future__ import annotations

from deskmetrics.metrics.base import Aggregation, Direction, Metric, Source, Unit, when

SCORED = when(
    "sentiment_mean",
    "not_null",
    left_out="no customer message with words (or none scored yet)",
)
TWO_SCORED = when(
    "sentiment_shift",
    "not_null",
    left_out="fewer than two scored customer messages (no first → last to compare)",
)

METRICS: list[Metric] = [
    Metric(
        name="sentiment",
        title="Customer sentiment",
        description="Mean sentiment of the customer's messages per ticket, from −1 (negative) "
        "to 1 (positive), averaged over tickets created in the period (n tickets).",
        unit=Unit.SCORE,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.TICKETS,
        measure="sentiment_mean",
        anchor="created_at",
        population=(SCORED,),
        family="customer sentiment",
        small_sample_flag=True,
        params={"interval": "t", "bounds": (-1.0, 1.0)},
        notes="Each customer message is scored by VADER (a lexicon with rules for negation, "
        "intensifiers and emoji) averaged with Pattern's opinion lexicon (VADER alone where "
        "Pattern knows no word); messages in other languages than English read near 0.",
    ),
    Metric(
        name="sentiment_shift",
        title="Sentiment shift",
        description="Sentiment of the customer's last message minus that of the first, per "
        "ticket (from −2 to 2; above 0: the conversation went well), averaged over tickets "
        "created in the period with at least two scored customer messages.",
        unit=Unit.SCORE,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.TICKETS,
        measure="sentiment_shift",
        anchor="created_at",
        population=(TWO_SCORED,),
        family="customer sentiment",
        small_sample_flag=True,
        params={"interval": "t", "bounds": (-2.0, 2.0)},
    ),
]
