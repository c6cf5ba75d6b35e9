"""The intake conversation: a resident reports a dispute in their own words.

consent -> description -> category -> place -> other party -> when -> amount (if any)
-> outcome -> evidence -> phone -> summary (edit any field) -> submitted.
The state diagram is in docs/conversations/intake.md.
"""

from __future__ import annotations

from bot.flows import RESUME_KEY, Step, register
from bot.handlers.intake import behalf, category, facts, opening, place, summary
from bot.handlers.intake.draft import FLOW
from bot.turn import Turn

STEPS: dict[str, Step] = {
    "consent": Step(opening.ask_consent, opening.answering_consent),
    "behalf_consent": Step(behalf.ask_behalf_consent, behalf.confirming_behalf_consent),
    "resident_name": Step(behalf.ask_resident_name, behalf.naming_resident),
    "description": Step(opening.ask_description, opening.describing_dispute),
    "category": Step(category.ask_category, category.confirming_category),
    "category_list": Step(category.ask_category_list, category.choosing_category),
    "place": Step(place.ask_place, place.naming_place),
    "place_pick": Step(place.ask_place_pick, place.picking_place),
    "place_town": Step(place.ask_town, place.choosing_town),
    "place_village": Step(place.ask_village, place.choosing_village),
    "other_party": Step(facts.ask_other_party, facts.naming_other_party),
    "started": Step(facts.ask_started, facts.telling_when),
    "amount": Step(facts.ask_amount, facts.stating_amount),
    "outcome": Step(facts.ask_outcome, facts.choosing_outcome),
    "evidence": Step(facts.ask_evidence, facts.adding_evidence),
    "phone": Step(facts.ask_phone, facts.giving_phone),
    "summary": Step(summary.ask_summary, summary.reviewing_summary),
    "edit": Step(summary.ask_field_to_edit, summary.choosing_field_to_edit),
}
register(FLOW, STEPS)


def has_draft(turn: Turn) -> bool:
    """A report is under way (or suspended for a side trip such as /cancel)."""
    suspended = turn.data.get(RESUME_KEY) or [None]
    return FLOW in (turn.conversation.flow, suspended[0])


async def begin_report(
    turn: Turn, initial_text: str | None = None, *, warned: bool = False
) -> None:
    """Starts a fresh report; a first message that already tells the story is kept.
    `warned`: that message was dangerous and the resident has had the emergency advice."""
    turn.conversation.reset()
    if warned:
        turn.data[opening.WARNED_KEY] = True
    consent = turn.backend.resident.consent_version
    if consent != turn.services.config.notice_version:
        if initial_text:
            turn.data[opening.PENDING_KEY] = initial_text
        turn.go(FLOW, "consent")
        await opening.ask_consent(turn)
    elif initial_text:
        turn.go(FLOW, "description")
        await opening.take_description(turn, initial_text)
    else:
        turn.go(FLOW, "description")
        await opening.ask_description(turn)
