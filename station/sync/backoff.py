"""Capped exponential backoff with jitter, for retrying an inventory that is away.

Jitter keeps a room full of benches that lost the server together from all retrying at
the same instant when it comes back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    _attempts: int = field(default=0, init=False)

    def next_delay(self) -> float:
        """The wait before the next attempt: initial, x2, x4 ... up to `maximum`, each
        drawn in [half, full] of its nominal value."""
        nominal = min(self.maximum, self.initial * self.factor**self._attempts)
        self._attempts += 1
        return nominal * random.uniform(0.5, 1.0)  # noqa: S311 (timing jitter, not secrecy)

    def reset(self) -> None:
        self._attempts = 0

    @property
    def attempts(self) -> int:
        return self._attempts
