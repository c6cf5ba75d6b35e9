"""Timed job kinds of the booking feature (stub: the feature's helper fills it in)."""

from __future__ import annotations

from scheduler.kinds import JobKind, RecurringJob

KINDS: list[JobKind] = []
RECURRING: list[RecurringJob] = []
