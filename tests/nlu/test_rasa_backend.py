"""The Rasa backend's mapping and its fall-back to the builtin model when Rasa misbehaves.
(tests/nlu/test_rasa_server.py drives a real Rasa server.)"""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from nlu.annotate import Annotator
from nlu.rasa_backend import RasaNlu, RasaUnavailable, from_rasa

RASA_ANSWER = {
    "text": "老板欠我三个月工资5000块",
    "intent": {"name": "dispute_labour", "confidence": 0.81},
    "entities": [
        {
            "entity": "amount",
            "start": 9,
            "end": 14,
            "value": "5000块",
            "extractor": "DIETClassifier",
        }
    ],
    "intent_ranking": [
        {"name": "dispute_labour", "confidence": 0.81},
        {"name": "dispute_debt_contract", "confidence": 0.09},
        {"name": "greet", "confidence": 0.05},
        {"name": "out_of_scope", "confidence": 0.05},
    ],
}


def test_dispute_intents_become_report_dispute_with_a_category() -> None:
    result = from_rasa(RASA_ANSWER, Annotator(), RASA_ANSWER["text"])
    assert result.intent.name == "report_dispute"
    assert result.intent.confidence == pytest.approx(0.90)
    assert result.category.name == "labour"
    assert result.category.confidence == pytest.approx(0.9, abs=0.01)
    assert [r.name for r in result.category_ranking] == ["labour", "debt_contract"]
    assert [(e.type, e.value) for e in result.entities if e.type == "amount"] == [("amount", 5000)]
    assert result.backend == "rasa"


def test_fallback_intent_is_not_a_dispute() -> None:
    answer = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "dispute_traffic_accident", "confidence": 0.2},
        ],
    }
    result = from_rasa(answer, Annotator(), "你好")
    assert result.intent.name == "nlu_fallback"
    assert result.category.name == "other"
    assert [r.name for r in result.category_ranking] == ["traffic_accident"]


def test_fallback_over_spread_dispute_categories_is_still_a_dispute() -> None:
    answer = {
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "dispute_land", "confidence": 0.28},
            {"name": "dispute_expropriation", "confidence": 0.26},
            {"name": "dispute_neighbour", "confidence": 0.2},
            {"name": "greet", "confidence": 0.06},
        ],
    }
    result = from_rasa(answer, Annotator(), "村里修路占了我家的地")
    assert result.intent.name == "report_dispute"
    assert [r.name for r in result.category_ranking][:2] == ["land", "expropriation"]
    assert result.category.confidence < 0.5  # unsure: the dialogue shows a menu


def test_malformed_answers_are_refused() -> None:
    with pytest.raises(RasaUnavailable):
        from_rasa({"entities": []}, Annotator(), "x")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_server_down_falls_back_to_builtin_and_logs_it(
    shared_nlu,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rasa = RasaNlu(f"http://127.0.0.1:{_free_port()}", "t", shared_nlu, Annotator(), timeout=1)
    with caplog.at_level(logging.WARNING, logger="nlu.rasa_backend"):
        result = await rasa.parse("老板欠了我三个月的工资不给")
        again = await rasa.parse("老板欠了我三个月的工资不给")
    await rasa.aclose()
    assert result.backend == "builtin" and result.category.name == "labour"
    assert again.backend == "builtin"
    assert sum("using the builtin model" in r.message for r in caplog.records) == 1


async def _serve(handler) -> tuple[asyncio.AbstractServer, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_slow_server_falls_back_within_the_timeout(shared_nlu) -> None:
    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)
        writer.close()

    server, port = await _serve(never_answers)
    rasa = RasaNlu(f"http://127.0.0.1:{port}", "t", shared_nlu, Annotator(), timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await rasa.parse("隔壁邻居家的狗天天叫")
    elapsed = loop.time() - started
    await rasa.aclose()
    server.close()
    assert result.backend == "builtin"
    assert elapsed < 2


async def test_garbage_answer_falls_back(shared_nlu) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        body = b'{"unexpected": true}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    server, port = await _serve(garbage)
    rasa = RasaNlu(f"http://127.0.0.1:{port}", "t", shared_nlu, Annotator(), timeout=1)
    result = await rasa.parse("隔壁邻居家的狗天天叫")
    await rasa.aclose()
    server.close()
    assert result.backend == "builtin" and result.category.name == "neighbour"
