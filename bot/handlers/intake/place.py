"""Where the dispute is: town/street and village/community, matched against the gazetteer."""

from __future__ import annotations

from backend.records import PlaceRecord
from bot.handlers.intake.draft import FLOW, advance, draft_of, mark_answered
from bot.handlers.text_checks import is_meaningful
from bot.turn import Turn

MAX_CHOICES = 6


def _label(turn: Turn, place: PlaceRecord) -> str:
    return turn.services.places.display(place.code, turn.conversation.locale)


async def ask_place(turn: Turn) -> None:
    places = turn.services.places
    suggested = [
        p
        for code in draft_of(turn).get("suggested", {}).get("place", [])
        if (p := places.get(code)) is not None
    ][:2]
    options = [
        turn.option("intake.place_this", f"place:{p.code}", place=_label(turn, p))
        for p in suggested
    ]
    options += [
        turn.option("intake.place_list_towns", "towns"),
        turn.option("intake.place_unknown", "place:unknown"),
    ]
    turn.say("intake.ask_place", options=options)


async def naming_place(turn: Turn) -> None:
    if await _take_payload(turn):
        return
    text = turn.text
    if not text or not is_meaningful(text):
        turn.reject("intake.place_empty")
        await ask_place(turn)
        return
    if len(text) > turn.services.config.short_answer_max_chars:
        turn.reject("common.too_long_short")
        return
    await _take_matches(turn, turn.services.places.match(text), text)


async def _take_matches(turn: Turn, matches: list[PlaceRecord], text: str) -> None:
    villages = [p for p in matches if p.kind == "village"]
    if len(villages) == 1 or (len(matches) == 1):
        await _set_place(turn, (villages or matches)[0], final=False, text=text)
    elif matches:
        draft_of(turn)["place_candidates"] = [p.code for p in (villages or matches)[:MAX_CHOICES]]
        turn.go(FLOW, "place_pick")
        await ask_place_pick(turn)
    else:
        turn.reject("intake.place_not_found", text=text)
        turn.go(FLOW, "place_town")
        await ask_town(turn)


async def _take_payload(turn: Turn) -> bool:
    payload = turn.payload or ""
    places = turn.services.places
    if payload == "towns":
        turn.go(FLOW, "place_town")
        await ask_town(turn)
    elif payload == "place:unknown":
        draft = draft_of(turn)
        draft.update(town_code=None, village_code=None, place_text=None)
        mark_answered(turn, "place")
        await advance(turn)
    elif payload.startswith(("place:", "town_only:")):
        place = places.get(payload.split(":", 1)[1])
        if place is None:
            return False
        await _set_place(turn, place, final=payload.startswith("town_only:"))
    else:
        return False
    return True


async def _set_place(
    turn: Turn, place: PlaceRecord, *, final: bool, text: str | None = None
) -> None:
    draft = draft_of(turn)
    if place.kind == "town" and not final:
        draft["pending_town"] = place.code
        turn.go(FLOW, "place_village")
        await ask_village(turn)
        return
    town_code = place.parent_code if place.kind == "village" else place.code
    village_code = place.code if place.kind == "village" else None
    draft.update(
        town_code=town_code, village_code=village_code, place_text=text or _label(turn, place)
    )
    draft.pop("pending_town", None)
    draft.pop("place_candidates", None)
    mark_answered(turn, "place")
    await advance(turn)


async def ask_place_pick(turn: Turn) -> None:
    places = turn.services.places
    candidates = [
        p for c in draft_of(turn).get("place_candidates", []) if (p := places.get(c)) is not None
    ]
    options = [
        turn.option("intake.place_this", f"place:{p.code}", place=_label(turn, p))
        for p in candidates
    ]
    options.append(turn.option("intake.place_list_towns", "towns"))
    turn.say("intake.place_pick", options=options)


async def picking_place(turn: Turn) -> None:
    if not await _take_payload(turn):
        await naming_place(turn)


async def ask_town(turn: Turn) -> None:
    options = [
        turn.option("intake.place_this", f"place:{t.code}", place=_label(turn, t))
        for t in turn.services.places.towns()
    ]
    options.append(turn.option("intake.place_unknown", "place:unknown"))
    turn.say("intake.place_choose_town", options=options)


async def choosing_town(turn: Turn) -> None:
    if await _take_payload(turn):
        return
    matches = turn.services.places.match(turn.text) if is_meaningful(turn.text) else []
    if matches:
        await _take_matches(turn, matches, turn.text)
    else:
        turn.reject("common.use_buttons")
        await ask_town(turn)


async def ask_village(turn: Turn) -> None:
    town_code = draft_of(turn).get("pending_town", "")
    places = turn.services.places
    town = places.get(town_code)
    options = [
        turn.option(
            "intake.place_this",
            f"place:{v.code}",
            place=v.name if turn.conversation.locale == "zh" else (v.name_en or v.name),
        )
        for v in places.villages_of(town_code)
    ]
    options.append(turn.option("intake.place_town_only", f"town_only:{town_code}"))
    turn.say(
        "intake.place_choose_village", town=_label(turn, town) if town else "", options=options
    )


async def choosing_village(turn: Turn) -> None:
    if await _take_payload(turn):
        return
    town_code = draft_of(turn).get("pending_town")
    matches = turn.services.places.match(turn.text) if is_meaningful(turn.text) else []
    in_town = [p for p in matches if p.parent_code == town_code]
    if in_town or matches:
        await _take_matches(turn, in_town or matches, turn.text)
    else:
        turn.reject("intake.place_not_found", text=turn.text or "…")
        await ask_village(turn)
