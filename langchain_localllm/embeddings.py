"""``LocalLLMEmbeddings``: LangChain embeddings on the localllm core client, batched."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.embeddings import Embeddings
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from localllm import Timeouts
from localllm.integration import ClientHolder

from .errors import langchain_errors


class LocalLLMEmbeddings(ClientHolder, BaseModel, Embeddings):
    """Embeddings from a local server (Ollama ``/api/embed``, OpenAI ``/v1/embeddings``)."""

    model: str | None = None
    base_url: str | list[str] | None = None
    backend: Literal["auto", "ollama", "openai"] = "auto"
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("LOCALLLM_API_KEY", default=None))
    timeout: float | Timeouts | None = None
    max_retries: int = 2
    routing: Literal["failover", "least_busy", "affinity"] = "failover"
    max_concurrency: int | Literal["auto"] | None = None
    batch_size: int = 64
    """Texts per request: large lists are split so no request hits server limits."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _client: Any = PrivateAttr(default=None)  # localllm.Client, built on first use
    _aclient: Any = PrivateAttr(default=None)  # localllm.AsyncClient


    def _batches(self, texts: list[str]) -> list[list[str]]:
        size = max(1, self.batch_size)
        return [texts[i:i + size] for i in range(0, len(texts), size)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with langchain_errors():
            return [v for batch in self._batches(texts)
                    for v in self.client.embed(batch, model=self.model)]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        with langchain_errors():
            for batch in self._batches(texts):
                out += await self.async_client.embed(batch, model=self.model)
        return out

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]
