"""Each process's pool is its share of the server: together they stay within the limit."""

from __future__ import annotations

import pytest

from urbanops.core.db import (
    JOB_CONNECTIONS,
    JOB_WORKER_CONCURRENCY,
    MAX_POOL,
    RESERVED,
    pool_plan,
)

PER_JOB_WORKER = pool_plan(0, web_workers=1, job_workers=0, job_concurrency=4) + JOB_CONNECTIONS


def test_a_job_worker_has_one_connection_per_task_and_one_more() -> None:
    assert pool_plan(97, web_workers=2, job_workers=1, job_concurrency=4) == 5
    assert pool_plan(97, web_workers=2, job_workers=1, job_concurrency=16) == 17
    assert PER_JOB_WORKER == JOB_WORKER_CONCURRENCY + 1 + JOB_CONNECTIONS


def test_postgres_default_limit_with_two_web_workers_and_a_job_worker() -> None:
    # max_connections 100 less 3 for superusers: 97
    pool = pool_plan(97, web_workers=2, job_workers=1)
    assert pool == MAX_POOL  # (97 - 5 - 10) // 2 = 41, at most 40
    assert 2 * pool + PER_JOB_WORKER + RESERVED <= 97


def test_more_web_workers_get_smaller_pools() -> None:
    assert pool_plan(97, web_workers=4, job_workers=1) == (97 - RESERVED - PER_JOB_WORKER) // 4
    assert pool_plan(97, web_workers=8, job_workers=2) == (97 - RESERVED - 2 * PER_JOB_WORKER) // 8


@pytest.mark.parametrize("limit", [40, 97, 100, 197, 500])
@pytest.mark.parametrize("web_workers", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("job_workers", [0, 1, 2, 4])
def test_the_processes_together_stay_within_the_limit(
    limit: int, web_workers: int, job_workers: int
) -> None:
    pool = pool_plan(limit, web_workers=web_workers, job_workers=job_workers)
    total = web_workers * pool + job_workers * PER_JOB_WORKER + RESERVED
    if pool > 2:  # 2 is the floor: below it the limit cannot hold these processes at all
        assert total <= limit
    assert 2 <= pool <= MAX_POOL
