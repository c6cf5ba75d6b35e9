from pathlib import Path

from sqlalchemy import func, select

from backend.db import open_database
from backend.models import Mediator, Organization, Place
from backend.org_network import load_network
from backend.org_sync import load_organizations_if_empty, sync_network
from backend.places import list_places
from jiefen.settings import PROJECT_ROOT
from tests.conftest import TEST_KEY

NETWORK_FILE = PROJECT_ROOT / "config" / "organizations.yaml"


async def _counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count(Place.id))),
        await session.scalar(select(func.count(Organization.id))),
        await session.scalar(select(func.count(Mediator.id))),
    )


async def test_loading_twice_changes_nothing(database_url: str, tmp_path: Path) -> None:
    network = load_network(NETWORK_FILE)
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            assert await load_organizations_if_empty(session, NETWORK_FILE) is True
            first = await _counts(session)
        async with db.sessions() as session, session.begin():
            assert await load_organizations_if_empty(session, NETWORK_FILE) is False
            await sync_network(session, network)
            assert await _counts(session) == first
        assert first == (
            len(network.towns) + len(network.villages),
            len(network.organizations),
            len(network.mediators),
        )
        async with db.sessions() as session:
            village_committee = await session.scalar(
                select(Organization).filter_by(kind="village_mediation_committee")
            )
            assert village_committee is not None and village_committee.parent_id is not None
            places = await list_places(session)
            assert {p.kind for p in places} == {"town", "village"}
            assert sum(p.kind == "town" for p in places) == 10
    finally:
        await db.dispose()


async def test_a_mediator_removed_from_the_file_is_deactivated(
    database_url: str, tmp_path: Path
) -> None:
    network = load_network(NETWORK_FILE)
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    gone = network.mediators[0].code
    trimmed = NETWORK_FILE.read_text(encoding="utf-8")
    lines = [
        ln
        for ln in trimmed.splitlines()
        if f"code: {gone}," not in ln and f"code: {gone}\n" not in ln
    ]
    smaller = tmp_path / "orgs.yaml"
    smaller.write_text("\n".join(lines) + "\n", encoding="utf-8")
    smaller_network = load_network(smaller)
    assert len(smaller_network.mediators) == len(network.mediators) - 1
    try:
        async with db.sessions() as session, session.begin():
            await sync_network(session, network)
        async with db.sessions() as session, session.begin():
            counts = await sync_network(session, smaller_network)
        assert counts["deactivated"] == 1
        async with db.sessions() as session:
            row = await session.scalar(select(Mediator).filter_by(code=gone))
            assert row is not None and row.active is False
    finally:
        await db.dispose()


async def test_deadlines_are_written_with_the_county_default(
    database_url: str, tmp_path: Path
) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            await load_organizations_if_empty(session, NETWORK_FILE)
        async with db.sessions() as session:
            deadlines = {
                o.code: (o.response_deadline_hours, o.mediation_deadline_days)
                for o in await session.scalars(select(Organization))
            }
        assert deadlines["traffic_committee"] == (24, 20)  # its own, from the file
        assert deadlines["fengqiao.chenjia.committee"] == (48, 30)  # the county's
    finally:
        await db.dispose()


async def test_office_hours_reach_the_mediator_rows(database_url: str, tmp_path: Path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            await sync_network(session, load_network(NETWORK_FILE))
        async with db.sessions() as session:
            judge = await session.scalar(select(Mediator).filter_by(code="judge_chen"))
            assert judge is not None
            assert judge.office_hours[0] == {
                "weekday": 3,
                "start": "09:00",
                "end": "11:30",
                "slot_minutes": 30,
                "place": "枫桥人民法庭调解室",
                "video": True,
            }
            grid = await session.scalar(select(Mediator).filter_by(code="g_jin_01"))
            assert grid is not None and grid.office_hours == []
    finally:
        await db.dispose()
