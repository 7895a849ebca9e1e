"""Sans-IO wire decoders: bytes in, events out. No sockets, no asyncio."""

from .ndjson import NDJSONDecoder
from .sse import ServerSentEvent, SSEDecoder

DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024

__all__ = ["DEFAULT_MAX_LINE_BYTES", "NDJSONDecoder", "SSEDecoder", "ServerSentEvent"]
