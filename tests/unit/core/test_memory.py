"""`release_unused` gives a freed heap back to the operating system."""

from __future__ import annotations

import os
import sys

import pytest

from urbanops.core.memory import release_unused


def _rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, needs glibc")
def test_freed_heap_goes_back() -> None:
    # many small blocks come from the heap (below any mmap threshold); freeing them leaves the
    # pages mapped until the heap is trimmed
    blocks = [bytearray(4000) for _ in range(20_000)]  # ~80 MB
    for b in blocks:
        b[::512] = b"x" * len(b[::512])  # touch every page
    keep = bytearray(16)  # something allocated after them pins the heap's top
    before = _rss_kib()
    del blocks
    assert release_unused() is True
    after = _rss_kib()
    assert before - after > 40_000, (before, after)
    assert keep == bytearray(16)
