"""How a case looks in a staff member's chat."""

from __future__ import annotations

from backend.staff_records import StaffCaseLine, StaffCaseView
from bot.messages import Option
from bot.turn import Turn

TIMELINE_SHOWN = 15  # the newest events; a line says how many earlier ones are left out
NOTES_SHOWN = 5  # notes and messages both ways, newest last
IN_HAND = ("accepted", "scheduled", "in_mediation")


def render_line(turn: Turn, line: StaffCaseLine) -> str:
    due = turn.t.when(line.due) if line.due else turn.t("staff.no_due")
    key = "staff.case_line_offered" if line.offered_to_me else "staff.case_line"
    return turn.t(
        key,
        number=line.number,
        category=turn.t(f"category.{line.category}"),
        status=turn.t(f"status.{line.status}"),
        due=due,
    )


def render_case(turn: Turn, view: StaffCaseView) -> str:
    t = turn.t
    lines = [
        t("staff.card.title", number=view.number, category=t(f"category.{view.category}")),
        t(
            "staff.card.status",
            status=t(f"status.{view.status}"),
            organization=view.organization_name or "-",
            mediator=view.mediator_name or "-",
        ),
        t("staff.card.description", text=view.description),
    ]
    if view.risk_level == "high":
        lines.append(t("staff.card.risk"))
    if view.other_party or view.other_party_role:
        role = f"route.party.{view.other_party_role}"
        name = view.other_party or (t(role) if t.has(role) else "-")  # the name once accepted
        lines.append(t("staff.card.other_party", name=name))
    if view.amount_yuan is not None:
        lines.append(t("staff.card.amount", amount=f"{view.amount_yuan:,}"))
    if view.place:
        lines.append(t("staff.card.place", place=view.place))
    lines.append(
        t("staff.card.phone", phone=view.phone) if view.phone else t("staff.card.phone_hidden")
    )
    if view.mediation_due_at:
        lines.append(t("staff.card.due", due=t.when(view.mediation_due_at)))
    if view.reported_by != "self":
        lines.append(t(f"staff.card.reported_by_{view.reported_by}"))
    if len(view.timeline) > TIMELINE_SHOWN:
        lines.append(t("staff.card.earlier", count=len(view.timeline) - TIMELINE_SHOWN))
    for entry in view.timeline[-TIMELINE_SHOWN:]:
        lines.append(
            t(
                "staff.card.event",
                at=t.when(entry.at),
                what=_event(turn, entry.kind, entry.to_status),
            )
        )
    for note in view.notes[-NOTES_SHOWN:]:
        text = note.text or (t("staff.card.attachment") if note.with_attachment else "-")
        lines.append(t(f"staff.card.{note.kind}", text=text))
    return "\n".join(lines)


def _event(turn: Turn, kind: str, to_status: str | None) -> str:
    if kind == "status_changed" and to_status:
        return turn.t(f"status.{to_status}")
    return turn.t(f"staff.event.{kind}") if turn.t.has(f"staff.event.{kind}") else kind


def case_actions(turn: Turn, view: StaffCaseView) -> list[Option]:
    n = view.number
    if view.phone_hidden:  # only offered: answer the offer first
        return [
            turn.option("option.accept", f"accept:{n}"),
            turn.option("option.decline", f"decline:{n}"),
        ]
    actions = [
        turn.option("staff.action.note", f"staff:note:{n}"),
        turn.option("staff.action.contact", f"staff:contact:{n}"),
    ]
    if view.status in IN_HAND:
        actions += [
            turn.option("staff.action.outcome", f"staff:outcome:{n}"),
            turn.option("staff.action.court", f"staff:court:{n}"),
        ]
    if view.status == "failed":  # mediation failed: pre-litigation mediation at the tribunal
        actions.append(turn.option("staff.action.court", f"staff:court:{n}"))
    if view.outcome == "agreement":
        actions.append(turn.option("staff.action.confirm", f"staff:confirm:{n}"))
    actions.append(turn.option("staff.menu.cases", "staff:cases"))
    return actions
