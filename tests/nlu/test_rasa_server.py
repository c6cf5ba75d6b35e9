"""A real Rasa server on the trained model, and the bot's intake driven through it.

Needs `make rasa-train` first (Rasa 3.6 in .venv-rasa). Skipped with a message when the
model is missing, unless JIEFEN_REQUIRE_RASA=1 (as in .ci/run), which makes that a failure.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jiefen.app import build_app
from jiefen.settings import PROJECT_ROOT
from nlu.annotate import Annotator
from nlu.rasa_backend import RasaNlu
from tests.bot.conversation_steps import pick_category, start_report
from tests.chat import ChatDriver
from tests.servers import free_port

VENV = Path(os.environ.get("JIEFEN_RASA_VENV", PROJECT_ROOT / ".venv-rasa"))
MODEL = PROJECT_ROOT / "nlu" / "models" / "jiefen-nlu.tar.gz"
READY_WITHIN_SECONDS = 300


@pytest.fixture(scope="module")
def rasa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    if not (VENV / "bin" / "rasa").exists() or not MODEL.exists():
        message = f"no Rasa model at {MODEL} (run `make rasa-train`)"
        if os.environ.get("JIEFEN_REQUIRE_RASA") == "1":
            pytest.fail(message + " and JIEFEN_REQUIRE_RASA=1")
        pytest.skip(message + ": Rasa server tests skipped")
    port, token = free_port(), secrets.token_hex(12)
    log = tmp_path_factory.mktemp("rasa") / "rasa.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["bash", str(PROJECT_ROOT / "scripts" / "rasa-serve.sh")],
            env={**os.environ, "PORT": str(port), "JIEFEN_RASA_TOKEN": token},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"Rasa exited early:\n{log.read_text()[-3000:]}")
            try:
                status = httpx.get(f"{url}/status", params={"token": token}, timeout=2)
                if status.status_code == 200 and status.json().get("model_file"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Rasa not ready in {READY_WITHIN_SECONDS} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(1)
        yield url, token
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


@pytest.fixture
def rasa(rasa_server: tuple[str, str], shared_nlu) -> RasaNlu:
    url, token = rasa_server
    return RasaNlu(
        url, token, shared_nlu, Annotator(shared_nlu.gazetteer, shared_nlu.today_fn), timeout=10
    )


async def test_rasa_answers_with_categories_and_our_entities(rasa: RasaNlu) -> None:
    wages = await rasa.parse("老板拖欠了我三个月工资一共两万八，电话打了也不接")
    assert wages.backend == "rasa"
    assert wages.intent.name == "report_dispute" and wages.category.name == "labour"
    assert wages.entity_values("amount") == [28000]
    hello = await rasa.parse("你好")
    assert hello.backend == "rasa" and hello.intent.name != "report_dispute"
    await rasa.aclose()


async def test_intake_through_the_rasa_server(rasa: RasaNlu, settings, clock) -> None:
    app = await build_app(settings, clock=clock, nlu=rasa)
    try:
        chat = ChatDriver(app.dialogue, "rasa-resident")
        await start_report(chat, "隔壁邻居家的狗天天半夜叫，还咬伤了我家的鸡，说了好几次也不管")
        await pick_category(chat, "neighbour")
        await chat.say("枫桥镇陈家村")
        await chat.say("隔壁邻居")
        await chat.tap("最近几天")
        await chat.tap("停止侵害")
        await chat.tap("没有，跳过")
        await chat.say("13812345678")
        await chat.tap("确认提交")
        assert "案件编号" in chat.text
        assert rasa._available()  # every parse was Rasa's: it never fell back
    finally:
        await rasa.aclose()
        await app.close()
