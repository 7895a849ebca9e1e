"""LlamaIndex adapter for localllm: ``LocalLLM`` (chat, tools, agents, structured output) and
``LocalLLMEmbedding``, both on the framework-free ``localllm`` core client. Each class loads
on first use, so importing one does not pay for the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from localllm.integration import lazy_attributes

if TYPE_CHECKING:
    from .embeddings import LocalLLMEmbedding
    from .llms import LocalLLM

__getattr__ = lazy_attributes(__name__, {"LocalLLM": ".llms", "LocalLLMEmbedding": ".embeddings"})
__all__ = ["LocalLLM", "LocalLLMEmbedding"]
