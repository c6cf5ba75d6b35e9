"""A per-user token bucket, for any adapter that must keep one resident (or one script) from
flooding the dialogue and the database.

Each key may spend `capacity` messages at once and earns them back at `per_second`. State is
in memory, per process: it is a guard against floods, not an accounting system. The clock is
injectable so tests need not sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        capacity: float = 15,
        per_second: float = 0.5,
        *,
        now: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if capacity < 1 or per_second <= 0:
            raise ValueError("capacity must be >= 1 and per_second > 0")
        self.capacity, self.per_second, self.now = float(capacity), per_second, now
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def _refilled(self, key: str, at: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(at)
            bucket = self._buckets[key] = _Bucket(self.capacity, at)
        else:
            earned = max(0.0, at - bucket.updated) * self.per_second
            bucket.tokens = min(self.capacity, bucket.tokens + earned)
            bucket.updated = at
        return bucket

    def allow(self, key: str, cost: float = 1.0) -> bool:
        """Spends `cost` tokens if the key has them; False (nothing spent) otherwise."""
        bucket = self._refilled(key, self.now())
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return True
        return False

    def retry_after(self, key: str, cost: float = 1.0) -> int:
        """Whole seconds until `cost` tokens are there again (0 when they already are)."""
        bucket = self._refilled(key, self.now())
        missing = cost - bucket.tokens
        return 0 if missing <= 0 else math.ceil(missing / self.per_second)

    def _forget_full(self, at: float) -> None:
        """Drops keys whose bucket has refilled: forgetting them changes nothing. If every
        bucket is still draining, the oldest half goes, so memory stays bounded under attack."""
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (at - b.updated) * self.per_second >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]
