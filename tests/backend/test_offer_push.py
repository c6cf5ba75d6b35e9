"""What an offer tells a mediator before they accept: the applicant's name, the category, the
town and village and a masked summary, nothing more."""

from __future__ import annotations

from sqlalchemy import select

from backend import residents
from backend.models import Case, Organization
from backend.offer_push import SUMMARY_CHARS, offer_params
from tests.backend.test_assignments import ACCOUNT, _file
from tests.case_setup import link_chat, pushes


async def test_the_offer_push_shows_name_category_place_and_a_masked_summary_only(app) -> None:
    await link_chat(app, "m_zhou_03", "zhou")
    number = await _file(app)
    [(row, push)] = await pushes(app, "assignment")
    assert row.recipient == "zhou"
    text = push.text
    assert number in text and "邻里纠纷" in text
    assert "枫桥镇 陈家村" in text  # the place as town and village, not the address
    assert "申请人：未留姓名" in text  # a self-report carries no name
    assert "138****5678" in text  # the summary is masked
    for private in ("13812345678", "18号", "王大锤"):
        assert private not in text, private
    assert [o.label for o in push.options] == ["接受", "婉拒"]


async def test_a_known_name_is_shown_and_an_unknown_place_falls_back_to_the_body(app) -> None:
    async with app.db.sessions() as session, session.begin():
        resident = await residents.resident_for(
            session, "console", "named", at=app.store.clock.now(), locale="zh"
        )
        resident.display_name = "张阿婆"
    long = ACCOUNT + "，还把建筑垃圾堆在我家门口，下雨天污水都流进院子里了"
    number = await _file(app, "named", town_code=None, village_code=None, description=long)
    async with app.db.sessions() as session:
        case = await session.scalar(select(Case).filter_by(number=number))
        assert case is not None
        org = await session.get(Organization, case.organization_id)
        assert org is not None
        params, translate = await offer_params(session, case, org)
    assert (params["name"], translate) == ("张阿婆", [])
    assert params["place"] == org.name == "诸暨市人民调解中心"  # no town known: the county
    summary = params["summary"]
    assert summary.startswith("我电话138****5678") and summary.endswith("…")
    assert len(summary) == SUMMARY_CHARS + 1
