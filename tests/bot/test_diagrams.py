"""The state diagrams in docs/ name exactly the steps the code registers."""

import re

from bot.flows import FLOWS
from bot.handlers import common  # noqa: F401  (registers the cancel, handoff and my_cases flows)
from jiefen.settings import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs" / "conversations"
EDGE = re.compile(r"^\s*(\w+|\[\*\])\s*-->\s*(\w+|\[\*\])", re.MULTILINE)


def _states(doc: str) -> set[str]:
    text = (DOCS / doc).read_text(encoding="utf-8")
    states = {s for edge in EDGE.findall(text) for s in edge if s != "[*]"}
    return states


def test_intake_diagram_matches_the_registered_steps() -> None:
    assert _states("intake.md") == set(FLOWS["intake"])


def test_common_diagram_names_the_side_flows() -> None:
    states = _states("common.md")
    assert set(FLOWS["cancel"]) <= states
    assert set(FLOWS["handoff"]) <= states


def test_my_cases_diagram_matches_the_registered_steps() -> None:
    assert _states("my_cases.md") == set(FLOWS["my_cases"])


def test_staff_diagram_matches_the_registered_steps() -> None:
    from bot.handlers import staff  # noqa: F401  (registers the staff flows)

    expected = set(FLOWS["staff_register"]) | set(FLOWS["staff_case"])
    assert _states("staff.md") == expected


def test_survey_diagram_matches_the_registered_steps() -> None:
    assert _states("survey.md") == set(FLOWS["survey"])


def test_booking_diagram_matches_the_registered_steps() -> None:
    from bot.handlers import booking  # noqa: F401  (registers the booking flow)

    assert _states("booking.md") == set(FLOWS["booking"])
