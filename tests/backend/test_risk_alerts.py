"""Risk alerts reach the on-duty staff of the town centre (the county centre when the town is
unknown) at once, masked, and once per dedup key."""

from __future__ import annotations

from backend.risk_alerts import alert_duty_staff
from tests.case_setup import link_chat, pushes

THREAT = "邻居说今晚要拿刀砍死我全家，我电话13812345678"


async def _alert(app, town: str | None, dedup: str = "risk:1") -> int:
    async with app.db.sessions() as session, session.begin():
        return await alert_duty_staff(
            session,
            text=THREAT,
            reasons=["violence: 拿刀砍"],
            town_code=town,
            at=app.store.clock.now(),
            dedup=dedup,
        )


async def test_the_on_duty_mediators_and_administrators_of_the_town_centre(app) -> None:
    for code in ("m_shou_03", "m_bian_03", "m_ying_03", "m_chen_02"):  # 大唐街道
        await link_chat(app, code, code)
    assert await _alert(app, "datang") == 2
    sent = await pushes(app, "risk_alert")
    # the centre's admin and on-duty mediator; not the one off duty, not a village committee
    assert sorted(row.recipient for row, _ in sent) == ["m_bian_03", "m_shou_03"]
    text = sent[0][1].text
    assert "大唐街道人民调解中心" in text and "拿刀砍" in text and "110" in text
    assert "138****5678" in text and "13812345678" not in text
    assert await _alert(app, "datang") == 2  # the same message again: no second push
    assert len(await pushes(app, "risk_alert")) == 2


async def test_an_unknown_town_alerts_the_county_centre(app) -> None:
    await link_chat(app, "m_si_01", "county-admin")
    await link_chat(app, "s_lou_01", "county-supervisor")
    assert await _alert(app, None) == 1
    [(row, push)] = await pushes(app, "risk_alert")
    assert row.recipient == "county-admin" and "诸暨市人民调解中心" in push.text


async def test_nobody_with_a_chat_account_reaches_nobody(app) -> None:
    assert await _alert(app, "fengqiao") == 0
    assert await pushes(app, "risk_alert") == []
