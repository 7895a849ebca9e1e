"""localllm: a streaming client for local LLM servers (Ollama, llama.cpp, vLLM, LM Studio).

Heavy imports (requests, aiohttp) load on first use of ``Client`` / ``AsyncClient``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import LocalLLMError
from .integration import lazy_attributes
from .types import (
    ChatResult,
    Delta,
    EndpointState,
    Image,
    Message,
    ModelInfo,
    PullStatus,
    StreamSummary,
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

__getattr__ = lazy_attributes(__name__, {
    "Client": ".client", "AsyncClient": ".client", "EmbeddedServer": ".server"})


__all__ = [
    "AsyncClient",
    "ChatResult",
    "Client",
    "Delta",
    "EmbeddedServer",
    "EndpointState",
    "Image",
    "LocalLLMError",
    "Message",
    "ModelInfo",
    "PullStatus",
    "StreamSummary",
    "Timeouts",
    "Timings",
    "ToolCall",
    "ToolCallFragment",
    "Usage",
]
