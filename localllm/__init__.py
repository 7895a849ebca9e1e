"""localllm: a streaming client for local LLM servers (Ollama, llama.cpp, vLLM, LM Studio).

Heavy imports (requests, aiohttp) load on first use of ``Client`` / ``AsyncClient``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import LocalLLMError
from .types import (
    ChatResult,
    Delta,
    Image,
    Message,
    ModelInfo,
    PullStatus,
    Timeouts,
    Timings,
    ToolCall,
    ToolCallFragment,
    Usage,
)

if TYPE_CHECKING:
    from .client import AsyncClient, Client
    from .server import EmbeddedServer

__version__ = "0.1.0"

_LAZY = {"Client": ".client", "AsyncClient": ".client", "EmbeddedServer": ".server"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'localllm' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncClient",
    "ChatResult",
    "Client",
    "Delta",
    "EmbeddedServer",
    "Image",
    "LocalLLMError",
    "Message",
    "ModelInfo",
    "PullStatus",
    "Timeouts",
    "Timings",
    "ToolCall",
    "ToolCallFragment",
    "Usage",
]
