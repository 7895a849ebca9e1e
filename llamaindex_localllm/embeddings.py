"""``LocalLLMEmbedding``: LlamaIndex embeddings from the same core client as ``LocalLLM``.

LlamaIndex batches texts (``embed_batch_size``) and calls ``_get_text_embeddings`` once per
batch; each batch is one request to the server (``/api/embed`` or ``/v1/embeddings``).
"""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr

from localllm import Timeouts
from localllm.integration import ClientHolder


class LocalLLMEmbedding(ClientHolder, BaseEmbedding):
    """Embeddings from Ollama, llama.cpp (``--embedding``), vLLM, LM Studio or ``"embedded"``.

    ``query_instruction`` / ``text_instruction`` are prepended for models trained with
    prefixes (``"search_query: "`` / ``"search_document: "`` for nomic-embed-text).
    """

    model_name: str = Field(default="", description="Embedding model; empty = server default.")
    base_url: str | list[str] | None = Field(default=None)
    backend: Literal["auto", "ollama", "openai"] = Field(default="auto")
    api_key: str | None = Field(default=None, exclude=True, repr=False)
    timeout: Timeouts | float | None = Field(default=None)
    max_retries: int = Field(default=2)
    routing: Literal["failover", "least_busy", "affinity"] = Field(default="failover")
    max_concurrency: int | Literal["auto"] | None = Field(default=None)
    query_instruction: str | None = Field(default=None)
    text_instruction: str | None = Field(default=None)

    _client: Any = PrivateAttr(default=None)  # localllm.Client, built on first use
    _aclient: Any = PrivateAttr(default=None)  # localllm.AsyncClient

    @classmethod
    def class_name(cls) -> str:
        return "LocalLLMEmbedding"



    def _texts(self, texts: list[str], query: bool = False) -> list[str]:
        prefix = self.query_instruction if query else self.text_instruction
        return [prefix + t for t in texts] if prefix else texts

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.client.embed(self._texts(texts), model=self.model_name or None)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await self.async_client.embed(self._texts(texts), model=self.model_name or None)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.client.embed(self._texts([query], query=True),
                                 model=self.model_name or None)[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self.async_client.embed(self._texts([query], query=True),
                                              model=self.model_name or None))[0]
