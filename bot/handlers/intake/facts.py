"""The facts after the place: the other party, when, how much, what outcome, evidence, phone."""

from __future__ import annotations

from datetime import timedelta

from bot.handlers.intake.draft import advance, draft_of, mark_answered
from bot.handlers.text_checks import is_meaningful
from bot.turn import Turn
from nlu.entities.dates import parse_date
from nlu.entities.money import parse_amount
from nlu.entities.parties import parse_party_role
from nlu.entities.phones import mask_phone, normalize_phone

# "court": the resident wants a court to handle it (routing: the tribunal, pre-litigation).
OUTCOMES = ("compensation", "repayment", "apology", "stop", "contract", "talk", "court")
MAX_AMOUNT_YUAN = 10_000_000_000
MAX_EVIDENCE_NOTES = 20


def _short_answer(turn: Turn) -> str | None:
    """The typed answer if usable; otherwise says what is wrong and returns None."""
    text = turn.text
    if not text or not is_meaningful(text):
        turn.reject("common.empty_answer")
        return None
    if len(text) > turn.services.config.short_answer_max_chars:
        turn.reject("common.too_long_short")
        return None
    return text


async def _done(turn: Turn, field: str) -> None:
    mark_answered(turn, field)
    await advance(turn)


async def ask_other_party(turn: Turn) -> None:
    turn.say("intake.ask_other_party", options=[turn.option("option.prefer_not", "skip")])


async def naming_other_party(turn: Turn) -> None:
    draft = draft_of(turn)
    if turn.payload == "skip":
        draft.update(other_party=None, other_party_role=None)
        await _done(turn, "other_party")
        return
    text = _short_answer(turn)
    if text is None:
        return
    draft["other_party"] = text
    draft["other_party_role"] = parse_party_role(text) or draft["suggested"].get("party_role")
    await _done(turn, "other_party")


async def ask_started(turn: Turn) -> None:
    options = [turn.option(f"when.{k}", f"when:{k}") for k in ("today", "week", "month", "earlier")]
    turn.say("intake.ask_started", options=options)


async def telling_when(turn: Turn) -> None:
    draft = draft_of(turn)
    today = turn.today()
    quick = {"today": today, "week": today - timedelta(days=7), "month": today - timedelta(days=30)}
    payload = turn.payload or ""
    if payload.startswith("when:"):
        key = payload[5:]
        moment = quick.get(key)
        draft["started_on"] = moment.isoformat()[: 7 if key == "month" else 10] if moment else None
        draft["started_text"] = turn.t(f"when.{key}")
        await _done(turn, "started")
        return
    text = _short_answer(turn)
    if text is None:
        return
    draft["started_on"] = parse_date(text, today)
    draft["started_text"] = text
    await _done(turn, "started")


async def ask_amount(turn: Turn) -> None:
    suggested = draft_of(turn)["suggested"].get("amount")
    options = (
        [turn.option("intake.amount_this", "amount:suggested", amount=f"{suggested:,}")]
        if suggested
        else []
    )
    options.append(turn.option("intake.amount_none", "amount:none"))
    turn.say("intake.ask_amount", options=options)


async def stating_amount(turn: Turn) -> None:
    draft = draft_of(turn)
    if turn.payload == "amount:none":
        draft["amount_yuan"] = None
        await _done(turn, "amount")
        return
    if turn.payload == "amount:suggested" and draft["suggested"].get("amount"):
        draft["amount_yuan"] = int(draft["suggested"]["amount"])
        await _done(turn, "amount")
        return
    text = _short_answer(turn)
    if text is None:
        return
    amount = parse_amount(text)
    if amount is None or not 0 < amount <= MAX_AMOUNT_YUAN:
        turn.reject("intake.amount_invalid")
        return
    draft["amount_yuan"] = amount
    await _done(turn, "amount")


async def ask_outcome(turn: Turn) -> None:
    turn.say(
        "intake.ask_outcome",
        options=[turn.option(f"outcome.{k}", f"outcome:{k}") for k in OUTCOMES],
    )


async def choosing_outcome(turn: Turn) -> None:
    payload = turn.payload or ""
    draft = draft_of(turn)
    if payload.startswith("outcome:") and payload[8:] in OUTCOMES:
        draft["outcome"] = turn.t(f"outcome.{payload[8:]}")
        draft["wish"] = "court" if payload == "outcome:court" else "mediation"
        await _done(turn, "outcome")
        return
    text = _short_answer(turn)
    if text is None:
        return
    draft.update(outcome=text, wish="mediation")
    await _done(turn, "outcome")


async def ask_evidence(turn: Turn) -> None:
    draft = draft_of(turn)
    count = len(draft.get("evidence_notes", [])) + len(draft.get("attachments", []))
    done_key = "option.evidence_done" if count else "option.evidence_none"
    turn.say("intake.ask_evidence", options=[turn.option(done_key, "evidence:done")])


async def adding_evidence(turn: Turn) -> None:
    draft = draft_of(turn)
    if turn.payload == "evidence:done":
        await _done(turn, "evidence")
        return
    attachments = draft.setdefault("attachments", [])
    for item in turn.message.attachments:
        attachments.append(
            {
                "kind": item.kind,
                "path": item.path,
                "mime_type": item.mime_type,
                "size": item.size,
                "sha256": item.sha256,
                "name": item.name,
            }
        )
    notes = draft.setdefault("evidence_notes", [])
    if turn.text and is_meaningful(turn.text) and len(notes) < MAX_EVIDENCE_NOTES:
        notes.append(turn.text[: turn.services.config.short_answer_max_chars])
    elif not turn.message.attachments:
        turn.reject("common.empty_answer")
        await ask_evidence(turn)
        return
    turn.say(
        "intake.evidence_received",
        count=len(notes) + len(attachments),
        options=[turn.option("option.evidence_done", "evidence:done")],
    )


def known_phone(turn: Turn) -> str | None:
    return draft_of(turn)["suggested"].get("phone") or turn.backend.resident.phone


async def ask_phone(turn: Turn) -> None:
    phone = known_phone(turn)
    options = (
        [turn.option("intake.phone_use", "phone:known", phone=mask_phone(phone))] if phone else []
    )
    turn.say("intake.ask_phone", options=options)


async def giving_phone(turn: Turn) -> None:
    draft = draft_of(turn)
    if turn.payload == "phone:known" and known_phone(turn):
        draft["phone"] = known_phone(turn)
        await _done(turn, "phone")
        return
    phone = normalize_phone(turn.text) if turn.text else None
    if phone is None:
        turn.reject("intake.phone_invalid")
        return
    draft["phone"] = phone
    await _done(turn, "phone")
