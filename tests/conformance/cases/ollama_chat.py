"""Ollama's native chat stream (``/api/chat``) from 0.1.x to current: records, tool calls,
thinking, done reasons, in-stream errors."""

from __future__ import annotations

from ..case import Answer, Case, ndjson

# Evidence shorthand: ollama/ollama api/types.go ChatResponse / Metrics (v0.1.14 .. v0.12).
TYPES = "ollama/ollama api/types.go ChatResponse+Metrics"


def _final(**extra: object) -> dict[str, object]:
    """The last record of a stream: done, reason, metrics (api/types.go Metrics)."""
    return {"model": "m", "created_at": "2024-07-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""}, "done": True,
            "done_reason": "stop", "total_duration": 5_000_000, "load_duration": 1_000_000,
            "prompt_eval_count": 12, "prompt_eval_duration": 2_000_000, "eval_count": 3,
            "eval_duration": 2_000_000, **extra}


def _piece(text: str) -> dict[str, object]:
    return {"model": "m", "created_at": "2024-07-01T00:00:00Z",
            "message": {"role": "assistant", "content": text}, "done": False}


CASES = [
    Case("ollama-stream-plain", f"{TYPES} v0.3.0", "ollama",
         ndjson(_piece("Hel"), _piece("lo"), _final()),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
]
