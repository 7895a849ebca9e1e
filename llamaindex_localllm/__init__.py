"""LlamaIndex adapter for localllm: ``LocalLLM`` (chat, tools, agents, structured output) and
``LocalLLMEmbedding``, both on the framework-free ``localllm`` core client."""

from .embeddings import LocalLLMEmbedding
from .llms import LocalLLM

__all__ = ["LocalLLM", "LocalLLMEmbedding"]
