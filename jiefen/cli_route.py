"""`jiefen route ...`: the routing rules (config/routing.yaml) seen from the command line."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import click

from backend.route_explain import RouteExplanation
from backend.routing_rules import SCOPES, WISHES, Reason, RoutingRules
from bot.i18n import Texts, Translator
from jiefen.settings import Settings, load_settings
from nlu.entities.parties import PARTY_ROLES
from nlu.types import CATEGORIES, RISK_LEVELS

# What a condition compares, for rendering its values: the label family of each.
_LABELS = {
    "category": "category.",
    "risk": "route.risk.",
    "other_party": "route.party.",
    "scope": "route.scope.",
    "wish": "route.wish.",
}


def _label(t: Translator, condition: str, value: Any, *, code: bool = True) -> str:
    """A value as people read it ("劳动争议"), with its key from the rules file if `code`."""
    prefix = _LABELS.get(condition)
    if prefix is None:
        return f"{value:,}" if isinstance(value, int) else str(value)
    label = t(prefix + str(value))
    return t("route.labelled", label=label, code=value) if code and label != value else label


def reason_text(t: Translator, reason: Reason) -> str:
    if reason.condition == "always":
        return t("route.reason.always")
    limit = reason.limit
    sep = "、" if t.locale == "zh" else ", "
    shown = (
        sep.join(_label(t, reason.condition, v, code=False) for v in limit)
        if isinstance(limit, tuple)
        else _label(t, reason.condition, limit, code=False)
    )
    return t(
        f"route.reason.{reason.condition}",
        value=_label(t, reason.condition, reason.value, code=False),
        limit=shown,
    )


def _fact_lines(t: Translator, e: RouteExplanation) -> list[str]:
    f, unknown = e.facts, t("route.fact.unknown")
    amount = t("route.fact.yuan", value=f"{f.amount_yuan:,}") if f.amount_yuan else unknown

    def show(condition: str, value: Any) -> str:
        return _label(t, condition, value) if value is not None else unknown

    return [
        t("route.fact.category", value=show("category", f.category)),
        t("route.fact.risk", value=show("risk", f.risk_level)),
        t("route.fact.amount", value=amount),
        t("route.fact.group_size", value=f.group_size or unknown),
        t("route.fact.other_party", value=show("other_party", f.other_party_role)),
        t("route.fact.place", value=e.place_name or unknown),
        t("route.fact.scope", value=show("scope", f.scope)),
        t("route.fact.wish", value=show("wish", f.wish)),
    ]


def render(t: Translator, e: RouteExplanation, rules: RoutingRules) -> list[str]:
    """The explanation as lines of text, in the translator's language."""
    org = e.organization
    lines = [t("route.explain.case", number=e.number), t("route.explain.facts")]
    lines += [f"  {line}" for line in _fact_lines(t, e)]
    if e.changed:
        lines.append("  " + t("route.explain.what_if", changes=", ".join(e.changed)))
    if e.stored_organization is not None:
        stored = e.stored_organization
        name = stored.name_en if t.locale == "en" and stored.name_en else stored.name
        named = t("route.labelled", label=name, code=stored.code)
        lines.append(t("route.explain.stored", organization=named, rule=e.stored_rule))
    lines.append(t("route.explain.now", file=rules.source))
    lines.append("  " + t("route.explain.rule", rule=e.rule.id, line=e.rule.line))
    lines.append("  " + t("route.explain.description", text=e.rule.description))
    lines.append("  " + t("route.explain.reasons"))
    lines += [f"    - {reason_text(t, r)}" for r in e.reasons]
    if e.fell_back_from is not None:
        wanted = t(f"route.kind.{e.fell_back_from.kind}")
        lines.append("  " + t("route.explain.fallback", wanted=wanted))
    name = org.name_en if t.locale == "en" and org.name_en else org.name
    tier = t(f"route.tier.{org.tier}")
    lines.append("  " + t("route.explain.organization", name=name, code=org.code, tier=tier))
    if e.mediator_code:
        lines.append("  " + t("route.explain.mediator", name=e.mediator_name, code=e.mediator_code))
    else:
        lines.append("  " + t("route.explain.no_mediator"))
    return lines


def _as_json(e: RouteExplanation) -> dict[str, Any]:
    data = asdict(e)
    data["rule"] = {"id": e.rule.id, "line": e.rule.line, "说明": e.rule.description}
    data["reasons"] = [asdict(r) for r in e.reasons]
    return data


@click.group()
def route() -> None:
    """The routing rules (config/routing.yaml, or JIEFEN_ROUTING_FILE)."""


@route.command("explain")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--category", type=click.Choice(CATEGORIES), help="what if the category were…")
@click.option("--risk", "risk_level", type=click.Choice(RISK_LEVELS))
@click.option("--amount", "amount_yuan", type=click.IntRange(min=0), help="yuan")
@click.option("--group-size", type=click.IntRange(min=1))
@click.option("--other-party", "other_party_role", type=click.Choice(PARTY_ROLES))
@click.option("--scope", type=click.Choice(SCOPES))
@click.option("--wish", type=click.Choice(WISHES))
def explain(number: str, as_json: bool, lang: str, **what_if: Any) -> None:
    """Which rule routes case NUMBER, and why, by the current rules and the stored facts.

    The options replace a stored fact to ask "what if" (nothing is changed in the database).
    """
    from backend.route_explain import explain_case
    from backend.routing_rules import load_rules
    from jiefen.app import open_store

    changes = {k: v for k, v in what_if.items() if v is not None}
    settings = load_settings()
    rules = load_rules(settings.routing_path)

    async def go(settings: Settings) -> RouteExplanation | None:
        database = await open_store(settings)
        try:
            async with database.sessions() as session:
                return await explain_case(session, number, rules, **changes)
        finally:
            await database.dispose()

    explanation = asyncio.run(go(settings))
    t = Texts(settings.locales_dir, settings.timezone).for_locale(lang)
    if explanation is None:
        raise click.ClickException(t("route.explain.not_found", number=number))
    if as_json:
        click.echo(json.dumps(_as_json(explanation), ensure_ascii=False, indent=2, default=str))
        return
    for line in render(t, explanation, rules):
        click.echo(line)
