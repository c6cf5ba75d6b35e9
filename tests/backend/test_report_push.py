"""The monthly summary pushed to supervisors: last month's figures, once per supervisor and
month however often the job runs, only to active supervisors."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from backend.models import Mediator, Organization
from backend.report_push import dedup_key, send_monthly_summary
from tests.case_setup import link_chat, pushes
from tests.report_setup import AS_OF, build_history


async def add_supervisors(app) -> None:
    """A second, town-level supervisor and a retired one beside the county's (s_lou_01)."""
    async with app.db.sessions() as session, session.begin():
        town = await session.scalar(select(Organization).filter_by(code="fengqiao.centre"))
        assert town is not None
        for code, active in (("s_test_town", True), ("s_test_retired", False)):
            session.add(
                Mediator(code=code, name="测试主任", organization_id=town.id, role="supervisor",
                         active=active)
            )
    for code in ("s_lou_01", "s_test_town", "s_test_retired"):
        await link_chat(app, code, f"chat-{code}")


async def _run(app) -> int:
    async with app.db.sessions() as session, session.begin():
        return await send_monthly_summary(session, at=AS_OF.astimezone(UTC), zone="Asia/Shanghai")


async def test_each_active_supervisor_gets_last_months_summary_once_even_if_run_twice(app) -> None:
    await build_history(app)
    await add_supervisors(app)
    assert await _run(app) == 2
    assert await _run(app) == 0
    sent = await pushes(app, "report")
    assert sorted(row.recipient for row, _ in sent) == ["chat-s_lou_01", "chat-s_test_town"]
    assert {row.dedup_key for row, _ in sent} == {
        dedup_key("2026-11", "s_lou_01"),
        dedup_key("2026-11", "s_test_town"),
    }
    text = sent[0][1].text
    assert "2026-11" in text and "新登记案件 6 件" in text and "上月 4 件，+2" in text
    for figure in ("48小时内响应率 87.5%", "30天内办结率 83.3%", "调解成功率 60.0%",
                   "满意率 100.0%", "本人申请占比 83.3%", "热点村 1 个", "风险案件 1 件"):
        assert figure in text, figure
    assert "13812345678" not in text


async def test_a_supervisor_without_a_chat_account_is_skipped_until_they_have_one(app) -> None:
    assert await _run(app) == 0  # nobody has redeemed an invite yet
    await link_chat(app, "s_lou_01", "chat-lou")
    assert await _run(app) == 1
    [(_, push)] = await pushes(app, "report")
    assert "新登记案件 0 件" in push.text and "调解成功率 —" in push.text
