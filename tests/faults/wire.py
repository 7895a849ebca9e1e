"""What the fault server says, in each protocol's framing: scripted ``Step``s of stream items.

Wire shapes follow PROTOCOLS.md: Ollama ``/api/chat`` NDJSON with a final ``"done": true``;
OpenAI ``/v1/chat/completions`` SSE with ``finish_reason`` then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

OLLAMA, OPENAI = "ollama", "openai"
CHAT_PATHS = {"/api/chat": OLLAMA, "/v1/chat/completions": OPENAI}
MODELS = ("fake-model", "other-model")
TEXT = ("Hello", " from", " the", " fault", " server")

# A stream item: ("text", s) | ("final",) | ("error", message) | ("ping",) | ("huge", n_bytes)
# | ("malformed",) | ("raw", bytes) | ("pause", seconds)
Item = tuple[Any, ...]


def normal_items(words: tuple[str, ...] = TEXT) -> tuple[Item, ...]:
    return (*(("text", w) for w in words), ("final",))


def echo_items(body: Any, pause: float) -> tuple[Item, ...]:
    """The request's last message back, one word (with its trailing space) per item."""
    words = re.findall(r"\S+\s*", str(body["messages"][-1]["content"]))
    return (*(x for w in words for x in (("text", w), ("pause", pause))), ("final",))


@dataclass(frozen=True)
class Step:
    """How to answer one chat request.

    ``before``: ``"reset"`` (RST instead of an answer), ``"hold"`` (never answer) or raw
    bytes (a non-HTTP banner, then close). ``json``: a whole JSON answer with ``status``
    (a dict, or a callable ``proto -> dict``). ``body``: raw bytes with ``content_type``.
    Otherwise a chunked stream of ``items`` in the request's protocol (the other one when
    ``swap``), ended by ``end``: ``"end"`` (clean, keep-alive), ``"close"`` (FIN without the
    chunked terminator), ``"reset"`` (RST), ``"hold"`` (silence until the client leaves) or
    ``"bad-framing"`` (a chunk-size line that is not hex, then silence).
    ``encoding="gzip"`` sends the whole stream at once, gzip-compressed with a
    Content-Length (as a compressing proxy would); ``"gzip-corrupt"`` claims gzip but is not;
    ``"identity"`` sends it at once uncompressed; with ``end="close"`` it closes half-way
    through the last item, with ``end="overlong"`` after the whole stream, both short of the
    bytes the Content-Length announces.
    """

    status: int = 200
    items: tuple[Item, ...] = normal_items()
    end: str = "end"
    before: str | bytes | None = None
    json: Any = None
    body: bytes | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    swap: bool = False
    encoding: str | None = None
    echo: float | None = None  # answer the request's last message word by word, this pause apart


OK = Step()


def render(proto: str, item: Item) -> bytes:
    """One stream item in a protocol's framing."""
    kind = item[0]
    if kind == "raw":
        return bytes(item[1])
    if kind == "malformed":
        return b"{this is not json\n" if proto == OLLAMA else b"data: {this is not json\n\n"
    if kind == "ping":
        return b"\n" if proto == OLLAMA else b": keep-alive\n\n"
    if proto == OLLAMA:
        if kind == "text":
            obj: dict[str, Any] = {"model": MODELS[0], "message": {"role": "assistant",
                                                                  "content": item[1]},
                                   "done": False}
        elif kind == "huge":
            obj = {"model": MODELS[0], "message": {"content": "x" * item[1]}, "done": False}
        elif kind == "final":
            obj = {"model": MODELS[0], "message": {"role": "assistant", "content": ""},
                   "done": True, "done_reason": "stop", "prompt_eval_count": 3,
                   "eval_count": len(TEXT), "eval_duration": 5_000_000}
        else:  # error
            obj = {"error": item[1]}
        return json.dumps(obj).encode() + b"\n"
    if kind == "final":
        return (b'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},'
                b'"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":5,'
                b'"total_tokens":8}}\n\ndata: [DONE]\n\n')
    if kind == "error":
        obj = {"error": {"code": 500, "message": item[1], "type": "server_error"}}
    else:
        text = item[1] if kind == "text" else "x" * item[1]
        obj = {"object": "chat.completion.chunk", "model": MODELS[0],
               "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(obj).encode() + b"\n\n"
