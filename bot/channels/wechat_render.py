"""WeChat's message formats: incoming XML read safely, replies rendered as text.

WeChat has no buttons in a chat, so options become numbered lines; the dialogue maps a typed
number to the option shown last, which is why only the last message's options are numbered.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException

from bot.messages import OutgoingMessage


class BadXml(ValueError):
    """The body is not a WeChat message (malformed, or an entity/DTD trick)."""


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The flat <xml><Field>value</Field>...</xml> WeChat sends, as a dict. defusedxml refuses
    entity expansion and external references, which the plain parsers would follow."""
    try:
        root = SafeXml.fromstring(body)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadXml(str(exc)) from exc
    if root.tag != "xml":
        raise BadXml(f"root element is <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root}


def dedup_key(fields: dict[str, str]) -> str | None:
    """What WeChat's retries of one message share: its MsgId; events have none, but the
    sender, time and event name together single one out."""
    if fields.get("MsgId"):
        return f"wx:{fields['MsgId']}"
    if fields["MsgType"].lower() == "event":
        return f"wx:{fields['FromUserName']}:{fields.get('CreateTime', '')}:{fields.get('Event')}"
    return None


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, created: int) -> str:
    """A passive reply: the answer in the body of WeChat's own request."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def render(message: OutgoingMessage, choose_header: str, *, numbered: bool = True) -> str:
    if not (numbered and message.options):
        return message.text
    lines = [f"{i}. {option.label}" for i, option in enumerate(message.options, 1)]
    return f"{message.text}\n\n{choose_header}\n" + "\n".join(lines)


def render_all(replies: list[OutgoingMessage], choose_header: str) -> list[str]:
    """Each reply as text; numbers only on the last one offering options."""
    last = max((i for i, r in enumerate(replies) if r.options), default=-1)
    return [render(r, choose_header, numbered=i == last) for i, r in enumerate(replies)]


def json_body(data: dict[str, Any]) -> bytes:
    """WeChat shows \\uXXXX escapes literally in some clients: send UTF-8 as it is."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def custom_text(openid: str, content: str) -> bytes:
    return json_body({"touser": openid, "msgtype": "text", "text": {"content": content}})


def template_message(openid: str, template_id: str, field: str, content: str) -> bytes:
    return json_body(
        {"touser": openid, "template_id": template_id, "data": {field: {"value": content}}}
    )
