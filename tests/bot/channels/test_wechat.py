"""The WeChat channel over real HTTP on loopback: requests signed (and in safe mode encrypted)
the way WeChat's servers do it, replies read back the way WeChat reads them, and a fake of
WeChat's API for tokens, media and customer-service/template messages."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from backend.delivery import RetryLater, Undeliverable
from backend.models import Case, ConversationState, Evidence, InboundMessage, OutboxMessage
from backend.platform_tokens import DatabaseTokenStore
from bot.channels.files import EvidenceStore
from bot.channels.ratelimit import RateLimiter
from bot.channels.wechat import WeChatChannel
from bot.channels.wechat_render import parse_xml
from bot.messages import IncomingMessage, Option, OutgoingMessage
from jiefen.server import create_web_app
from tests.delivering import deliver, worker
from tests.fakes.wechat_api import FakeWeChatApi, sample_jpeg
from tests.servers import serving
from tests.waiting import until_async

TOKEN = "jiefen-test-token"
APP_ID, APP_SECRET = "wx-test-app", "test-secret"
ACCOUNT = "gh_jiefen_county"
AES_KEY = base64.b64encode(b"k" * 32).decode().rstrip("=")  # 43 characters, as WeChat issues


def signed(timestamp: int | None = None, *, token: str = TOKEN) -> dict[str, str]:
    """signature = sha1 of the sorted token, timestamp and nonce, joined."""
    ts, nonce = str(timestamp or int(time.time())), os.urandom(6).hex()
    signature = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": ts, "nonce": nonce}


def message_xml(fields: dict[str, Any]) -> str:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


@dataclass
class Resident:
    """One follower of the account, talking through WeChat's servers."""

    http: httpx.AsyncClient
    base: str
    openid: str
    safe: bool = False
    next_id: int = 1000
    last: str = ""
    transcript: list[str] = field(default_factory=list)

    @property
    def crypto(self) -> WeChatCrypto:
        return WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def fields(self, msg_type: str, **extra: Any) -> dict[str, Any]:
        self.next_id += 1
        fields = {"ToUserName": ACCOUNT, "FromUserName": self.openid}
        fields |= {"CreateTime": int(time.time()), "MsgType": msg_type}
        if msg_type != "event":
            fields["MsgId"] = f"{self.openid[-4:]}{self.next_id}"
        return fields | extra

    async def post(self, fields: dict[str, Any], **query: str) -> httpx.Response:
        params = signed()
        body = message_xml(fields)
        if self.safe:
            wrapped = parse_xml(self.crypto.encrypt_message(body, params["nonce"]))
            body = message_xml({"ToUserName": ACCOUNT, "Encrypt": wrapped["Encrypt"]})
            params |= {"encrypt_type": "aes", "msg_signature": wrapped["MsgSignature"]}
            params["timestamp"] = wrapped["TimeStamp"]  # the signature covers this one
        params |= query
        return await self.http.post(f"{self.base}/wechat", params=params, content=body)

    def read(self, response: httpx.Response) -> str:
        """The text of a passive reply, or "success" when the answer comes later."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return "success"
        reply = parse_xml(response.content)
        if self.safe:
            assert set(reply) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
            reply = parse_xml(
                self.crypto.decrypt_message(
                    response.text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]
                )
            )
        assert (reply["ToUserName"], reply["FromUserName"]) == (self.openid, ACCOUNT)
        assert reply["MsgType"] == "text"
        return reply["Content"]

    async def send(self, fields: dict[str, Any]) -> str:
        self.last = self.read(await self.post(fields))
        self.transcript += [str(fields.get("Content", fields.get("Event"))), self.last]
        return self.last

    async def say(self, text: str) -> str:
        return await self.send(self.fields("text", Content=text))

    async def choose(self, label_part: str) -> str:
        """Answers with the number of the option shown as "N. label"."""
        for number, label in re.findall(r"^(\d+)\. (.+)$", self.last, re.M):
            if label_part in label:
                return await self.say(number)
        raise AssertionError(f"no option {label_part!r} in {self.last}")


@dataclass
class Setup:
    app: Any
    api: FakeWeChatApi
    api_base: str
    evidence_dir: Path
    http: httpx.AsyncClient

    def channel(
        self,
        handle: Callable[[IncomingMessage], Awaitable[list[OutgoingMessage]]] | None = None,
        **options: Any,
    ) -> WeChatChannel:
        return WeChatChannel(
            handle or self.app.dialogue.handle,
            token=TOKEN,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            aes_key=options.pop("aes_key", ""),
            api_base=self.api_base,
            token_store=DatabaseTokenStore(self.app.db),
            evidence=EvidenceStore(self.evidence_dir),
            texts=self.app.dialogue.services.texts,
            **options,
        )

    @contextlib.asynccontextmanager
    async def serve(self, channel: WeChatChannel) -> AsyncIterator[str]:
        async with serving(create_web_app(self.app, [channel], run_worker=False)) as base:
            yield base


@pytest.fixture
async def wechat(app, tmp_path: Path) -> AsyncIterator[Setup]:
    api = FakeWeChatApi(app_id=APP_ID, app_secret=APP_SECRET)
    async with serving(api.asgi()) as api_base, httpx.AsyncClient(timeout=30) as http:
        yield Setup(app, api, api_base, tmp_path / "evidence", http)


async def _snapshot(app, *, versions: bool = True) -> tuple[list[Any], int]:
    """Every conversation's state (and how often it was written), and the messages claimed."""
    async with app.db.sessions() as session:
        states = (await session.execute(select(ConversationState).order_by("id"))).scalars()
        rows = [
            (s.external_id, s.flow, s.step, s.data, s.version if versions else None) for s in states
        ]
        inbound = await session.scalar(select(func.count()).select_from(InboundMessage))
    return rows, inbound or 0


async def test_url_verification_echoes_only_for_a_good_signature(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel()) as base:
        good = await wechat.http.get(f"{base}/wechat", params=signed() | {"echostr": "e-123"})
        assert (good.status_code, good.text) == (200, "e-123")
        forged = signed(token="not-ours") | {"echostr": "e-123"}
        bad = await wechat.http.get(f"{base}/wechat", params=forged)
        assert bad.status_code == 403 and "e-123" not in bad.text


async def test_a_whole_intake_by_numbered_answers_with_a_photo(wechat: Setup) -> None:
    wechat.api.media["MEDIA-1"] = sample_jpeg()
    async with wechat.serve(wechat.channel()) as base:
        villager = Resident(wechat.http, base, "o-villager-0001")
        welcome = await villager.send(villager.fields("event", Event="subscribe"))
        assert welcome != "success" and "纠纷" in welcome
        notice = await villager.say("隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着")
        assert "隐私说明" in notice and "回复数字选择：\n1. " in notice
        await villager.choose("同意")
        assert "邻里纠纷" in villager.last and "对吗" in villager.last
        await villager.choose("对，就是这个")
        assert "哪个镇" in villager.last
        await villager.say("枫桥镇陈家村")
        assert "对方是谁" in villager.last
        await villager.say("隔壁邻居王某")
        await villager.choose("最近几天")
        await villager.choose("停止侵害")
        image = villager.fields("image", PicUrl="http://x/1.jpg", MediaId="MEDIA-1")
        photo = await villager.send(image)
        assert "1" in photo and "回复数字选择" in photo
        await villager.say("有录音和视频")
        await villager.choose("完成")
        assert "联系电话" in villager.last
        await villager.say("138 1234 5678")
        assert "请核对" in villager.last and "138****5678" in villager.last
        done = await villager.choose("确认提交")
        assert re.search(r"\d{4}-\d{6}", done) and "调解委员会" in done

    assert wechat.api.media_requests == ["MEDIA-1"]
    async with wechat.app.db.sessions() as session:
        case = await session.scalar(select(Case))
        evidence = (await session.scalars(select(Evidence).order_by(Evidence.id))).all()
    assert case is not None and case.contact_phone == "13812345678"
    assert sorted(e.kind for e in evidence) == ["note", "photo"]
    [photo_row] = [e for e in evidence if e.kind == "photo"]
    stored = Path(photo_row.storage_path or "")
    assert stored.is_relative_to(wechat.evidence_dir)
    with Image.open(io.BytesIO(await asyncio.to_thread(stored.read_bytes))) as image:
        assert not image.getexif()  # the phone's EXIF is gone


async def test_safe_mode_encrypts_both_ways(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel(aes_key=AES_KEY)) as base:
        villager = Resident(wechat.http, base, "o-safe-0002", safe=True)
        notice = await villager.say("去年借给同村的表哥6万块钱打了欠条，说好年底还，现在人躲着不见")
        assert "隐私说明" in notice
        await villager.choose("同意")
        assert "借款" in villager.last
        wrong = await villager.post(villager.fields("text", Content="x"), msg_signature="0" * 40)
        assert wrong.status_code == 403
        plain = Resident(wechat.http, base, "o-safe-0002")  # not encrypted: refused
        assert (await plain.post(plain.fields("text", Content="x"))).status_code == 400


async def test_forged_or_stale_requests_are_refused_and_change_nothing(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel()) as base:
        villager = Resident(wechat.http, base, "o-villager-0003")
        await villager.say("你好")
        before = await _snapshot(wechat.app)
        body = message_xml(villager.fields("text", Content="我要报案"))
        forged = await wechat.http.post(
            f"{base}/wechat", params=signed(token="guessed"), content=body
        )
        stale = await wechat.http.post(
            f"{base}/wechat", params=signed(int(time.time()) - 301), content=body
        )
        future = await wechat.http.post(
            f"{base}/wechat", params=signed(int(time.time()) + 400), content=body
        )
        assert [r.status_code for r in (forged, stale, future)] == [403, 403, 403]
        assert await _snapshot(wechat.app) == before


async def test_a_retried_message_is_handled_once_and_answered_alike(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel()) as base:
        villager = Resident(wechat.http, base, "o-villager-0004")
        await villager.say("隔壁邻居天天半夜装修电钻响个不停，一家老小都睡不着")
        fields = villager.fields("text", Content="1")  # agrees to the notice
        first = villager.read(await villager.post(fields))
        after_first = await _snapshot(wechat.app)
        again = [villager.read(await villager.post(fields)) for _ in range(2)]  # at 5 and 10 s
        assert again == [first, first] and "对吗" in first
        assert await _snapshot(wechat.app) == after_first  # not even the state's version moved
        assert after_first[1] == 2  # two messages claimed


async def test_a_slow_answer_goes_by_customer_service_once(wechat: Setup) -> None:
    gate, seen = asyncio.Event(), []

    async def slow(message: IncomingMessage) -> list[OutgoingMessage]:
        seen.append(message.message_id)
        await gate.wait()
        return await wechat.app.dialogue.handle(message)

    async with wechat.serve(wechat.channel(slow, reply_deadline=0.2)) as base:
        villager = Resident(wechat.http, base, "o-villager-0005")
        fields = villager.fields("text", Content="老板拖欠我们三个月工资")
        copies = await asyncio.gather(villager.post(fields), villager.post(fields))
        assert [villager.read(r) for r in copies] == ["success", "success"]
        gate.set()
        for _ in range(200):
            if wechat.api.custom:
                break
            await asyncio.sleep(0.02)
        later = villager.read(await villager.post(fields))  # WeChat's third try
        await asyncio.sleep(0.1)
    assert later == "success"
    assert seen == [f"wx:{fields['MsgId']}"]
    [sent] = wechat.api.custom
    assert sent["touser"] == villager.openid and sent["msgtype"] == "text"
    assert "隐私说明" in sent["text"]["content"] and "回复数字选择" in sent["text"]["content"]
    assert wechat.api.tokens_issued == 1
    assert (await _snapshot(wechat.app))[1] == 1


async def test_a_late_answer_wechat_keeps_refusing_is_delivered_by_the_outbox(
    wechat: Setup,
) -> None:
    """WeChat was told "success", so it will not ask again: when the customer-service API
    stays in trouble through the channel's tries, the answer goes into the outbox and the
    worker sends it once the API is back."""
    gate, pauses = asyncio.Event(), []

    async def slow(message: IncomingMessage) -> list[OutgoingMessage]:
        await gate.wait()
        return await wechat.app.dialogue.handle(message)

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    channel = wechat.channel(
        slow, reply_deadline=0.2, sleep=pause, send_later=wechat.app.dialogue.send_later
    )
    wechat.api.custom_http_errors = [502, 502, 502]
    async with wechat.serve(channel) as base:
        villager = Resident(wechat.http, base, "o-villager-0010")
        fields = villager.fields("text", Content="老板拖欠我们三个月工资")
        assert villager.read(await villager.post(fields)) == "success"
        gate.set()

        async def queued() -> bool:
            async with wechat.app.db.sessions() as session:
                return bool(await session.scalar(select(func.count(OutboxMessage.id))))

        await until_async(queued, "the late answer in the outbox")
        assert pauses == [5.0, 10.0, 15.0] and not wechat.api.custom
        await deliver(worker(wechat.app, channel))
    [text] = wechat.api.texts_to(villager.openid)
    assert "隐私说明" in text and "1." in text


async def test_pushes_fall_back_to_a_template_outside_the_48_hour_window(
    wechat: Setup,
) -> None:
    channel = wechat.channel(template_id="TPL-1")
    push = OutgoingMessage("您的案件 2026-000001 已受理。", (Option("查看进度", "cmd:status"),))
    await channel.send("o-push-1", push)
    assert "1. 查看进度" in wechat.api.texts_to("o-push-1")[0]
    wechat.api.custom_errors.append(45015)
    await channel.send("o-push-1", push)
    assert wechat.api.templates == [
        {
            "touser": "o-push-1",
            "template_id": "TPL-1",
            "data": {"content": {"value": wechat.api.texts_to("o-push-1")[0]}},
        }
    ]
    assert "1. 查看进度" in wechat.api.templates[0]["data"]["content"]["value"]
    wechat.api.custom_errors.append(45015)
    with pytest.raises(Undeliverable):
        await wechat.channel().send("o-push-1", push)  # no template configured
    await channel.stop()


@pytest.mark.parametrize(
    ("errcode", "http_status", "outcome"),
    [
        (45047, None, RetryLater),
        (45009, None, RetryLater),
        (None, 502, RetryLater),
        (40003, None, Undeliverable),
        (43004, None, Undeliverable),
    ],
)
async def test_push_errors_are_sorted_for_the_outbox(
    wechat: Setup, errcode: int | None, http_status: int | None, outcome: type[Exception]
) -> None:
    if errcode:
        wechat.api.custom_errors.append(errcode)
    if http_status:
        wechat.api.custom_http_errors.append(http_status)
    with pytest.raises(outcome):
        await wechat.channel().send("o-push-2", OutgoingMessage("hi"))
    assert wechat.api.custom == []


async def test_a_refused_access_token_is_renewed(wechat: Setup) -> None:
    channel = wechat.channel()
    await channel.send("o-push-3", OutgoingMessage("一"))
    wechat.api.revoked_tokens.add("fake-token-1")
    await channel.send("o-push-3", OutgoingMessage("二"))
    assert wechat.api.texts_to("o-push-3") == ["一", "二"]
    assert wechat.api.tokens_issued == 2


async def test_bad_bodies_are_refused_without_a_server_error(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel()) as base:
        before = await _snapshot(wechat.app)

        async def post(body: bytes | str) -> int:
            response = await wechat.http.post(f"{base}/wechat", params=signed(), content=body)
            return response.status_code

        bomb = (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>'
        )
        assert await post("<xml><ToUserName>gh") == 400
        assert await post(bomb) == 400
        assert await post("<xml><MsgType>text</MsgType></xml>") == 400
        assert await post(b"<xml>" + b"a" * (1024 * 1024 + 1) + b"</xml>") == 413
        assert await _snapshot(wechat.app) == before


async def test_voice_menu_clicks_and_other_kinds(wechat: Setup) -> None:
    async with wechat.serve(wechat.channel()) as base:
        villager = Resident(wechat.http, base, "o-villager-0006")
        heard = await villager.send(villager.fields("voice", MediaId="V1", Recognition="你好"))
        assert heard and heard != "success"
        unheard = await villager.send(villager.fields("voice", MediaId="V2", Recognition=""))
        assert "打字" in unheard
        video = await villager.send(villager.fields("video", MediaId="V3"))
        assert "文字" in video
        click = villager.fields("event", Event="CLICK", EventKey="cmd:status")
        assert await villager.send(click) != "success"
        leave = villager.fields("event", Event="unsubscribe")
        assert await villager.send(leave) == "success"


async def test_a_new_follower_is_greeted_once_however_often_the_event_comes(
    wechat: Setup,
) -> None:
    """Events have no MsgId: sender, CreateTime and event name single one out."""
    async with wechat.serve(wechat.channel()) as base:
        villager = Resident(wechat.http, base, "o-villager-0007")
        follow = villager.fields("event", Event="subscribe", CreateTime=1764900000)
        welcome = await villager.send(follow)
        assert "解纷" in welcome
        after = await _snapshot(wechat.app)
        assert await villager.send(follow) == welcome  # WeChat's retry
        assert await _snapshot(wechat.app) == after
        again = villager.fields("event", Event="subscribe", CreateTime=1764900060)
        assert "解纷" in await villager.send(again)  # unfollowed and followed again
        assert (await _snapshot(wechat.app))[1] == after[1] + 1


async def test_a_flood_from_one_follower_is_slowed_with_a_friendly_message(
    wechat: Setup,
) -> None:
    now = [0.0]
    limiter = RateLimiter(capacity=3, per_second=0.2, now=lambda: now[0])
    async with wechat.serve(wechat.channel(limiter=limiter)) as base:
        villager = Resident(wechat.http, base, "o-villager-0008")
        neighbour = Resident(wechat.http, base, "o-villager-0009")
        for _ in range(3):
            assert "解纷" in await villager.say("你好")
        before = await _snapshot(wechat.app)
        assert "5 秒后再发" in await villager.say("你好")
        assert await _snapshot(wechat.app) == before  # told, not handled
        assert "解纷" in await neighbour.say("你好")  # others are not held up
        now[0] += 5
        assert "解纷" in await villager.say("你好")
