"""An in-process cache of reference data read from the database.

One thread loads; the others wait for the first load, and keep using the previous value
while a refresh (after `ttl` seconds, or after `invalidate()`) is under way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RefCache(Generic[T]):
    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._value: T | None = None
        self._loaded_at = 0.0
        self._stale = True
        self._lock = threading.Lock()

    def get(self, load: Callable[[], T]) -> T:
        value = self._value
        fresh = not self._stale and time.monotonic() - self._loaded_at < self.ttl
        if value is not None and fresh:
            return value
        if value is not None:
            # refresh by one thread; the others go on with the previous value
            if not self._lock.acquire(blocking=False):
                return value
        else:
            self._lock.acquire()
        try:
            if (
                self._value is not None
                and not self._stale
                and time.monotonic() - self._loaded_at < self.ttl
            ):
                return self._value
            new = load()
            self._value, self._loaded_at, self._stale = new, time.monotonic(), False
            return new
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        self._stale = True

    def clear(self) -> None:
        self._value = None
        self._stale = True
