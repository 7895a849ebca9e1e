"""LangChain integration for localllm: ``ChatLocalLLM`` and ``LocalLLMEmbeddings``.

Each class loads on first use, so importing one does not pay for the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from localllm.integration import lazy_attributes

if TYPE_CHECKING:
    from .chat_models import ChatLocalLLM
    from .embeddings import LocalLLMEmbeddings

__getattr__ = lazy_attributes(__name__, {"ChatLocalLLM": ".chat_models",
                                         "LocalLLMEmbeddings": ".embeddings"})
__all__ = ["ChatLocalLLM", "LocalLLMEmbeddings"]
