"""UTC offsets of a time zone as data, so that local time is an engine expression everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def _offset(tz: ZoneInfo, epoch: int) -> int:
    off = datetime.fromtimestamp(epoch, UTC).astimezone(tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def utc_offsets(tz_name: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """[(from_epoch_seconds, offset_seconds), ...] covering [start, end]: the zone's UTC offset
    and every change of it (daylight saving) in between, found exactly to the second."""
    tz = ZoneInfo(tz_name)
    lo = (
        int(start.replace(tzinfo=UTC).timestamp())
        if start.tzinfo is None
        else int(start.timestamp())
    )
    hi = int(end.replace(tzinfo=UTC).timestamp()) if end.tzinfo is None else int(end.timestamp())
    out = [(lo, _offset(tz, lo))]
    step = int(timedelta(hours=6).total_seconds())
    t = lo
    while t < hi:
        nxt = min(t + step, hi)
        if _offset(tz, nxt) != out[-1][1]:
            a, b = t, nxt  # offset(a) == current, offset(b) != current: bisect to the second
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz, mid) == out[-1][1]:
                    a = mid
                else:
                    b = mid
            out.append((b, _offset(tz, b)))
        t = nxt
    return out
