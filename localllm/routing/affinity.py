"""Conversations and the server each one is on (for ``routing="affinity"``).

A server keeps the KV cache of the prompts it processed; the next turn of a conversation
repeats that prompt and only pays for what is new — if it reaches the same server. The
conversation is named by ``session_id`` when the caller gives one, else by its opening (the
model, the system prompt and the first user message), which every later turn repeats.
The table is process-wide (the blocking and the async client of one LangChain model share
it) and bounded: the least recently used conversations are forgotten first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from ..request import ChatCall
from .servers import LOCK, Server, server_for

MAX_CONVERSATIONS = 10_000

_TABLE: OrderedDict[str, str] = OrderedDict()  # conversation key -> server URL


def conversation_key(call: ChatCall, session_id: str | None) -> str:
    if session_id is not None:
        return "session:" + session_id
    digest = hashlib.blake2b(call.model.encode(), digest_size=16)
    for message in call.messages:  # the system prompt(s), up to the first user message
        digest.update(b"\x00" + message.role.encode() + b"\x00" + message.content.encode())
        for image in message.images:
            digest.update(repr(image).encode())
        if message.role == "user":
            break
    return "opening:" + digest.hexdigest()


def placed_on(key: str) -> str | None:
    """The server URL this conversation was last on; the caller holds ``LOCK``."""
    url = _TABLE.get(key)
    if url is not None:
        _TABLE.move_to_end(key)
    return url


def remember(key: str, url: str) -> None:
    """The conversation is on ``url`` now (it answered there)."""
    with LOCK:
        old = _TABLE.get(key)
        if old == url:
            _TABLE.move_to_end(key)
            return
        if old is not None:
            _count(server_for(old), -1)
        _TABLE[key] = url
        _TABLE.move_to_end(key)
        _count(server_for(url), 1)
        while len(_TABLE) > MAX_CONVERSATIONS:
            _, dropped = _TABLE.popitem(last=False)
            _count(server_for(dropped), -1)


def _count(server: Server, change: int) -> None:
    server.conversations = max(0, server.conversations + change)


def forget_all() -> None:
    with LOCK:
        _TABLE.clear()
