"""Load generator of bench/wechat_bench.py: simulated WeChat followers on loopback.

Each simulated user sends one whole intake conversation, one message at a time (a WeChat user
waits for the reply), every request signed as WeChat's servers sign it
(signature = sha1 of the sorted token, timestamp and nonce) and carrying a unique MsgId.
`slots` users talk at once; a slot whose user has finished starts a new user, until the
deadline. Flat out (rate 0) a user sends the next message as soon as the reply is in; paced,
the users together offer `rate` messages a second (exponential gaps, so arrivals are Poisson)
and a reply slower than the gap delays that user's next message.

The whole HTTP request of a conversation is built before its first message is sent, and each
slot owns one keep-alive connection, so the timed part is the exchange and the check of the
reply. The default client speaks HTTP/1.1 over asyncio streams: it costs a tenth of httpx's
CPU per request, and httpx alone (`--client httpx`) saturates the core it shares with nothing
else at about 1,300 requests a second.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import random
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from bot.channels.wechat_render import BadXml, parse_xml

ACCOUNT = "gh_jiefen_bench"
CASE_NUMBER = re.compile(r"\d{4}-\d{6}")
IDLE_RECONNECT = 4.0  # seconds; uvicorn closes keep-alive connections idle for 5

# Whole intakes as a resident types them, each ending with "确认提交" (a stored case).
# Numbers answer the numbered options of the reply before (see `jiefen chat`).
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("隔壁邻居天天半夜装修吵得睡不着", "1", "1", "枫桥镇陈家村", "邻居王某", "2", "4", "1",
     "13812345678", "1"),
    ("去年借给同村的表哥6万块钱打了欠条，说好年底还，现在人躲着不见", "1", "1", "店口镇湖东村",
     "表哥李某", "4", "1", "2", "有欠条和微信聊天记录", "1", "13912345678", "1"),
    ("老板拖欠我们三个月工资一共两万多，打电话也不接", "1", "1", "大唐街道庙前村", "某某袜厂老板",
     "3", "1", "2", "1", "13700001111", "1"),
    ("小区物业乱收停车费，电梯坏了一个月也不修", "1", "1", "暨阳街道西施社区", "物业公司", "3",
     "1", "4", "1", "13600002222", "1"),
)


def signed_query(token: str, timestamp: str) -> str:
    """What WeChat adds to every request: timestamp, nonce and their signature."""
    nonce = os.urandom(5).hex()
    signature = hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}"


def message_xml(openid: str, msg_id: int, text: str, created: int) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


@dataclass(frozen=True)
class Message:
    target: str  # path and signed query
    body: bytes
    text: str
    msg_id: int


# --- clients: one keep-alive connection each ----------------------------------------------


class Client(Protocol):
    async def post(self, target: str, body: bytes, phase: str) -> tuple[int, bytes]: ...
    async def close(self) -> None: ...


class RawClient:
    """HTTP/1.1 POST over one kept-alive connection; enough for uvicorn's answers
    (always with Content-Length)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._used = 0.0

    async def post(self, target: str, body: bytes, phase: str) -> tuple[int, bytes]:
        if self._streams is None or time.monotonic() - self._used > IDLE_RECONNECT:
            await self.close()
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"X-Bench-Phase: {phase}\r\nContent-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            writer.write(head.encode() + body)
            answer = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = int(answer.split("content-length:", 1)[1].split("\r\n", 1)[0])
            content = await reader.readexactly(length)
        except BaseException:
            await self.close()
            raise
        if "connection: close" in answer:
            await self.close()
        self._used = time.monotonic()
        return int(answer[9:12]), content

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class HttpxClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._client = httpx.AsyncClient(limits=limits, timeout=30)

    async def post(self, target: str, body: bytes, phase: str) -> tuple[int, bytes]:
        response = await self._client.post(
            self.base_url + target, content=body, headers={"X-Bench-Phase": phase}
        )
        return response.status_code, response.content

    async def close(self) -> None:
        await self._client.aclose()


# --- one phase ----------------------------------------------------------------------------


@dataclass
class Tally:
    """What one phase saw; latencies only for messages answered inside the measured window."""

    latencies: list[float] = field(default_factory=list)
    # the same, by the kind of turn: "story" (the first: NLU), "submit" (the last: the case is
    # filed and routed) and "step" (every other answer)
    by_turn: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    sent_ids: list[int] = field(default_factory=list)  # every MsgId posted (warm-up included)
    answered: int = 0  # valid passive replies addressed to the right user
    late: int = 0  # "success": the reply goes by customer service instead
    retries: int = 0  # copies re-posted with the same MsgId
    conversations_done: int = 0  # ended with a case number
    conversations_off_script: int = 0  # ended without one (a reply not as expected)
    started: float = 0.0
    finished: float = 0.0

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class LoadSpec:
    host: str
    port: int
    path: str  # /wechat or /wechat-echo
    token: str
    slots: int
    seconds: float
    rate: float = 0.0  # messages a second offered by all users together; 0: flat out
    echo: bool = False
    retry_every: int = 0  # re-post every Nth message once with the same MsgId (0: never)
    error_text: str = ""  # the dialogue's generic apology: a reply with it is an error
    tag: str = "run"  # in the simulated users' openids
    phase: str = "run"  # sent as X-Bench-Phase: the server times each phase apart
    client: str = "raw"  # or "httpx"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def latency_ms(tally: Tally) -> dict[str, float]:
    figures = {f"p{q}": percentile(tally.latencies, q) * 1000 for q in (50, 95, 99)}
    return figures | {"max": max(tally.latencies, default=float("nan")) * 1000}


class LoadRun:
    def __init__(self, spec: LoadSpec, msg_ids: Iterator[int]) -> None:
        self.spec, self.msg_ids = spec, msg_ids
        self.tally = Tally()
        self._measuring = False
        self._count = 0
        self._random = random.Random(1)

    def _client(self) -> Client:
        if self.spec.client == "httpx":
            return HttpxClient(f"http://{self.spec.host}:{self.spec.port}")
        return RawClient(self.spec.host, self.spec.port)

    def _conversation(self, openid: str, script: tuple[str, ...]) -> list[Message]:
        now = int(time.time())
        messages = []
        for text in script:
            msg_id = next(self.msg_ids)
            target = f"{self.spec.path}?{signed_query(self.spec.token, str(now))}"
            messages.append(Message(target, message_xml(openid, msg_id, text, now), text, msg_id))
        return messages

    def _check(self, status: int, content: bytes, openid: str, message: Message) -> str | None:
        """The reply's text, or None after counting what was wrong with it."""
        if status != 200:
            self.tally.errors[f"HTTP {status}"] += 1
            return None
        if content == b"success":
            self.tally.late += 1
            return None
        try:
            reply = parse_xml(content)
        except BadXml:
            self.tally.errors["unreadable reply"] += 1
            return None
        if (reply.get("ToUserName"), reply.get("FromUserName")) != (openid, ACCOUNT):
            self.tally.errors["reply to the wrong user"] += 1
            return None
        text = reply.get("Content", "")
        if reply.get("MsgType") != "text" or not text:
            self.tally.errors["empty reply"] += 1
        elif self.spec.echo and text != message.text:
            self.tally.errors["echo differs"] += 1
        elif self.spec.error_text and text.startswith(self.spec.error_text[:12]):
            self.tally.errors["apology (handling failed)"] += 1
        else:
            return text
        return None

    async def _exchange(self, client: Client, message: Message, openid: str) -> str | None:
        try:
            phase = self.spec.phase if self._measuring else "warm-up"
            status, content = await client.post(message.target, message.body, phase)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                httpx.HTTPError, ValueError, IndexError) as exc:
            self.tally.errors[type(exc).__name__] += 1
            return None
        return self._check(status, content, openid, message)

    async def _talk(
        self, client: Client, openid: str, script: tuple[str, ...], deadline: float,
        pace: Callable[[], float],
    ) -> None:
        last = ""
        for i, message in enumerate(self._conversation(openid, script)):
            wait = pace()
            if wait > 0:
                await asyncio.sleep(wait)
            if time.perf_counter() >= deadline:
                return  # cut off mid-conversation: not a failure, not a finished case
            self.tally.sent_ids.append(message.msg_id)
            started = time.perf_counter()
            text = await self._exchange(client, message, openid)
            ended = time.perf_counter()
            if text is None:
                return  # the rest of this conversation would be off script
            self.tally.answered += 1
            if self._measuring:
                self.tally.latencies.append(ended - started)
                turn = "story" if i == 0 else "submit" if i == len(script) - 1 else "step"
                self.tally.by_turn.setdefault(turn, []).append(ended - started)
                self.tally.finished = ended
            self._count += 1
            if self.spec.retry_every and self._count % self.spec.retry_every == 0:
                await self._retry(client, message, openid, text)
            if i == 0 and not self.spec.echo and "隐私" not in text:
                self.tally.conversations_off_script += 1
                return
            last = text
        if self.spec.echo or CASE_NUMBER.search(last):
            self.tally.conversations_done += 1
        else:
            self.tally.conversations_off_script += 1

    async def _retry(self, client: Client, message: Message, openid: str, first: str) -> None:
        """WeChat's retry of a message: same body and MsgId, a new signature."""
        self.tally.retries += 1
        query = signed_query(self.spec.token, str(int(time.time())))
        copy = Message(f"{self.spec.path}?{query}", message.body, message.text, message.msg_id)
        again = await self._exchange(client, copy, openid)
        if again is not None and again != first:
            self.tally.errors["retry answered differently"] += 1

    def _pacer(self) -> Callable[[], float]:
        """Seconds to wait before the next message: 0 flat out; paced, the gap to this user's
        next scheduled message (Poisson arrivals of `rate` a second over all users)."""
        if not self.spec.rate:
            return lambda: 0.0
        per_user = self.spec.rate / self.spec.slots
        scheduled = time.perf_counter() + self._random.uniform(0, 1 / per_user)

        def wait() -> float:
            nonlocal scheduled
            now = time.perf_counter()
            scheduled = max(scheduled, now)  # time lost to a slow reply is not made up for
            gap, scheduled = scheduled - now, scheduled + self._random.expovariate(per_user)
            return gap

        return wait

    async def _slot(self, number: int, deadline: float) -> None:
        client, pace = self._client(), self._pacer()
        try:
            for turn in itertools.count():
                if time.perf_counter() >= deadline:
                    return
                openid = f"o-{self.spec.tag}-{number:04d}-{turn:04d}"
                script = SCRIPTS[(number + turn) % len(SCRIPTS)]
                await self._talk(client, openid, script, deadline, pace)
        finally:
            await client.close()

    async def run(
        self, warmup: float, on_window: Callable[[], Awaitable[None]] | None = None
    ) -> Tally:
        """Warm-up (not measured), then the measured window; every slot talks throughout.
        on_window is called when the window opens (to take the server's readings)."""
        deadline = time.perf_counter() + warmup + self.spec.seconds

        async def open_window() -> None:
            await asyncio.sleep(warmup)
            if on_window is not None:
                await on_window()
            self.tally.started = time.perf_counter()
            self._measuring = True

        opener = asyncio.create_task(open_window())
        await asyncio.gather(*(self._slot(n, deadline) for n in range(self.spec.slots)))
        await opener
        return self.tally
