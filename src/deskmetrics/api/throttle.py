"""Sign-in throttling: guessing passwords must be slow, whatever the address or the name.

Three rules, checked before any password is verified (a locked attempt costs no Argon2 time):

* per client address, at most `attempts_per_second` attempts a second (a sliding second);
* per user name, after `max_failures` failures within `window_minutes`, sign-in for that name
  is locked for `lockout_seconds`, doubling at each further lockout (up to
  `lockout_max_seconds`) until a success or a quiet window resets it;
* the same per client address, after `address_max_failures` failures (one address spraying
  many names).

The state is in memory: it is lost on a restart (a restart takes longer than a short lockout)
and each process keeps its own. Its size is bounded: the oldest keys are dropped first."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from deskmetrics.config import SignInSettings

#: at most this many names and addresses are followed (guessed names must not fill memory)
MAX_KEYS = 10_000


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0
    lockouts: int = 0
    last_failure: float = 0.0


class SignInLocked(Exception):
    """Sign-in refused before checking the password: try again in `retry_after` seconds."""

    def __init__(self, retry_after: float, why: str) -> None:
        super().__init__(why)
        self.retry_after = max(1, math.ceil(retry_after))
        self.why = why


class SignInThrottle:
    """The failures of recent sign-ins, by name and by client address (thread-safe)."""

    def __init__(
        self, settings: SignInSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._records: OrderedDict[tuple[str, str], _Record] = OrderedDict()
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()

    def _record(self, key: tuple[str, str], now: float) -> _Record:
        rec = self._records.get(key)
        if rec is None:
            rec = self._records[key] = _Record()
            while len(self._records) > MAX_KEYS:
                self._records.popitem(last=False)
        else:
            self._records.move_to_end(key)
        window = self.settings.window_minutes * 60
        while rec.failures and rec.failures[0] <= now - window:
            rec.failures.popleft()
        if rec.lockouts and not rec.failures and now - rec.last_failure > window:
            rec.lockouts = 0  # a quiet window forgives earlier lockouts
        return rec

    def check(self, name: str, address: str) -> None:
        """Count an attempt; raise `SignInLocked` when it may not be checked now."""
        now = self.clock()
        with self._lock:
            seen = self._attempts.get(address)
            if seen is None:
                seen = self._attempts[address] = deque()
                while len(self._attempts) > MAX_KEYS:
                    self._attempts.popitem(last=False)
            else:
                self._attempts.move_to_end(address)
            while seen and seen[0] <= now - 1.0:
                seen.popleft()
            if len(seen) >= self.settings.attempts_per_second:
                raise SignInLocked(
                    seen[0] + 1.0 - now, "too many sign-in attempts from your address"
                )
            seen.append(now)
            for key, what in (
                (("name", name), f"sign-in for {name!r}"),
                (("address", address), "sign-in from your address"),
            ):
                rec = self._record(key, now)
                if rec.locked_until > now:
                    raise SignInLocked(
                        rec.locked_until - now, f"{what} is locked after repeated failures"
                    )

    def failed(self, name: str, address: str) -> None:
        """A wrong name or password: may lock the name and the address."""
        now = self.clock()
        s = self.settings
        with self._lock:
            for key, limit in (
                (("name", name), s.max_failures),
                (("address", address), s.address_max_failures),
            ):
                rec = self._record(key, now)
                rec.failures.append(now)
                rec.last_failure = now
                if len(rec.failures) >= limit:
                    rec.lockouts += 1
                    lock = min(s.lockout_seconds * 2 ** (rec.lockouts - 1), s.lockout_max_seconds)
                    rec.locked_until = now + lock
                    rec.failures.clear()

    def succeeded(self, name: str, address: str) -> None:
        """The right password: the name's failures and lockouts are forgotten (the address's
        stay: one right password must not unlock guessing other names)."""
        with self._lock:
            self._records.pop(("name", name), None)


__all__ = ["MAX_KEYS", "SignInLocked", "SignInThrottle"]
