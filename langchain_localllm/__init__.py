"""LangChain integration for localllm: ``ChatLocalLLM`` and ``LocalLLMEmbeddings``."""

from .chat_models import ChatLocalLLM
from .embeddings import LocalLLMEmbeddings

__all__ = ["ChatLocalLLM", "LocalLLMEmbeddings"]
