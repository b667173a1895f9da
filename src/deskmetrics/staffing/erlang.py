"""Queueing math for staffing: Erlang B and C (no abandonment) and Erlang A (callers who hang
up after an exponentially distributed patience), the service level, average speed of answer
(ASA) and occupancy they predict, and the fewest agents meeting a target.

Numbers only: volumes per interval, handle times in seconds. Every formula avoids factorials
and powers of the traffic (the Erlang B recursion and a normalised birth-death chain), so
that intervals with hundreds or thousands of agents are computed as stably as small ones."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from deskmetrics.errors import DeskmetricsError

#: the longest queue (callers waiting in one interval) the Erlang A chain follows
MAX_QUEUE = 5_000
#: the shortest handle time and patience a plan takes (seconds): below a second, the rates
#: overflow long before the numbers mean anything
MIN_SECONDS = 1.0
#: the longest wait a target may name (seconds)
MAX_TARGET_SECONDS = 3600
#: the most agents (or chat slots) one interval may need before the search gives up
MAX_AGENTS = 100_000


class StaffingError(DeskmetricsError):
    """A staffing input that cannot be planned with (a negative volume, a 100% shrinkage)."""


def erlang_b(traffic: float, agents: int) -> float:
    """Probability that an arrival finds all `agents` busy when lost calls are cleared
    (Erlang B), by the recursion B(n) = A·B(n−1) / (n + A·B(n−1)), B(0) = 1."""
    if agents < 0:
        raise StaffingError("agents must be 0 or more")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call waits (Erlang C) with `agents` agents and `traffic` erlangs
    (arrival rate × handle time); 1 when the agents cannot keep up (agents ≤ traffic)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1 - b))


def service_level(traffic: float, agents: int, aht_seconds: float, target_seconds: float) -> float:
    """Share of calls answered within `target_seconds` (0–1) under Erlang C:
    1 − C · exp(−(agents − traffic) · target / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    c = erlang_c(traffic, agents)
    return max(0.0, 1.0 - c * math.exp(-(agents - traffic) * target_seconds / aht_seconds))


def average_speed_of_answer(traffic: float, agents: int, aht_seconds: float) -> float:
    """Mean wait before an agent answers, in seconds (Erlang C): C · AHT / (agents − traffic);
    infinite when the agents cannot keep up."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_seconds / (agents - traffic)


def scheduled_agents(agents: int, shrinkage_percent: float) -> int:
    """Agents to schedule so that `agents` are available after shrinkage (breaks, training,
    absence): ceil(agents / (1 − shrinkage)), in exact fractions (21 agents at 30% shrinkage
    are 30 scheduled, where floating point would say 31)."""
    if not 0 <= shrinkage_percent < 100:
        raise StaffingError(f"shrinkage {shrinkage_percent}%: use 0 or more and below 100")
    available = 1 - Fraction(str(shrinkage_percent)) / 100
    return math.ceil(Fraction(agents) / available)


@dataclass(frozen=True)
class Target:
    """What an interval's staffing must achieve: a service level (`share` of calls answered
    within `seconds`, e.g. 80/20) or, with `asa_seconds`, an average speed of answer."""

    share: float | None = None
    seconds: float | None = None
    asa_seconds: float | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        """`80/20` (80% answered within 20 s) or `asa:30` (average speed of answer ≤ 30 s)."""
        raw = text.strip().lower()
        try:
            if raw.startswith("asa:") or raw.startswith("asa="):
                asa = float(raw[4:])
                if not 0 < asa <= MAX_TARGET_SECONDS:
                    raise ValueError
                return cls(asa_seconds=asa)
            pct, secs = raw.split("/")
            share, seconds = float(pct) / 100, float(secs)
        except ValueError as exc:
            raise StaffingError(
                f"target {text!r}: write PERCENT/SECONDS (80/20: 80% answered within 20 s) "
                "or asa:SECONDS (average speed of answer)"
            ) from exc
        if not 0 < share <= 1 or not 0 <= seconds <= MAX_TARGET_SECONDS:
            raise StaffingError(
                f"target {text!r}: the percent is above 0 and at most 100, the seconds 0 to "
                f"{MAX_TARGET_SECONDS}"
            )
        return cls(share=share, seconds=seconds)

    def label(self) -> str:
        if self.asa_seconds is not None:
            return f"asa:{self.asa_seconds:g}"
        return f"{(self.share or 0) * 100:g}/{self.seconds or 0:g}"


@dataclass(frozen=True)
class Staffing:
    """The plan of one interval. Percentages are 0–100; `agents` are the agents needed on
    duty, `scheduled_agents` after shrinkage; `abandonment` only under Erlang A."""

    volume: float
    aht_seconds: float
    traffic: float
    agents: int
    scheduled_agents: int
    service_level: float
    asa_seconds: float
    occupancy: float
    abandonment: float | None = None
    concurrency: int = 1


@dataclass(frozen=True)
class Queue:
    """The service a queue's agents give: its measures for a number of servers (agents, or
    chat slots), either Erlang C (`patience_seconds` None) or Erlang A."""

    traffic: float
    aht_seconds: float
    patience_seconds: float | None = None

    def measures(self, servers: int, target: Target) -> tuple[float, float, float, float | None]:
        """(service level 0–1, ASA seconds, occupancy 0–1, abandonment 0–1 or None)."""
        if self.patience_seconds is None:
            t = self.traffic
            sl = service_level(t, servers, self.aht_seconds, target.seconds or 0.0)
            asa = average_speed_of_answer(t, servers, self.aht_seconds)
            occ = t / servers if servers else (0.0 if t <= 0 else math.inf)
            return sl, asa, occ, None
        a = erlang_a(self.traffic, servers, self.aht_seconds, self.patience_seconds, target)
        return a.service_level, a.asa_seconds, a.occupancy, a.abandonment

    def meets(self, servers: int, target: Target, max_occupancy: float) -> bool:
        sl, asa, occ, _ = self.measures(servers, target)
        if occ > max_occupancy + 1e-12:
            return False
        if target.asa_seconds is not None:
            return asa <= target.asa_seconds
        return sl >= (target.share or 0.0) - 1e-12


def fewest_servers(queue: Queue, target: Target, max_occupancy: float) -> int:
    """The fewest servers meeting `target` with occupancy at most `max_occupancy` (0–1]:
    more servers never serve worse, so a doubling search brackets the answer and a binary
    search finds it (a few dozen evaluations even for thousands of agents)."""
    if queue.traffic <= 0:
        return 0
    lo, hi = 0, 1  # lo never meets the target (0 servers answer no one), hi is tried
    while not queue.meets(hi, target, max_occupancy):
        lo, hi = hi, hi * 2
        if lo > MAX_AGENTS:
            raise StaffingError(
                f"more than {MAX_AGENTS:,} agents would be needed for {queue.traffic:,.1f} "
                "erlangs: check the volume and handle time"
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if queue.meets(mid, target, max_occupancy):
            hi = mid
        else:
            lo = mid
    return hi


def _check(
    interval_minutes: float,
    max_occupancy_percent: float,
    concurrency: int,
    patience_seconds: float | None,
) -> None:
    if interval_minutes <= 0:
        raise StaffingError("the interval is longer than 0 minutes")
    if not 0 < max_occupancy_percent <= 100:
        raise StaffingError(f"maximum occupancy {max_occupancy_percent}%: use above 0 to 100")
    if concurrency < 1:
        raise StaffingError("concurrency is 1 or more sessions per agent")
    if patience_seconds is not None and not (
        patience_seconds >= MIN_SECONDS and math.isfinite(patience_seconds)
    ):
        raise StaffingError(f"patience is at least {MIN_SECONDS:g} second")


def _erlang_b_at(traffic: np.ndarray, servers: np.ndarray) -> np.ndarray:
    """Erlang B of each interval at its own number of servers (one recursion for all)."""
    b = np.ones_like(traffic)
    for n in range(1, int(servers.max(initial=0)) + 1):
        step = servers >= n
        b = np.where(step, traffic * b / (n + traffic * b), b)
    return b


def _erlang_c_slots(traffic: np.ndarray, aht: np.ndarray, target: Target, cap: float) -> np.ndarray:
    """The fewest servers per interval meeting `target` under Erlang C with occupancy ≤ `cap`:
    one Erlang B recursion over n = 1, 2, … for every interval at once, each interval settled
    at the first n that meets its target (n above the traffic and traffic / n ≤ cap)."""
    slots = np.zeros(len(traffic), dtype=np.int64)
    open_ = traffic > 0
    b = np.ones_like(traffic)
    n = 0
    while open_.any():
        n += 1
        if n > MAX_AGENTS:
            worst = float(traffic[open_].max())
            raise StaffingError(
                f"more than {MAX_AGENTS:,} agents would be needed for {worst:,.1f} erlangs: "
                "check the volume and handle time"
            )
        b = traffic * b / (n + traffic * b)
        cand = open_ & (traffic < n) & (traffic <= cap * n + 1e-12)
        if not cand.any():
            continue
        a, bb, h = traffic[cand], b[cand], aht[cand]
        c = n * bb / (n - a * (1 - bb))
        if target.asa_seconds is not None:
            ok = c * h / (n - a) <= target.asa_seconds
        else:
            sl = 1 - c * np.exp(-(n - a) * (target.seconds or 0.0) / h)
            ok = sl >= (target.share or 0.0) - 1e-12
        done = np.flatnonzero(cand)[ok]
        slots[done] = n
        open_[done] = False
    return slots


#: columns of a plan, in order (percentages 0–100, seconds)
PLAN_COLUMNS = [
    "volume",
    "aht_seconds",
    "traffic",
    "agents",
    "scheduled_agents",
    "service_level",
    "asa_seconds",
    "occupancy",
    "abandonment",
]


def plan_intervals(
    volume: Sequence[float] | np.ndarray,
    aht_seconds: Sequence[float] | np.ndarray,
    interval_minutes: float,
    target: Target,
    shrinkage_percent: float = 0.0,
    max_occupancy_percent: float = 100.0,
    concurrency: int = 1,
    patience_seconds: float | None = None,
) -> dict[str, np.ndarray]:
    """The plan of many intervals at once (columns PLAN_COLUMNS as arrays): for each, the
    fewest agents meeting `target` for `volume` contacts arriving over `interval_minutes`,
    handled in `aht_seconds` each, with occupancy at most `max_occupancy_percent`; scheduled
    agents after shrinkage; the achieved service level, ASA and occupancy.

    With `concurrency` N (chat) every agent works N sessions at once: the queue's servers are
    chat slots, agents = ceil(slots / N), measured at agents × N slots. With
    `patience_seconds` the queue is Erlang A (callers hang up) and abandonment is given."""
    _check(interval_minutes, max_occupancy_percent, concurrency, patience_seconds)
    vol = np.asarray(volume, dtype=float)
    aht = np.asarray(aht_seconds, dtype=float)
    if vol.shape != aht.shape:
        raise StaffingError("one handle time per interval")
    if (vol < 0).any() or not np.isfinite(vol).all():
        raise StaffingError("volumes are 0 or more")
    busy = vol > 0
    if busy.any() and (~np.isfinite(aht[busy]) | (aht[busy] < MIN_SECONDS)).any():
        raise StaffingError(
            f"every interval with volume needs a handle time of at least {MIN_SECONDS:g} second"
        )
    safe_aht = np.where(busy, aht, 1.0)
    traffic = np.where(busy, vol * safe_aht / (interval_minutes * 60), 0.0)
    cap = max_occupancy_percent / 100
    if patience_seconds is None:
        slots = _erlang_c_slots(traffic, safe_aht, target, cap)
    else:
        slots = np.array(
            [
                fewest_servers(Queue(float(t), float(h), patience_seconds), target, cap)
                for t, h in zip(traffic, safe_aht, strict=True)
            ],
            dtype=np.int64,
        )
    agents = -(-slots // concurrency)
    slots = agents * concurrency
    available = 1 - Fraction(str(shrinkage_percent)) / 100
    if not 0 <= shrinkage_percent < 100:
        raise StaffingError(f"shrinkage {shrinkage_percent}%: use 0 or more and below 100")
    scheduled = -(-(agents * available.denominator) // available.numerator)
    n = np.maximum(slots, 1).astype(float)
    abandonment = np.full(len(vol), np.nan)
    if patience_seconds is None:
        b = _erlang_b_at(traffic, slots)
        c = np.where(busy, n * b / np.maximum(n - traffic * (1 - b), 1e-300), 0.0)
        gap = np.maximum(n - traffic, 1e-300)
        sl = np.where(busy, 1 - c * np.exp(-gap * (target.seconds or 0.0) / safe_aht), 1.0)
        asa = np.where(busy, c * safe_aht / gap, 0.0)
        occ = np.where(busy, traffic / n, 0.0)
    else:
        sl, asa, occ = np.ones(len(vol)), np.zeros(len(vol)), np.zeros(len(vol))
        abandonment = np.zeros(len(vol))
        for i in np.flatnonzero(busy):
            q = Queue(float(traffic[i]), float(safe_aht[i]), patience_seconds)
            sl[i], asa[i], occ[i], ab = q.measures(int(slots[i]), target)
            abandonment[i] = ab or 0.0
    return {
        "volume": vol,
        "aht_seconds": np.where(busy, aht, np.nan),
        "traffic": traffic,
        "agents": agents,
        "scheduled_agents": scheduled,
        "service_level": np.clip(sl, 0.0, 1.0) * 100,
        "asa_seconds": asa,
        "occupancy": occ * 100,
        "abandonment": abandonment * 100,
    }


def plan_interval(
    volume: float,
    interval_minutes: float,
    aht_seconds: float,
    target: Target,
    shrinkage_percent: float = 0.0,
    max_occupancy_percent: float = 100.0,
    concurrency: int = 1,
    patience_seconds: float | None = None,
) -> Staffing:
    """The plan of one interval (see `plan_intervals`)."""
    cols = plan_intervals(
        [volume],
        [aht_seconds],
        interval_minutes,
        target,
        shrinkage_percent,
        max_occupancy_percent,
        concurrency,
        patience_seconds,
    )
    ab = float(cols["abandonment"][0])
    return Staffing(
        volume=float(volume),
        aht_seconds=float(aht_seconds),
        traffic=float(cols["traffic"][0]),
        agents=int(cols["agents"][0]),
        scheduled_agents=int(cols["scheduled_agents"][0]),
        service_level=float(cols["service_level"][0]),
        asa_seconds=float(cols["asa_seconds"][0]),
        occupancy=float(cols["occupancy"][0]),
        abandonment=None if math.isnan(ab) else ab,
        concurrency=concurrency,
    )


# ---------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M)


@dataclass(frozen=True)
class ErlangA:
    """Measures of an Erlang A queue (0–1 shares, seconds)."""

    wait_probability: float
    abandonment: float
    service_level: float
    asa_seconds: float
    occupancy: float


def _stationary(arrival: float, mu: float, theta: float, agents: int) -> np.ndarray:
    """Stationary distribution of the number of calls in an M/M/n+M system (birth rate
    `arrival`, death rate min(k, n)·mu + max(k − n, 0)·theta), from the running products of
    arrival / death in log space (no overflow for thousands of agents), cut where the tail
    is below 1e-16 of the mode (or at MAX_QUEUE callers waiting: patience far longer than
    the handle time with too few agents, where the target is far out of reach anyway)."""
    k = np.arange(1, agents + MAX_QUEUE + 1, dtype=float)
    death = np.minimum(k, agents) * mu + np.maximum(k - agents, 0.0) * theta
    logp = np.concatenate(([0.0], np.cumsum(math.log(arrival) - np.log(death))))
    mode = int(np.argmax(logp))
    logp -= logp[mode]
    tail = (np.arange(len(logp)) > max(agents, mode)) & (logp < -37.0)
    if tail.any():
        logp = logp[: int(np.argmax(tail)) + 1]
    out = np.exp(logp)
    return out / out.sum()


def _served_within(agents: int, mu: float, theta: float, ahead_max: int, t: float) -> np.ndarray:
    """P(a waiting caller with j callers ahead is answered within `t` seconds), j = 0 ..
    ahead_max, by uniformisation of the caller's position in the queue: with j ahead the
    position moves up at rate n·mu + j·theta (an agent frees up, or someone ahead hangs up),
    the caller hangs up at rate theta, and at the head an agent answers at rate n·mu."""
    size = ahead_max + 1
    if t <= 0:
        return np.zeros(size)
    j = np.arange(size, dtype=float)
    up = agents * mu + j * theta  # rate of moving from j ahead to j − 1 (or answered at j = 0)
    rate = float(up[-1] + theta)
    # f_j(t) = P(answered by t | j ahead); generator acting on f: f'_j = up_j (f_{j−1} − f_j)
    # − theta f_j, with f_{−1} = 1 (answered). Uniformised: f = Σ Poisson(k; rate·t) g_k,
    # g_{k+1} = g_k + (up_j (g_{k−1 shifted}) − (up_j + theta) g_k) / rate, g_0 = 0.
    g = np.zeros(size)
    total = np.zeros(size)
    lam = rate * t
    steps = int(lam + 10 * math.sqrt(lam) + 30)
    log_w = -lam  # log Poisson weight of k = 0
    for k in range(steps + 1):
        if k > 0:
            log_w += math.log(lam) - math.log(k)
        total += math.exp(log_w) * g
        shifted = np.concatenate(([1.0], g[:-1]))
        g = g + (up * (shifted - g) - theta * g) / rate
    return np.clip(total, 0.0, 1.0)


def erlang_a(
    traffic: float, agents: int, aht_seconds: float, patience_seconds: float, target: Target
) -> ErlangA:
    """Erlang A measures for `agents` agents: probability to wait, abandonment (callers who
    hang up before an answer / all callers), service level (answered within the target's
    seconds / all callers, abandoned ones counted as not answered), ASA (mean wait of all
    callers, by Little's law: mean queue length / arrival rate) and occupancy (answered
    traffic / agents)."""
    if traffic <= 0:
        return ErlangA(0.0, 0.0, 1.0, 0.0, 0.0)
    mu = 1.0 / aht_seconds
    theta = 1.0 / patience_seconds
    arrival = traffic * mu
    if agents == 0:
        return ErlangA(1.0, 1.0, 0.0, patience_seconds, 0.0)
    pi = _stationary(arrival, mu, theta, agents)
    queued = np.arange(len(pi)) - agents
    waiting = pi[agents:]
    wait_prob = float(waiting.sum())
    mean_queue = float((pi[queued > 0] * queued[queued > 0]).sum())
    abandonment = theta * mean_queue / arrival
    asa = mean_queue / arrival
    answered = traffic * (1 - abandonment)
    occupancy = answered / agents
    seconds = target.seconds or 0.0
    within = _served_within(agents, mu, theta, len(waiting) - 1, seconds)
    sl = float(pi[:agents].sum() + (waiting * within).sum())
    return ErlangA(wait_prob, abandonment, min(sl, 1.0), asa, occupancy)
