"""Timed job kinds of after-care: follow-ups, the satisfaction survey, closing a case.

Misfire policy per kind, chosen for what a late run still means:
- acceptance_follow_up [assignment_id]: the administrator's nudge is worth sending up to 12
  hours late; later than that the offer's own 48-hour deadline is near and the sweep acts, so
  it is dropped with a case event.
- agreement_follow_up [case_id, resolved_at ISO]: the question means the same on day 15 or
  day 17: run however late.
- survey_send [case_id]: the county's figures need the answer more than punctuality: run
  however late.
- survey_reminder [case_id]: a day late it is dropped with a case event (the survey's own
  deadline still closes it).
- aftercare_close [case_id]: expires what is still unanswered and closes the case; run
  however late, or cases would stay open for ever.
"""

from __future__ import annotations

from datetime import timedelta

from backend import aftercare, follow_ups, surveys
from scheduler.kinds import JobKind, RecurringJob

KINDS: list[JobKind] = [
    JobKind(
        "acceptance_follow_up",
        follow_ups.acceptance_follow_up,
        misfire_grace=timedelta(hours=12),
        on_missed=follow_ups.acceptance_follow_up_missed,
    ),
    JobKind("agreement_follow_up", follow_ups.agreement_follow_up, misfire_grace=None),
    JobKind("survey_send", surveys.send_survey, misfire_grace=None),
    JobKind(
        "survey_reminder",
        surveys.remind,
        misfire_grace=timedelta(days=1),
        on_missed=surveys.reminder_missed,
    ),
    JobKind("aftercare_close", aftercare.expire_and_close, misfire_grace=None),
]
RECURRING: list[RecurringJob] = []
