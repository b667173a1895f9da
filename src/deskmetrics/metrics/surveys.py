"""Customer voice: survey metrics (METRICS.md, "Customer voice (surveys)").

Definitions only. The engine derives one row per survey answer with `satisfied` (CSAT),
`easy` and `ces_score` (CES), `promoter`/`detractor` (NPS), and one row per survey request with
`answered`; the thresholds per scale come from `[surveys]` in deskmetrics.toml."""

from __future__ import annotations

from deskmetrics.metrics.base import (
    AGENT_DIMENSIONS,
    TIME_DIMENSIONS,
    Aggregation,
    Condition,
    Direction,
    Metric,
    Source,
    Unit,
    when,
)

FAMILY = "customer voice"
#: answers are grouped by the survey's agent (else the ticket's assignee), team, channel (the
#: survey's, else the ticket's), survey kind and scale; every ticket column via the survey's
#: ticket (answers without a ticket form the empty group)
SURVEY_DIMENSIONS = (*AGENT_DIMENSIONS, "channel", "kind", "scale", *TIME_DIMENSIONS)
REQUEST_DIMENSIONS = (*AGENT_DIMENSIONS, "channel", "kind", *TIME_DIMENSIONS)

#: the common CES scale every answer is mapped to: 1 (very difficult) … 7 (very easy)
CES_SCALE = (1.0, 7.0)


def of_kind(kind: str, title: str) -> Condition:
    """The population of a metric over one kind of survey answers."""
    return when("kind", "==", kind, left_out=f"answers to another kind of survey (not {title})")


CSAT_ANSWERS = of_kind("csat", "CSAT")
CES_ANSWERS = of_kind("ces", "CES")
SATISFIED = when("satisfied", "is_true")
EASY = when("easy", "is_true")
ANSWERED = when("answered", "is_true")

_SCALES = (
    "Answers on every scale count alike (1-5, 1-7, 1-10, 0-10, 0-100, good-bad): each is one "
    "answer, satisfied or not, so surveys on different scales combine in one period."
)

METRICS: list[Metric] = [
    Metric(
        name="csat",
        title="Customer satisfaction (CSAT)",
        description="Satisfied CSAT answers / all CSAT answers × 100. Satisfied: at least the "
        "scale's threshold in `[surveys] csat_satisfied` (defaults 4 on 1-5, 6 on 1-7, 8 on "
        "1-10 and 0-10, 80 on 0-100) or `good` on good-bad.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.SURVEYS,
        anchor="answered_at",
        population=(CSAT_ANSWERS,),
        numerator=(SATISFIED,),
        dimensions=SURVEY_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        notes=_SCALES,
        examples=["80 of 100 answers are 4 or 5 on a 1-5 scale → 80%"],
    ),
    Metric(
        name="csat_shrunk",
        title="CSAT, shrunk for ranking",
        description="CSAT per group pulled toward the rate of all groups in the same report "
        "and period, by empirical Bayes: a beta prior is fitted to the groups' answers by the "
        "method of moments (beta-binomial), and each group's score is (satisfied + prior "
        "satisfied) / (answers + prior answers). A group with few answers stays near the "
        "overall rate, one with many keeps its own; when the groups differ no more than chance "
        "would make them, every group gets the overall rate. Use it to rank agents or teams; "
        "ungrouped it equals csat. Interval: the 95% posterior interval.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SURVEYS,
        anchor="answered_at",
        population=(CSAT_ANSWERS,),
        numerator=(SATISFIED,),
        dimensions=SURVEY_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        params={"custom": "shrunk_csat"},
        notes="The prior is fitted per period across the groups the report asks for (e.g. all "
        "agents), so it depends on the grouping; n is the group's own answers.",
    ),
    Metric(
        name="nps",
        title="Net Promoter Score (NPS)",
        description="NPS answers (0-10): % promoters (9-10) − % detractors (0-6), from −100 to "
        "100. Interval: NPS ± 1.96·√((p + d − (p − d)²)/n)·100.",
        unit=Unit.SCORE,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SURVEYS,
        anchor="answered_at",
        population=(of_kind("nps", "NPS"),),
        dimensions=SURVEY_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        params={"custom": "nps", "promoters_from": 9, "detractors_to": 6},
        examples=["40% promoters, 20% detractors → 20"],
    ),
    Metric(
        name="ces",
        title="Customer effort score (CES)",
        description="Mean CES answer on a common 1-7 scale where higher means easier: each "
        "answer on a scale lo-hi maps linearly, x → 1 + 6·(x − lo)/(hi − lo) on higher-easier "
        "scales and 1 + 6·(hi − x)/(hi − lo) on lower-easier ones (good-bad: good 7, bad 1), so "
        "both directions compare. Interval: Student t on the mapped answers.",
        unit=Unit.SCORE,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.SURVEYS,
        measure="ces_score",
        anchor="answered_at",
        population=(CES_ANSWERS,),
        dimensions=SURVEY_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        params={"interval": "t", "bounds": CES_SCALE},
        notes="A 1-7 higher-easier survey reads as its own mean; 2 on a 1-5 lower-easier "
        "survey reads as 1 + 6·(5 − 2)/4 = 5.5.",
    ),
    Metric(
        name="ces_easy_rate",
        title="CES: share of easy answers",
        description="CES answers on the easy side / all CES answers × 100. Easy: at least the "
        "scale's value in `[surveys] ces_easy` on higher-easier scales (defaults 4 on 1-5, 6 on "
        "1-7, 8 on 1-10 and 0-10, 80 on 0-100), at most its mirror image (lo + hi − value) on "
        "lower-easier ones, `good` on good-bad.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.SURVEYS,
        anchor="answered_at",
        population=(CES_ANSWERS,),
        numerator=(EASY,),
        dimensions=SURVEY_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        examples=["1-5 lower-easier: answers 1 and 2 are easy"],
    ),
    Metric(
        name="survey_response_rate",
        title="Survey response rate",
        description="Survey requests answered / survey requests sent × 100, by the period the "
        "request was sent. Each answer answers one request: the latest one of the same kind "
        "sent at or before it for the same ticket (requests without a ticket: for the same "
        "customer); a request without a kind takes answers of any kind.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.SURVEY_REQUESTS,
        anchor="sent_at",
        numerator=(ANSWERED,),
        dimensions=REQUEST_DIMENSIONS,
        family=FAMILY,
        small_sample_flag=True,
        notes="Recent periods rise as late answers arrive. Grouping by agent, team, channel "
        "and ticket columns goes through the request's ticket.",
    ),
]
