"""Consent to the privacy notice, then the resident's own account of the dispute."""

from __future__ import annotations

from bot.handlers.intake.draft import FLOW, advance, draft_of, mark_answered
from bot.handlers.intake.scope import MENTIONS_KEY, place_mentions
from bot.handlers.text_checks import is_meaningful, meaningful_length
from bot.turn import Turn
from nlu.types import ParseResult

MIN_DESCRIPTION_CHARS = 4
PENDING_KEY = "pending_description"
WARNED_KEY = "danger_warned"  # the first message already warned; do not say it twice


async def ask_consent(turn: Turn) -> None:
    turn.say(
        "consent.notice",
        version=turn.services.config.notice_version,
        options=[
            turn.option("option.agree", "consent:yes"),
            turn.option("option.disagree", "consent:no"),
        ],
    )


async def answering_consent(turn: Turn) -> None:
    version = turn.services.config.notice_version
    if turn.payload == "consent:yes":
        await turn.backend.record_consent(version=version, accepted=True)
        turn.say("consent.thanks")
        pending = turn.data.pop(PENDING_KEY, None)
        if pending:
            await take_description(turn, pending)
        else:
            turn.go(FLOW, "description")
            await ask_description(turn)
    elif turn.payload == "consent:no":
        await turn.backend.record_consent(version=version, accepted=False)
        turn.conversation.reset()
        turn.say("consent.declined", options=[turn.option("menu.human", "cmd:human")])
    else:
        turn.reject("common.use_buttons")
        await ask_consent(turn)


async def ask_description(turn: Turn) -> None:
    turn.say("intake.ask_description")


async def describing_dispute(turn: Turn) -> None:
    text = turn.text
    if not text or not is_meaningful(text):
        turn.reject("intake.description_empty")
        return
    if meaningful_length(text) < MIN_DESCRIPTION_CHARS:
        turn.reject("intake.description_too_short")
        return
    await take_description(turn, text)


async def warn_of_danger(turn: Turn, text: str, parsed: ParseResult) -> None:
    """Emergency advice in this very reply, and the duty staff alerted in the same request."""
    turn.say("risk.emergency")
    town = turn.services.places.town_of(parsed.entity_values("place"))
    await turn.backend.raise_risk_alert(text, list(parsed.risk.reasons), town)


async def take_description(turn: Turn, text: str) -> None:
    """Keeps the account, asks the NLU what it suggests, and warns at once of danger."""
    limit = turn.services.config.description_max_chars
    if len(text) > limit:
        text = text[:limit]
        turn.say("intake.description_truncated", limit=limit)
    draft = draft_of(turn)
    draft["description"] = text
    parsed = await turn.services.nlu.parse(text)
    draft["nlu_intent"] = parsed.intent.name
    draft["nlu_category"] = parsed.category.name
    draft["nlu_confidence"] = round(parsed.category.confidence, 4)
    draft["nlu_ranking"] = [r.name for r in parsed.category_ranking][:4]
    draft["risk_level"] = parsed.risk.level
    draft["risk_reasons"] = list(parsed.risk.reasons)
    suggested = draft.setdefault("suggested", {})
    for entity_type in ("place", "amount", "date", "phone", "party_role"):
        values = parsed.entity_values(entity_type)
        if values:
            suggested[entity_type] = values if entity_type == "place" else values[0]
    draft["group_size"] = max(parsed.entity_values("headcount"), default=None)
    draft[MENTIONS_KEY] = place_mentions(parsed, turn.services.places)
    if parsed.risk.level == "high" and not turn.data.pop(WARNED_KEY, False):
        await warn_of_danger(turn, text, parsed)
    mark_answered(turn, "description")
    await advance(turn)
