"""Timed job kinds of booking: appointment reminders and the no-show check.

Misfire policy (the scheduler drops a run later than `misfire_grace` and calls `on_missed`):
a reminder may run up to six hours late, and the handler itself then keeps only those still
useful (see backend/booking_jobs.py: a 2-hour reminder 90 minutes late at most, never after
the start); later than that, the drop is written on the case. The no-show check is a record,
not a message, so it runs however late.
"""

from __future__ import annotations

from datetime import timedelta

from backend.booking_jobs import check_no_show, reminder_missed, send_reminder
from scheduler.kinds import JobKind, RecurringJob

KINDS: list[JobKind] = [
    JobKind(
        "appointment_reminder",
        send_reminder,
        misfire_grace=timedelta(hours=6),
        on_missed=reminder_missed,
    ),
    JobKind("appointment_no_show_check", check_no_show, misfire_grace=None),
]
RECURRING: list[RecurringJob] = []
