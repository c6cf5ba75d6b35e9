import asyncio

from backend.case_numbers import next_case_number
from backend.db import open_database
from tests.conftest import TEST_KEY


async def test_numbers_count_up_per_year(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)
    try:
        async with db.sessions() as session, session.begin():
            first = await next_case_number(session, 2026)
            second = await next_case_number(session, 2026)
            other_year = await next_case_number(session, 2027)
        assert (first, second, other_year) == ("2026-000001", "2026-000002", "2027-000001")
    finally:
        await db.dispose()


async def test_concurrent_submissions_never_share_a_number(database_url: str, tmp_path) -> None:
    db = open_database(database_url, secret_key=TEST_KEY, var_dir=tmp_path)

    async def one() -> str:
        async with db.sessions() as session, session.begin():
            return await next_case_number(session, 2026)

    try:
        numbers = await asyncio.gather(*(one() for _ in range(20)))
        assert len(set(numbers)) == 20
        assert sorted(numbers)[-1] == "2026-000020"
    finally:
        await db.dispose()
