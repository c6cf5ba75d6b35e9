"""The registry every stored job is run through: each feature's kinds, known by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.jobs import build_registry, default_registry, run_job
from scheduler.kinds import JobKind
from tests.scheduler.kinds_for_tests import PING, ping


def test_the_scheduler_knows_every_features_kinds_by_their_fixed_names() -> None:
    registry = default_registry()
    assert {"appointment_reminder", "appointment_no_show_check"} <= set(registry.kinds)
    assert {"deadline_sweep", "monthly_report_summary"} <= set(registry.recurring)
    assert registry.recurring["deadline_sweep"].coalesce


def test_a_kind_defined_twice_is_refused() -> None:
    twin = JobKind("test_ping", ping, timedelta(hours=1))
    with pytest.raises(ValueError, match="test_ping"):
        build_registry([PING, twin], [])


async def test_run_job_is_only_run_by_the_scheduler() -> None:
    with pytest.raises(TypeError):
        await run_job("test_ping", "x")
