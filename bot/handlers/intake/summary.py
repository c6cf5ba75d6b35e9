"""Reading the report back, editing any field, and submitting it."""

from __future__ import annotations

from typing import Any

from backend.records import SubmittedCase
from bot.flows import FLOWS
from bot.handlers.intake.behalf import BEHALF_KEY
from bot.handlers.intake.draft import (
    EDITABLE_FIELDS,
    FLOW,
    applies,
    draft_of,
    to_case_draft,
)
from bot.turn import Turn
from nlu.entities.phones import mask_phone

PREVIEW_CHARS = 80


def _value(turn: Turn, field: str, draft: dict[str, Any]) -> str:
    t = turn.t
    if field == "description":
        text = draft.get("description", "")
        return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
    if field == "category":
        return t(f"category.{draft['category']}")
    if field == "place":
        code = draft.get("village_code") or draft.get("town_code")
        return turn.services.places.display(code, turn.conversation.locale) or t("summary.unknown")
    if field == "other_party":
        return draft.get("other_party") or t("summary.not_given")
    if field == "started":
        return draft.get("started_text") or draft.get("started_on") or t("summary.unknown")
    if field == "amount":
        amount = draft.get("amount_yuan")
        return t("summary.amount", amount=f"{amount:,}") if amount else t("summary.no_amount")
    if field == "outcome":
        return draft.get("outcome") or t("summary.not_given")
    if field == "evidence":
        count = len(draft.get("evidence_notes", [])) + len(draft.get("attachments", []))
        return t("summary.evidence_count", count=count) if count else t("summary.no_evidence")
    if field == "phone":
        return mask_phone(draft["phone"]) if draft.get("phone") else t("summary.not_given")
    raise KeyError(field)


def render_summary(turn: Turn) -> str:
    draft = draft_of(turn)
    lines = [turn.t("summary.title")]
    if draft.get("resident_name"):
        lines.append(turn.t("behalf.summary_name", name=draft["resident_name"]))
    lines += [
        f"{turn.t(f'field.{f}')}：{_value(turn, f, draft)}"
        for f in EDITABLE_FIELDS
        if applies(f, draft)
    ]
    return "\n".join(lines)


async def ask_summary(turn: Turn) -> None:
    turn.say_text(
        render_summary(turn) + "\n" + turn.t("summary.confirm_prompt"),
        options=[
            turn.option("option.submit", "submit"),
            turn.option("option.edit", "edit"),
            turn.option("option.cancel_report", "cmd:cancel"),
        ],
    )


async def reviewing_summary(turn: Turn) -> None:
    if turn.payload == "submit":
        await submit(turn)
    elif turn.payload == "edit":
        turn.go(FLOW, "edit")
        await ask_field_to_edit(turn)
    else:
        turn.reject("common.use_buttons")
        await ask_summary(turn)


async def ask_field_to_edit(turn: Turn) -> None:
    draft = draft_of(turn)
    options = [turn.option(f"field.{f}", f"edit:{f}") for f in EDITABLE_FIELDS if applies(f, draft)]
    options.append(turn.option("option.back", "edit:back"))
    turn.say("summary.which_field", options=options)


async def choosing_field_to_edit(turn: Turn) -> None:
    payload = turn.payload or ""
    field = payload[5:] if payload.startswith("edit:") else ""
    if field == "back":
        turn.go(FLOW, "summary")
        await ask_summary(turn)
        return
    if field not in EDITABLE_FIELDS:
        turn.reject("common.use_buttons")
        await ask_field_to_edit(turn)
        return
    draft = draft_of(turn)
    draft["answered"] = [f for f in draft["answered"] if f != field]
    draft["editing"] = True
    turn.go(FLOW, field)
    await FLOWS[FLOW][field].ask(turn)


async def submit(turn: Turn) -> None:
    draft = draft_of(turn)
    mode = draft.get(BEHALF_KEY)
    if mode:
        await _submit_on_behalf(turn, draft, mode)
        return
    receipt = await turn.backend.submit_case(to_case_draft(draft))
    turn.conversation.reset()
    mediator = (
        turn.t("submitted.mediator", name=receipt.mediator_name) if receipt.mediator_name else ""
    )
    turn.say(
        "submitted.done",
        number=receipt.number,
        organization=_organization(turn, receipt),
        mediator=mediator,
        deadline=turn.t.when(receipt.response_deadline),
        options=[
            turn.option("menu.status", "cmd:status"),
            turn.option("choose.offer", f"choose:{receipt.number}"),
            turn.option("menu.report", "cmd:new"),
        ],
    )


async def _submit_on_behalf(turn: Turn, draft: dict[str, Any], mode: str) -> None:
    desk = await turn.backend.staff_desk()
    turn.conversation.reset()
    if desk is None:  # no longer staff (deactivated while writing)
        turn.say("staff.only")
        return
    receipt = await desk.register_on_behalf(to_case_draft(draft), mode)
    turn.say(
        "behalf.submitted",
        number=receipt.number,
        name=draft.get("resident_name", ""),
        organization=_organization(turn, receipt),
        mediator=receipt.mediator_name or "-",
        options=[turn.option("staff.menu.cases", "staff:cases")],
    )


def _organization(turn: Turn, receipt: SubmittedCase) -> str:
    if turn.conversation.locale == "en" and receipt.organization_name_en:
        return receipt.organization_name_en
    return receipt.organization_name
