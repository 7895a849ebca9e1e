"""The corpus: one module per server family, each a list ``CASES`` of ``Case``s.

Every case names its evidence (repository + path + version, or an issue URL) — what the
server really sends — and the outcome a correct client must give.
"""

from __future__ import annotations

from ..case import Case
from . import framing, llamacpp, lmstudio, ollama_api, ollama_chat, ollama_v1, sglang, vllm

FAMILIES = (ollama_chat, ollama_api, ollama_v1, vllm, llamacpp, lmstudio, sglang, framing)
ALL: list[Case] = [case for family in FAMILIES for case in family.CASES]

__all__ = ["ALL", "FAMILIES"]
