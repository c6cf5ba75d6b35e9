"""The web chat over real HTTP on loopback: each httpx client is one phone with its own
cookie jar."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from PIL import Image
from sqlalchemy import func, select

from backend.case_views import show_case
from backend.models import Consent
from bot.channels import webchat
from bot.channels.files import EvidenceStore
from bot.channels.ratelimit import RateLimiter
from bot.channels.webchat import COOKIE, SESSION_SALT, WEB_DIR
from bot.delivery import OutboxWorker
from bot.i18n import LOCALES, Texts
from bot.messages import Option, OutgoingMessage
from jiefen.channels import web_chat as web_chat_channel
from jiefen.server import create_web_app
from jiefen.settings import PROJECT_ROOT
from tests.bot.conversation_steps import pick_category, start_report
from tests.servers import serving

SECRET = "test-web-session-secret"


@contextlib.asynccontextmanager
async def web_chat(app: Any, tmp_path: Path, **options: Any) -> AsyncIterator[tuple[str, Any]]:
    channel = web_chat_channel(app, SECRET, EvidenceStore(tmp_path / "evidence"), **options)
    async with serving(create_web_app(app, [channel], run_worker=False)) as base:
        yield base, channel


@dataclass
class Phone:
    """One resident's browser: the same moves as tests.chat.ChatDriver, over the JSON API."""

    http: httpx.AsyncClient
    last: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0

    async def open(self) -> httpx.Response:
        return await self.http.get("/")

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        self.sent += 1
        response = await self.http.post("/api/message", json={"id": f"m{self.sent}", **body})
        assert response.status_code == 200, response.text
        self.last = response.json()["replies"]
        return response

    async def say(self, text: str) -> str:
        await self.post({"text": text})
        return self.text

    async def tap(self, label_part: str) -> str:
        for reply in reversed(self.last):
            for option in reply["options"]:
                if label_part in option["label"]:
                    await self.post({"payload": option["payload"]})
                    return self.text
        raise AssertionError(f"no button {label_part!r} in {self.options()}")

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.last)

    def options(self) -> list[str]:
        return [o["label"] for r in self.last for o in r["options"]]

    def session(self) -> str:
        return URLSafeSerializer(SECRET, salt=SESSION_SALT).loads(self.http.cookies[COOKIE])


@contextlib.asynccontextmanager
async def phones(base: str, count: int) -> AsyncIterator[list[Phone]]:
    async with contextlib.AsyncExitStack() as stack:
        result = []
        for _ in range(count):
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=60))
            phone = Phone(client)
            await phone.open()
            result.append(phone)
        yield result


def _number(text: str) -> str:
    found = re.search(r"\d{4}-\d{6}", text)
    assert found, text
    return found.group(0)


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x8825] = {1: "N", 2: (29.0, 42.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def _report(phone: Phone, *, with_photo: bool = False) -> str:
    await start_report(phone, "隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着")  # type: ignore[arg-type]
    await pick_category(phone, "neighbour")  # type: ignore[arg-type]
    assert "哪个镇" in phone.text
    await phone.say("枫桥镇陈家村")
    await phone.say("隔壁邻居王某")
    await phone.tap("最近几天")
    await phone.tap("停止侵害")
    if with_photo:
        response = await phone.http.post(
            "/api/upload",
            headers={"X-Jiefen": "1"},
            data={"id": "photo-1"},
            files={"file": ("scene.jpg", _jpeg_with_exif(), "image/jpeg")},
        )
        assert response.status_code == 200, response.text
        phone.last = response.json()["replies"]
        assert "完成" in phone.options(), phone.text
        await phone.tap("完成")
    else:
        await phone.tap("没有，跳过")
    assert "联系电话" in phone.text
    await phone.say("138 1234 5678")
    assert "请核对" in phone.text and "138****5678" in phone.text
    await phone.tap("确认提交")
    return _number(phone.text)


async def test_a_whole_intake_with_a_photo_over_http(app, tmp_path: Path) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        await phone.say("/start")
        assert "解纷" in phone.text and "我要反映纠纷" in phone.options()
        number = await _report(phone, with_photo=True)
        assert "陈家村" in phone.text

    async with app.db.sessions() as session:
        case = await show_case(session, number, reveal=True, viewer="test", clock=app.store.clock)
    assert case is not None
    assert case["events"][0]["data"]["channel"] == "webchat"
    assert case["village"] == "fengqiao.chenjia"
    stored = list((tmp_path / "evidence").rglob("*.jpg"))
    assert len(stored) == 1
    with Image.open(stored[0]) as image:
        assert not image.getexif()  # no GPS, no phone model
        assert image.size == (64, 48)


async def test_two_phones_never_see_each_others_conversation(app, tmp_path: Path) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 2) as (first, other):
        assert first.session() != other.session()
        number = await _report(first)
        await first.say("/status")
        assert number in first.text
        await other.say("/status")
        assert number not in other.text and "还没有登记" in other.text

        pushed = OutgoingMessage("您的案件已受理", (Option("好", "x"),))
        await app.dialogue.send_later("webchat", first.session(), [pushed])
        assert (await other.http.get("/api/updates")).json() == {"replies": []}
        pushed = (await first.http.get("/api/updates")).json()["replies"]
        assert pushed == [{"text": "您的案件已受理", "options": [{"label": "好", "payload": "x"}]}]
        assert (await first.http.get("/api/updates")).json() == {"replies": []}  # once only


async def test_a_push_waits_in_the_database_for_whichever_server_the_page_reaches(
    app, tmp_path: Path
) -> None:
    """Two servers on one database (as `jiefen serve --workers 2` runs): the page may reach
    either, and the outbox worker never takes a web-chat push into its own memory."""
    async with contextlib.AsyncExitStack() as stack:
        first, channel = await stack.enter_async_context(web_chat(app, tmp_path))
        second, _ = await stack.enter_async_context(web_chat(app, tmp_path))
        (phone,) = await stack.enter_async_context(phones(first, 1))
        await phone.say("/start")
        push = OutgoingMessage("调解员已接手您的案件", (Option("好的", "ok"),))
        await app.dialogue.send_later("webchat", phone.session(), [push])

        texts, clock = app.dialogue.services.texts, app.store.clock
        worker = OutboxWorker(app.db, {"webchat": channel}, texts, clock)
        assert await worker.run_once() == 0  # left for the page to fetch
        other = await stack.enter_async_context(
            httpx.AsyncClient(base_url=second, cookies=phone.http.cookies)
        )
        replies = (await other.get("/api/updates")).json()["replies"]
        assert replies == [
            {"text": "调解员已接手您的案件", "options": [{"label": "好的", "payload": "ok"}]}
        ]
        assert (await phone.http.get("/api/updates")).json() == {"replies": []}  # once only


async def test_session_cookie_flags_and_a_tampered_cookie_starts_afresh(
    app, tmp_path: Path
) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        cookie = (await phone.open()).headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        https = await phone.http.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in https.headers["set-cookie"]

        await start_report(phone, "对门邻居把垃圾堆在楼道里")  # type: ignore[arg-type]
        original = phone.session()
        signed = phone.http.cookies[COOKIE]
        for forged in (signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"), "nonsense"):
            phone.http.cookies.clear()
            phone.http.cookies.set(COOKIE, forged)
            response = await phone.http.post(
                "/api/message", json={"id": "after-tamper", "text": "/status"}
            )
            assert response.status_code == 200
            assert "还没有登记" in response.json()["replies"][0]["text"]
            fresh = URLSafeSerializer(SECRET, salt=SESSION_SALT).loads(response.cookies[COOKIE])
            assert fresh != original  # a new, properly signed session


async def test_a_double_submitted_message_is_handled_once(app, tmp_path: Path) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        await phone.say("我要反映村里修路占了我家的地")
        agree = next(o for r in phone.last for o in r["options"] if o["label"].startswith("同意"))
        body = {"id": "tap-agree", "payload": agree["payload"]}
        first, second = await asyncio.gather(
            phone.http.post("/api/message", json=body),
            phone.http.post("/api/message", json=body),
        )
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        async with app.db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Consent)) == 1


async def test_bad_requests_get_polite_errors_never_500(app, tmp_path: Path) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        post = phone.http.post
        json_type = {"Content-Type": "application/json"}
        for body in (b'{"text": ', b"[1, 2]", b'{"text": 5}', b'{"id": "a b", "text": "x"}'):
            response = await post("/api/message", content=body, headers=json_type)
            assert response.status_code == 400, body
            assert "请再发一次" in response.json()["error"]
        response = await post("/api/message", content=b"\xff\xfe", headers=json_type)
        assert response.status_code == 400
        response = await post("/api/message", content=b'{"text": "  "}', headers=json_type)
        assert response.status_code == 400 and "按钮" in response.json()["error"]

        big = b'{"text": "' + b"a" * (1024 * 1024) + b'"}'
        response = await post("/api/message", content=big, headers=json_type)
        assert response.status_code == 413 and "太长" in response.json()["error"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(20):
                yield b"b" * 65536
            yield b'"}'

        response = await post("/api/message", content=chunks(), headers=json_type)
        assert response.status_code == 413

        response = await post(
            "/api/message", content=b'{"text": "hi"}', headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 415 and "刷新页面" in response.json()["error"]
        english = await post(
            "/api/message?lang=en", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert english.status_code == 400 and "send it again" in english.json()["error"]


async def test_uploads_that_cannot_be_taken_are_refused_politely(
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        headers = {"X-Jiefen": "1"}
        text_file = {"file": ("notes.txt", b"just some text", "image/jpeg")}  # lies about type
        response = await phone.http.post("/api/upload", headers=headers, files=text_file)
        assert response.status_code == 415 and "收不了" in response.json()["error"]
        broken = {"file": ("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image/jpeg")}
        response = await phone.http.post("/api/upload", headers=headers, files=broken)
        assert response.status_code == 415 and "打不开" in response.json()["error"]
        response = await phone.http.post("/api/upload", files=text_file)  # no X-Jiefen: CSRF
        assert response.status_code == 403
        response = await phone.http.post("/api/upload", headers=headers, data={"id": "x"})
        assert response.status_code in (400, 415)
        monkeypatch.setattr(webchat, "UPLOAD_LIMIT", 10_000)
        big = {"file": ("big.jpg", _jpeg_with_exif() + b"\x00" * 20_000, "image/jpeg")}
        response = await phone.http.post("/api/upload", headers=headers, files=big)
        assert response.status_code == 413 and "太大" in response.json()["error"]
        assert not list((tmp_path / "evidence").rglob("*.*"))


async def test_a_flood_from_one_phone_is_slowed_with_a_friendly_message(
    app, tmp_path: Path
) -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=3, per_second=0.2, now=lambda: now[0])
    async with web_chat(app, tmp_path, limiter=limiter) as (base, _), phones(base, 2) as pair:
        flooder, neighbour = pair
        for _ in range(3):
            await flooder.say("你好")
        response = await flooder.http.post("/api/message", json={"id": "z", "text": "你好"})
        assert response.status_code == 429
        assert "请歇一歇" in response.json()["error"] and response.headers["retry-after"] == "5"
        await neighbour.say("你好")  # others are not affected
        now[0] += 5
        await flooder.say("你好")


async def test_page_and_static_files(app, tmp_path: Path) -> None:
    async with web_chat(app, tmp_path) as (base, _), phones(base, 1) as (phone,):
        page = await phone.open()
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "解纷" in page.text and "{{" not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<title>解纷" in (await phone.http.get("/", headers={"Accept-Language": "en"})).text
        english = await phone.http.get("/?lang=en")
        assert 'lang="en"' in english.text and "report a dispute" in english.text
        script = await phone.http.get("/static/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert (await phone.http.get("/static/style.css")).status_code == 200
        for path in ("/static/../webchat.py", "/static/%2e%2e/webchat.py", "/static/nope.js"):
            assert (await phone.http.get(path)).status_code == 404, path


def test_every_page_string_is_in_both_catalogues() -> None:
    texts = Texts(PROJECT_ROOT / "config" / "locales")
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r"\{\{\s*(webchat\.[a-z_.]+)\s*\}\}", page))
    script = (WEB_DIR / "app.js").read_text(encoding="utf-8")
    used |= set(re.findall(r"""t\("(webchat\.[a-z_.]+)""", script))
    assert len(used) > 10
    for locale in LOCALES:
        assert used <= texts.keys(locale), locale


@pytest.mark.slow
def test_jiefen_serve_answers_with_the_web_chat(
    tmp_path: Path, shared_nlu: Any, nlu_cache_dir: Path
) -> None:
    """The real command, as deployed: SQLite under a fresh var dir, a free port."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.servers import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIEFEN_")}
    env |= {
        "JIEFEN_VAR_DIR": str(tmp_path / "var"),
        "JIEFEN_HTTP_PORT": str(port),
        "JIEFEN_NLU_CACHE": str(nlu_cache_dir),  # trained once by shared_nlu
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "jiefen.cli", "serve"],
        cwd=tmp_path,  # no stray .env
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            deadline = time.monotonic() + 120
            while True:
                assert server.poll() is None, server.communicate()[0].decode()[-3000:]
                try:
                    health = http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "jiefen serve did not come up"
                    time.sleep(0.2)
            assert health.status_code == 200 and "webchat" in health.json()["channels"]
            page = http.get("/")
            assert page.status_code == 200 and "解纷" in page.text
            assert COOKIE in page.headers["set-cookie"]
    finally:
        server.send_signal(signal.SIGTERM)  # as systemd or docker stop would
        try:
            output = server.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert server.returncode in (0, -signal.SIGTERM), output[-3000:]
    assert "Application shutdown complete" in output, output[-3000:]
