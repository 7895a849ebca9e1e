"""What a client was configured with, checked once: the limits every flow reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import Timeouts
from .wire import DEFAULT_MAX_LINE_BYTES

BACKENDS = ("ollama", "openai")
#: The backend is detected (once per URL) rather than given.
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Settings:
    """Per-client limits: phase timeouts, retries before the first token, and the longest
    stream line accepted."""

    timeouts: Timeouts = field(default_factory=Timeouts)
    max_retries: int = 2
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {self.max_retries}")
