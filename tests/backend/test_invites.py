"""Invite codes link a staff member's chat account to their record: once, within their days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from backend.invites import create_invite, looks_like_code, redeem_invite, staff_for_resident
from backend.models import Mediator, MediatorInvite
from backend.residents import resident_for
from backend.staff_records import Refused


async def _resident(session, user: str, clock):
    return await resident_for(session, "telegram", user, at=clock.now(), locale="zh")


async def test_a_code_links_the_account_once(app, clock) -> None:
    async with app.db.sessions() as session, session.begin():
        code = await create_invite(session, "m_zhou_03", at=clock.now())
        assert looks_like_code(code) and len(code) == 9  # ABCD-EFGH
        stored = (await session.scalars(select(MediatorInvite))).one()
        assert code.replace("-", "") not in stored.code_hash  # only a hash is kept
        me = await _resident(session, "tg-zhou", clock)
        staff = await redeem_invite(session, code.lower().replace("-", " "), me, at=clock.now())
        assert staff.code == "m_zhou_03"
        assert (await staff_for_resident(session, me.id)).code == "m_zhou_03"
        # the same account sending it again is fine; anyone else is refused
        assert (await redeem_invite(session, code, me, at=clock.now())).code == "m_zhou_03"
        other = await _resident(session, "tg-other", clock)
        with pytest.raises(Refused) as refused:
            await redeem_invite(session, code, other, at=clock.now())
        assert refused.value.key == "invite.error.used"
        assert await staff_for_resident(session, other.id) is None


async def test_expired_and_unknown_codes_are_refused(app, clock) -> None:
    async with app.db.sessions() as session, session.begin():
        code = await create_invite(session, "m_zhou_03", at=clock.now(), days=7)
        me = await _resident(session, "tg-zhou", clock)
        with pytest.raises(Refused) as refused:
            await redeem_invite(session, code, me, at=clock.now() + timedelta(days=7, seconds=1))
        assert refused.value.key == "invite.error.expired"
        with pytest.raises(Refused) as refused:
            await redeem_invite(session, "ZZZZ-ZZZZ", me, at=clock.now())
        assert refused.value.key == "invite.error.unknown"
        with pytest.raises(Refused):
            await create_invite(session, "nobody_here", at=clock.now())


async def test_a_new_code_moves_the_staff_record_to_the_new_phone(app, clock) -> None:
    async with app.db.sessions() as session, session.begin():
        old_phone = await _resident(session, "tg-old", clock)
        new_phone = await _resident(session, "tg-new", clock)
        first = await create_invite(session, "m_zhou_03", at=clock.now())
        await redeem_invite(session, first, old_phone, at=clock.now())
        second = await create_invite(session, "m_zhou_03", at=clock.now())
        await redeem_invite(session, second, new_phone, at=clock.now())
        staff = await session.scalar(select(Mediator).filter_by(code="m_zhou_03"))
        assert staff.resident_id == new_phone.id


def test_jiefen_mediators_invite_prints_a_code(settings, tmp_path: Path, monkeypatch) -> None:
    from jiefen.cli import main

    for key, value in {
        "JIEFEN_DATABASE_URL": settings.database_url,
        "JIEFEN_VAR_DIR": str(settings.var_dir),
        "JIEFEN_SECRET_KEY": settings.secret_key,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main, ["orgs", "load", str(Path(__file__).parents[2] / "config" / "organizations.yaml")]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["mediators", "invite", "m_zhou_03"])
    assert result.exit_code == 0, result.output
    assert looks_like_code(result.output.strip())
    result = runner.invoke(main, ["mediators", "invite", "nobody"])
    assert result.exit_code != 0 and "no active staff member" in result.output
