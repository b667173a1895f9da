"""Customers and revenue metrics (METRICS.md, "Customers and revenue").

Definitions only. The engine builds one row per customer (or paying account) and period from
the customers and subscriptions tables, flags where the customer stood at the period's start
and end, and counts or sums them as these entries say."""

from __future__ import annotations

from deskmetrics.metrics.base import (
    AGENT_DIMENSIONS,
    TIME_DIMENSIONS,
    Aggregation,
    Direction,
    Metric,
    Source,
    Unit,
    when,
)

FAMILY = "customers and revenue"
#: customer columns every customer and revenue metric can be grouped and filtered by
CUSTOMER_DIMENSIONS = ("tier", "segment", "country")
#: revenue metrics also split by account and currency (one currency per result: see `mrr`)
REVENUE_DIMENSIONS = (*CUSTOMER_DIMENSIONS, "customer_id", "currency")

#: the customer was a customer just before the period began (joined before it, not yet gone)
AT_START = when(
    "at_start",
    "is_true",
    left_out="customers who joined during the period (they are not in the starting base)",
)

_PERIODS = (
    " A customer joining or leaving at an instant belongs to the period containing it; "
    "periods follow the request's grain and time zone (the whole range without a grain)."
)
_MRR_AT = (
    " MRR at an instant is the sum of `mrr` of the subscriptions running then (started, not "
    "ended; a missing start means since before the data, a missing end means still running); "
    "MRR at the period's end is taken just before the next period begins."
)
_MOVEMENT = (
    " Movement compares each customer's MRR at the period's start with that at its end (a "
    "subscription started and ended inside one period is no movement). new + expansion − "
    "contraction − churned = MRR at end − MRR at start; amounts are positive. n = customers "
    "with that movement."
)
_CURRENCY = (
    " One currency per result: when subscriptions carry several currencies, filter one "
    "(--where currency=EUR) or group by currency."
)


def _movement(name: str, title: str, what: str, direction: Direction) -> Metric:
    return Metric(
        name=f"mrr_{name}",
        title=title,
        description=what + _MOVEMENT + _CURRENCY,
        unit=Unit.CURRENCY,
        direction=direction,
        aggregation=Aggregation.CUSTOM,
        source=Source.SUBSCRIPTIONS,
        anchor="started_at, ended_at",
        ticket_dimensions=False,
        dimensions=REVENUE_DIMENSIONS,
        family=FAMILY,
        params={"revenue": name},
    )


METRICS: list[Metric] = [
    Metric(
        name="retention_rate",
        title="Customer retention rate (CRR)",
        description="(customers at the end of the period − new customers acquired during it) / "
        "customers at its start × 100, from the customers table (created_at, churned_at). "
        "The new customers subtracted are those counted at the end, so a customer who joined "
        "and left inside the period lowers neither retention nor its base; churn_rate counts "
        "such a customer as lost, so retention + churn need not add up to 100 when new "
        "customers churn. n = customers at the start." + _PERIODS,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.CUSTOMERS,
        anchor="created_at, churned_at",
        population=(AT_START,),
        numerator=(when("at_end", "is_true"),),
        ticket_dimensions=False,
        dimensions=CUSTOMER_DIMENSIONS,
        family=FAMILY,
        examples=["start 1,000, new 100, end 1,050 → (1,050 − 100) / 1,000 = 95%"],
    ),
    Metric(
        name="churn_rate",
        title="Customer churn rate",
        description="Customers lost during the period / customers at its start × 100; customers "
        "who joined and left within the same period count as lost (so retention + churn need "
        "not add up to 100 when new customers churn). Lost customers are not all drawn from "
        "the starting base, so this is not a proportion and has no interval. "
        "n = customers at the start." + _PERIODS,
        unit=Unit.PERCENT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.CUSTOMERS,
        anchor="created_at, churned_at",
        population=(
            when(
                "at_start",
                "is_true",
                left_out="customers who joined during the period, from the base (those who "
                "also left in it still count as lost)",
            ),
        ),
        numerator=(when("lost", "is_true"),),
        small_sample_flag=True,
        ticket_dimensions=False,
        dimensions=CUSTOMER_DIMENSIONS,
        family=FAMILY,
        examples=["50 lost of 3,000 at the start → 1.67%"],
    ),
    Metric(
        name="mrr",
        title="Monthly recurring revenue (MRR)",
        description="Sum of the monthly recurring revenue of the subscriptions running at the "
        "end of the period (at the end of the range without a grain). n = customers paying "
        "then." + _MRR_AT + _CURRENCY,
        unit=Unit.CURRENCY,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SUBSCRIPTIONS,
        anchor="started_at, ended_at",
        ticket_dimensions=False,
        dimensions=REVENUE_DIMENSIONS,
        family=FAMILY,
        params={"revenue": "mrr"},
    ),
    _movement(
        "new",
        "New MRR",
        "MRR at the period's end of customers who had none at its start.",
        Direction.HIGHER_IS_BETTER,
    ),
    _movement(
        "expansion",
        "Expansion MRR",
        "Increase of MRR (end − start) of customers paying at both the period's start and end "
        "(upgrades, added subscriptions).",
        Direction.HIGHER_IS_BETTER,
    ),
    _movement(
        "contraction",
        "Contraction MRR",
        "Decrease of MRR (start − end) of customers paying at both the period's start and end "
        "(downgrades, cancelled add-ons).",
        Direction.LOWER_IS_BETTER,
    ),
    _movement(
        "churned",
        "Churned MRR",
        "MRR at the period's start of customers who have none at its end.",
        Direction.LOWER_IS_BETTER,
    ),
    Metric(
        name="mrr_growth_rate",
        title="MRR growth rate",
        description="(MRR at the period's end − MRR at its start) / MRR at its start × 100; "
        "empty when there was no MRR at the start. n = customers paying at the start."
        + _MRR_AT
        + _CURRENCY,
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SUBSCRIPTIONS,
        anchor="started_at, ended_at",
        ticket_dimensions=False,
        dimensions=REVENUE_DIMENSIONS,
        family=FAMILY,
        params={"revenue": "growth"},
    ),
    Metric(
        name="clv",
        title="Customer lifetime value (historical)",
        description="Mean revenue per customer to date: for each customer with a subscription "
        "started before the period's end, the sum over its subscriptions of mrr × months "
        "running up to the period's end (a month is 30.4375 days, an average Gregorian "
        "month), averaged over those customers (with p50 and p90; group by customer_id for "
        "each customer's revenue). Revenue before the requested range counts: it is to date. "
        "n = customers." + _CURRENCY,
        unit=Unit.CURRENCY,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SUBSCRIPTIONS,
        anchor="started_at, ended_at",
        population=(
            when(
                "started_at",
                "not_null",
                left_out="subscriptions without a start date (months running unknown)",
            ),
        ),
        ticket_dimensions=False,
        dimensions=REVENUE_DIMENSIONS,
        family=FAMILY,
        params={"revenue": "clv"},
    ),
    Metric(
        name="clv_predictive",
        title="Customer lifetime value (predictive)",
        description="Average revenue per account per month × gross margin / monthly churn "
        "rate. ARPA = MRR at the period's end / customers paying then. Monthly churn = "
        "paying customers lost during the period (paying at its start, or starting to pay "
        "during it, and not paying at its end) / customers paying at its start, divided by "
        "the period's length in months (calendar months for whole months, quarters and years; "
        "else days / 30.4375). Gross margin: the `gross_margin` setting (a fraction, default "
        "1.0 = revenue). Empty when nobody churned (no finite lifetime). The rows also carry "
        "`arpa` and `monthly_churn_rate` (percent). n = customers paying at the start." + _CURRENCY,
        unit=Unit.CURRENCY,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SUBSCRIPTIONS,
        anchor="started_at, ended_at",
        ticket_dimensions=False,
        dimensions=REVENUE_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        params={"revenue": "clv_predictive", "gross_margin": 1.0},
    ),
    Metric(
        name="conversion_rate",
        title="Conversion rate",
        description="Tickets (conversations, calls, chats) that ended in the desired outcome "
        "(`converted` = true: purchase, sign-up, …) / tickets whose outcome is recorded "
        "(`converted` true or false) × 100, by the ticket's creation.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="created_at",
        population=(
            when(
                "converted",
                "not_null",
                left_out="tickets without a recorded outcome (converted is empty)",
            ),
        ),
        numerator=(when("converted", "is_true"),),
        dimensions=AGENT_DIMENSIONS + TIME_DIMENSIONS,
        family=FAMILY,
    ),
]
