"""The report being written: field order, which fields apply, and moving to the next one."""

from __future__ import annotations

from typing import Any

from backend.records import CaseDraft
from bot.flows import FLOWS
from bot.handlers.intake.scope import dispute_scope
from bot.turn import Turn

FLOW = "intake"
DRAFT_KEY = "draft"

# The questions in the order they are asked; each is also the name of its step.
FIELD_ORDER = (
    "category",
    "place",
    "other_party",
    "started",
    "amount",
    "outcome",
    "evidence",
    "phone",
)
EDITABLE_FIELDS = ("description", *FIELD_ORDER)

# Categories in which money is usually at stake, so the amount is asked.
AMOUNT_CATEGORIES = frozenset(
    {
        "labour",
        "debt_contract",
        "traffic_accident",
        "medical",
        "consumer",
        "housing_tenancy",
        "personal_injury",
        "construction",
        "property_management",
        "expropriation",
    }
)


def draft_of(turn: Turn) -> dict[str, Any]:
    return turn.data.setdefault(DRAFT_KEY, {"answered": [], "suggested": {}})


def applies(field: str, draft: dict[str, Any]) -> bool:
    if field == "amount":
        return draft.get("category") in AMOUNT_CATEGORIES
    return True


def mark_answered(turn: Turn, field: str) -> None:
    answered = draft_of(turn)["answered"]
    if field not in answered:
        answered.append(field)


async def advance(turn: Turn) -> None:
    """Asks the next unanswered question, or shows the summary when all are answered."""
    draft = draft_of(turn)
    draft.pop("editing", None)
    for field in FIELD_ORDER:
        if applies(field, draft) and field not in draft["answered"]:
            turn.go(FLOW, field)
            await FLOWS[FLOW][field].ask(turn)
            return
    turn.go(FLOW, "summary")
    await FLOWS[FLOW]["summary"].ask(turn)


def to_case_draft(draft: dict[str, Any]) -> CaseDraft:
    return CaseDraft(
        description=draft["description"],
        category=draft["category"],
        category_source=draft.get("category_source", "resident"),
        nlu_category=draft.get("nlu_category"),
        nlu_confidence=draft.get("nlu_confidence"),
        town_code=draft.get("town_code"),
        village_code=draft.get("village_code"),
        place_text=draft.get("place_text"),
        other_party=draft.get("other_party"),
        other_party_role=draft.get("other_party_role"),
        started_on=draft.get("started_on"),
        started_text=draft.get("started_text"),
        amount_yuan=draft.get("amount_yuan") if applies("amount", draft) else None,
        desired_outcome=draft.get("outcome"),
        evidence_notes=list(draft.get("evidence_notes", [])),
        attachments=list(draft.get("attachments", [])),
        phone=draft.get("phone"),
        risk_level=draft.get("risk_level", "none"),
        risk_reasons=list(draft.get("risk_reasons", [])),
        group_size=draft.get("group_size"),
        scope=dispute_scope(draft),
        wish=draft.get("wish"),
        resident_name=draft.get("resident_name"),
        consent_version=draft.get("consent_version"),
    )
