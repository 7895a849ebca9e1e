"""The Ollama model-download flow (``POST /api/pull``): NDJSON progress records."""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest, IdleTimeout, ProtocolError, StreamInterrupted
from ..protocols import ollama
from ..protocols.errors import from_record, from_response
from ..routing import Endpoints
from ..settings import Settings
from ..types import PullStatus
from ..wire.ndjson import NDJSONDecoder
from .backend import backend_of
from .commands import Close, Emit, Flow, Open, Read, ReadTimedOut


def _status(obj: Any, where: dict[str, Any]) -> PullStatus:
    if not isinstance(obj, dict):
        raise ProtocolError(f"Unexpected pull record: {str(obj)[:200]!r}", **where)
    if "error" in obj:
        raise from_record(obj, str(obj), where)
    total, completed = obj.get("total"), obj.get("completed")
    return PullStatus(str(obj.get("status", "")), obj.get("digest"),
                      total if isinstance(total, int) else None,
                      completed if isinstance(completed, int) else None)


def pull(endpoints: Endpoints, settings: Settings, model: str) -> Flow:
    """Emits ``PullStatus`` records; complete only at ``{"status": "success"}``."""
    endpoint = endpoints.first
    timeouts = settings.timeouts
    backend = yield from backend_of(endpoints, endpoint, timeouts)
    where = {"url": endpoint, "backend": backend, "model": model}
    if backend != ollama.NAME:
        raise BadRequest("Pulling models is an Ollama feature; this server is "
                         "OpenAI-compatible", hint="Download the model with the server's own "
                         "tools (e.g. a GGUF file for llama.cpp).", **where)
    try:
        resp = yield Open(ollama.pull_request(endpoint, model), timeouts.connect,
                          timeouts.first_token)
        if not resp.ok:
            raise from_response(resp.status, resp.body, resp.headers, **where)
        decoder, done = NDJSONDecoder(settings.max_line_bytes), False
        while True:
            chunk = yield Read(timeouts.idle)
            if not chunk:
                break
            records = [_status(obj, where) for obj in decoder.feed(chunk)]
            done = done or any(r.status == "success" for r in records)
            if records:
                yield Emit(records)
    except ReadTimedOut:
        raise IdleTimeout(f"Pull stalled: nothing for {timeouts.idle}s", **where,
                          hint="The registry or network is slow; raise Timeouts(idle=...).")\
            from None
    yield Close(reuse=True)
    if not done:
        raise StreamInterrupted("Pull ended before Ollama reported success", **where,
                                hint="Run the pull again; Ollama resumes partial downloads.")
