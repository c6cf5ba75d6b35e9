"""The staff desk: who may see a case and how much, and every read of personal data is an
event on the case."""

from __future__ import annotations

import pytest

from backend.staff_records import Refused
from tests.backend.test_assignments import _file, staff
from tests.case_setup import case_row, link_chat, pushes


async def test_the_mediator_sees_the_phone_only_after_accepting(app) -> None:
    await link_chat(app, "m_zhou_03", "zhou")
    number = await _file(app)
    async with staff(app, "m_zhou_03") as desk:
        before = await desk.case_view(number)
    assert before is not None and before.phone is None and before.phone_hidden
    assert (before.place, before.other_party, before.other_party_role) == (None, None, "neighbour")
    assert "13812345678" not in before.description and before.timeline == []
    async with staff(app, "m_zhou_03") as desk:
        after = await desk.accept(number)
    assert (after.phone, after.place) == ("13812345678", "枫桥镇陈家村18号")
    assert (after.status, after.other_party) == ("accepted", "王大锤")
    [(row, told)] = await pushes(app, "accepted")
    assert row.recipient == "owner" and "周玲芝" in told.text and number in told.text
    case = await case_row(app, number)
    kinds = [e.kind for e in case.events]
    assert kinds.count("personal_data_read") == 1  # only the full view is a read


async def _reads(app, number: str) -> list[str]:
    case = await case_row(app, number)
    return [e.data["viewer"] for e in case.events if e.kind == "personal_data_read"]


async def test_staff_of_another_town_or_committee_cannot_open_the_case(app) -> None:
    number = await _file(app)
    for code in ("m_lou_01", "m_jiang_03", "m_si_03"):  # 暨阳 admin, 新村 committee, town centre
        async with staff(app, code) as desk:
            assert await desk.case_view(number) is None
            assert number not in [line.number for line in await desk.open_cases()]
            with pytest.raises(Refused, match="no_such_case"):
                await desk.add_note(number, "看看")
            with pytest.raises(Refused, match="no_such_case"):
                await desk.accept(number)
    assert await _reads(app, number) == []


async def test_an_administrator_sees_the_organisations_cases_and_each_read_is_logged(app) -> None:
    number = await _file(app, scope="cross_village")  # two villages: the town centre's
    async with staff(app, "m_zhao_02") as desk:  # 枫桥镇 centre administrator
        assert number in [line.number for line in await desk.open_cases()]
        view = await desk.case_view(number)
        assert view is not None and view.phone == "13812345678"
    async with staff(app, "m_si_03") as desk:  # a mediator there, not offered the case
        assert await desk.case_view(number) is None
    async with staff(app, "m_zhao_02") as desk:
        await desk.case_view(number)
    assert await _reads(app, number) == ["m_zhao_02", "m_zhao_02"]
