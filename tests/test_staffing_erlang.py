"""Erlang B, C and A against hand-derived and published values and pyworkforce's results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deskmetrics.staffing import (
    StaffingError,
    Target,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    plan_interval,
    plan_intervals,
    scheduled_agents,
    service_level,
)
from deskmetrics.staffing.erlang import _served_within


def test_erlang_b_and_c_small_by_hand() -> None:
    # A = 1 erlang: B(1) = 1·1/(1+1) = 1/2; B(2) = 1·(1/2)/(2 + 1/2) = 1/5
    assert erlang_b(1.0, 1) == pytest.approx(0.5)
    assert erlang_b(1.0, 2) == pytest.approx(0.2)
    # C(2) = 2·B / (2 − 1·(1 − B)) = 0.4 / 1.2 = 1/3 (the M/M/2 textbook value)
    assert erlang_c(1.0, 2) == pytest.approx(1 / 3)
    # with 2 agents, mean wait = C · AHT / (N − A) = 1/3 · 60 / 1 = 20 s
    assert average_speed_of_answer(1.0, 2, 60) == pytest.approx(20.0)
    # too few agents: every call waits and the queue never empties
    assert erlang_c(2.0, 2) == 1.0
    assert average_speed_of_answer(2.0, 2, 60) == math.inf


def test_textbook_100_calls_in_30_minutes() -> None:
    """The worked example of "Erlang C formula – made simple" (Call Centre Helper): 100 calls
    in 30 minutes, AHT 180 s, 80% within 20 s. Traffic = 100 × 180 / 1800 = 10 erlangs.
    13 agents: P(wait) = 0.2853, SL = 1 − 0.2853·e^(−3·20/180) = 79.6% (short of 80%).
    14 agents: P(wait) = 0.1741, SL = 1 − 0.1741·e^(−4·20/180) = 88.8%,
    ASA = 0.1741 · 180 / 4 = 7.8 s, occupancy = 10/14 = 71.4%; 30% shrinkage → 14/0.7 = 20."""
    assert erlang_c(10, 13) == pytest.approx(0.2853, abs=1e-4)
    assert service_level(10, 13, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert erlang_c(10, 14) == pytest.approx(0.1741, abs=1e-4)
    s = plan_interval(100, 30, 180, Target.parse("80/20"), shrinkage_percent=30)
    assert s.traffic == pytest.approx(10.0)
    assert s.agents == 14
    assert s.scheduled_agents == 20
    assert s.service_level == pytest.approx(88.84, abs=0.01)
    assert s.asa_seconds == pytest.approx(7.84, abs=0.01)
    assert s.occupancy == pytest.approx(71.43, abs=0.01)
    assert s.abandonment is None


#: pyworkforce 0.5.1 `ErlangC(transactions, aht, asa, interval, shrinkage)
#: .required_positions(service_level, max_occupancy)` (aht, asa and interval in minutes) run on
#: these inputs; pyworkforce is not a test dependency (it pulls in OR-Tools), so its results
#: are written here: raw_positions, positions, service_level, occupancy, waiting_probability
PYWORKFORCE = [
    ((100, 3, 20 / 60, 30, 0.3, 0.8, 0.85), (14, 20, 0.8883500191794669, 0.7142857142857143)),
    ((1000, 3, 20 / 60, 30, 0.3, 0.8, 0.85), (118, 169, 0.9930189074654834, 0.847457627118644)),
    ((3000, 4, 15 / 60, 15, 0.35, 0.9, 0.95), (843, 1297, 0.9942218125581768, 0.948991696322657)),
    ((20, 5, 30 / 60, 60, 0.0, 0.8, 1.0), (4, 4, 0.9188504707393854, 0.41666666666666663)),
    ((100, 3, 20 / 60, 30, 0.3, 0.8, 0.7), (15, 22, 0.9414528428690223, 0.6666666666666666)),
]


@pytest.mark.parametrize(("inputs", "expected"), PYWORKFORCE)
def test_same_as_pyworkforce(
    inputs: tuple[float, ...], expected: tuple[int, int, float, float]
) -> None:
    volume, aht_min, asa_min, interval, shrink, sl, occ = inputs
    s = plan_interval(
        volume,
        interval,
        aht_min * 60,
        Target(share=sl, seconds=asa_min * 60),
        shrinkage_percent=shrink * 100,
        max_occupancy_percent=occ * 100,
    )
    assert (s.agents, s.scheduled_agents) == expected[:2]
    assert s.service_level == pytest.approx(expected[2] * 100, rel=1e-9)
    assert s.occupancy == pytest.approx(expected[3] * 100, rel=1e-9)


def test_hundreds_and_thousands_of_agents_stay_finite() -> None:
    # 800 erlangs (3000 calls / 15 min, AHT 240 s), 90/15, no cap: the recursion never
    # overflows where A^N / N! would (800^800)
    s = plan_interval(3000, 15, 240, Target.parse("90/15"))
    assert 800 < s.agents < 900
    assert s.service_level >= 90
    assert service_level(800, s.agents - 1, 240, 15) < 0.9
    # 20,000 erlangs
    big = plan_interval(200_000, 30, 180, Target.parse("80/20"))
    assert 20_000 < big.agents < 20_200
    assert 80 <= big.service_level <= 100
    assert math.isfinite(big.asa_seconds)


def test_zero_volume_needs_no_one() -> None:
    s = plan_interval(0, 30, 180, Target.parse("80/20"), shrinkage_percent=30)
    assert (s.agents, s.scheduled_agents) == (0, 0)
    assert (s.service_level, s.asa_seconds, s.occupancy) == (100.0, 0.0, 0.0)
    # mixed with busy intervals, and a missing handle time where nothing arrives
    cols = plan_intervals([0, 100, 0], [math.nan, 180, 0], 30, Target.parse("80/20"))
    assert list(cols["agents"]) == [0, 14, 0]


def test_occupancy_cap_binds() -> None:
    # 1000 calls / 30 min × 180 s = 100 erlangs: 80/20 alone needs fewer than 118 agents, but
    # at most 85% busy needs ceil(100 / 0.85) = ceil(117.6) = 118
    free = plan_interval(1000, 30, 180, Target.parse("80/20"))
    assert free.agents < 118
    capped = plan_interval(1000, 30, 180, Target.parse("80/20"), max_occupancy_percent=85)
    assert capped.agents == 118
    assert capped.occupancy == pytest.approx(100 / 118 * 100)


def test_shrinkage_rounds_up_exactly() -> None:
    # 21 / (1 − 0.30) = 30 exactly; 21 / 0.7 in floating point is 30.000000000000004 → 31
    assert math.ceil(21 / (1 - 0.3)) == 31
    assert scheduled_agents(21, 30) == 30
    assert scheduled_agents(14, 30) == 20
    assert scheduled_agents(15, 30) == 22  # 21.43 → 22
    assert scheduled_agents(0, 30) == 0
    assert scheduled_agents(10, 0) == 10
    with pytest.raises(StaffingError):
        scheduled_agents(10, 100)
    # the vectorised plan rounds the same way
    cols = plan_intervals([210], [180], 60, Target(asa_seconds=1e9), shrinkage_percent=30)
    assert int(cols["agents"][0]) == 11 and int(cols["scheduled_agents"][0]) == 16


def test_average_speed_of_answer_target() -> None:
    # A = 10: ASA with 12 agents 40.4 s, with 13 agents 17.1 s → asa:30 needs 13
    assert average_speed_of_answer(10, 12, 180) == pytest.approx(40.44, abs=0.01)
    assert average_speed_of_answer(10, 13, 180) == pytest.approx(17.12, abs=0.01)
    s = plan_interval(100, 30, 180, Target.parse("asa:30"))
    assert s.agents == 13


def test_targets_parse() -> None:
    assert Target.parse("80/20") == Target(share=0.8, seconds=20.0)
    assert Target.parse("asa:30") == Target(asa_seconds=30.0)
    for bad in ("80", "0/20", "120/20", "x/y", "asa:-1", "80/7200", "80/nan", "asa:inf"):
        with pytest.raises(StaffingError):
            Target.parse(bad)


def test_chat_concurrency_plans_slots() -> None:
    # 60 chats / 30 min × 600 s = 20 erlangs of chat sessions; one session at a time needs 25
    # agents, so 25 slots; three at once: ceil(25 / 3) = 9 agents (27 slots)
    one = plan_interval(60, 30, 600, Target.parse("80/20"))
    assert one.agents == 25
    three = plan_interval(60, 30, 600, Target.parse("80/20"), concurrency=3)
    assert three.agents == 9
    assert three.occupancy == pytest.approx(20 / 27 * 100)


def test_erlang_a_by_hand() -> None:
    """One agent, arrival = service = abandonment rate = 1 per second: the number in system
    is Poisson(1) (π_k ∝ 1/k!), so P(wait) = 1 − e⁻¹, mean queue E[(K−1)⁺] = e⁻¹,
    abandonment = θ·E[Q]/λ = e⁻¹, mean wait = E[Q]/λ = e⁻¹ s, occupancy = 1 − e⁻¹."""
    a = erlang_a(1.0, 1, 1.0, 1.0, Target(share=0.8, seconds=0.0))
    e = math.exp(-1)
    assert a.wait_probability == pytest.approx(1 - e)
    assert a.abandonment == pytest.approx(e)
    assert a.asa_seconds == pytest.approx(e)
    assert a.occupancy == pytest.approx(1 - e)
    assert a.service_level == pytest.approx(e)  # only callers who do not wait, within 0 s
    # answered within t = 1 s: at the head, answer (rate 1) races hang-up (rate 1):
    # ½(1 − e^(−2t)); one ahead: stage rates 3 then 2, going on with 2/3 then ½:
    # ⅓(1 − 3e^(−2t) + 2e^(−3t))
    f = _served_within(1, 1.0, 1.0, 1, 1.0)
    assert f[0] == pytest.approx(0.5 * (1 - math.exp(-2)), abs=1e-9)
    assert f[1] == pytest.approx((1 - 3 * math.exp(-2) + 2 * math.exp(-3)) / 3, abs=1e-9)


def test_erlang_a_tends_to_erlang_c_and_needs_fewer_agents() -> None:
    target = Target.parse("80/20")
    c = plan_interval(100, 30, 180, target)
    patient = plan_interval(100, 30, 180, target, patience_seconds=1e9)
    assert patient.agents == c.agents == 14
    assert patient.service_level == pytest.approx(c.service_level, abs=1e-4)
    assert patient.abandonment == pytest.approx(0.0, abs=1e-4)
    hasty = plan_interval(100, 30, 180, target, patience_seconds=120)
    assert hasty.agents < c.agents
    assert hasty.abandonment is not None and 0 < hasty.abandonment < 20
    assert hasty.service_level >= 80


def test_vectorised_plan_matches_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    volume = rng.integers(0, 400, 60).astype(float)
    aht = rng.uniform(60, 900, 60)
    target = Target.parse("80/20")
    cols = plan_intervals(volume, aht, 30, target, 25, 90)
    for i in range(60):
        s = plan_interval(float(volume[i]), 30, float(aht[i]), target, 25, 90)
        assert (s.agents, s.scheduled_agents) == (cols["agents"][i], cols["scheduled_agents"][i])
        assert s.service_level == pytest.approx(cols["service_level"][i])


def test_bad_inputs_are_refused() -> None:
    target = Target.parse("80/20")
    with pytest.raises(StaffingError):
        plan_interval(-1, 30, 180, target)
    with pytest.raises(StaffingError):
        plan_interval(10, 30, 0, target)
    with pytest.raises(StaffingError):
        plan_interval(10, 30, 180, target, max_occupancy_percent=0)
    with pytest.raises(StaffingError):
        plan_interval(10, 30, 180, target, concurrency=0)
    # rates from a handle time or patience far below a second overflow (found by fuzzing)
    with pytest.raises(StaffingError):
        plan_interval(999_999, 30, 5e-324, target, patience_seconds=1)
    with pytest.raises(StaffingError):
        plan_interval(10, 30, 180, target, patience_seconds=1e-300)
