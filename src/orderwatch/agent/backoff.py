"""Retry delays for uploads: exponential, capped, with jitter so that many agents coming back
after a server outage do not all retry at the same second."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delay after the n-th failure in a row: a random point in [d/2, d], d = initial * 2^(n-1)
    capped at `maximum` ("equal jitter": never less than half the step). Success resets it."""

    def __init__(
        self,
        initial: float = 2.0,
        maximum: float = 900.0,
        factor: float = 2.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if initial <= 0 or maximum < initial or factor < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and factor >= 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.failures = 0
        self._rng = rng

    def step(self) -> float:
        """The un-jittered delay for the current failure count (0 when none)."""
        if self.failures == 0:
            return 0.0
        exponent = min(self.failures - 1, 64)  # 2**64 * initial is past any cap
        return min(self.maximum, self.initial * self.factor**exponent)

    def failed(self) -> float:
        """Record a failure and return how long to wait before the next attempt."""
        self.failures += 1
        step = self.step()
        return step / 2 + self._rng() * step / 2

    def succeeded(self) -> None:
        self.failures = 0
