"""What framework adapters (``langchain_localllm``, ``llamaindex_localllm``) and other
integrations need from the core, public and documented:

- ``ClientHolder``: lazily built, shared ``Client`` / ``AsyncClient`` for model objects;
- ``chat_arguments``: a framework's loose keyword arguments as ``chat_stream`` arguments;
- ``lazy_attributes``: package attributes that import their module on first use;
- ``ToolCall.raw_arguments`` (in ``localllm.types``): a streamed call's argument text while
  it is not yet valid JSON.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the clients (and requests / aiohttp) load on first use, not on import
    from .client import AsyncClient, Client


class ClientHolder:
    """Mixin for adapter classes (pydantic models) that declare ``_client`` / ``_aclient``
    private attributes and the client's settings as fields of the same names
    (``base_url``, ``backend``, ``api_key`` — a ``str`` or pydantic ``SecretStr`` —,
    ``timeout``, ``max_retries``, ``routing``, ``max_concurrency``, ``session_header``).
    Clients are built on first use and then reused, so keep-alive connections and
    per-loop sessions survive across calls."""

    _client: Client | None
    _aclient: AsyncClient | None

    def _client_args(self) -> dict[str, Any]:
        """The core client's arguments, from the fields of the same names."""
        key = getattr(self, "api_key", None)
        if key is not None and hasattr(key, "get_secret_value"):
            key = key.get_secret_value()
        return {"base_url": getattr(self, "base_url", None),
                "backend": getattr(self, "backend", "auto"), "api_key": key,
                "timeout": getattr(self, "timeout", None),
                "max_retries": getattr(self, "max_retries", 2),
                "routing": getattr(self, "routing", "failover"),
                "max_concurrency": getattr(self, "max_concurrency", None),
                "session_header": getattr(self, "session_header", "X-Session-ID")}

    @property
    def client(self) -> Client:
        """The core blocking client."""
        if self._client is None:
            from .client import Client

            self._client = Client(**self._client_args())
        return self._client

    @property
    def async_client(self) -> AsyncClient:
        """The core async client (one connection pool per event loop)."""
        if self._aclient is None:
            from .client import AsyncClient

            self._aclient = AsyncClient(**self._client_args())
        return self._aclient

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._aclient is not None:
            await self._aclient.aclose()


_CHAT_NAMES: frozenset[str] | None = None


def chat_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``chat_stream`` from a framework's loose mapping (model
    defaults, ``bind(...)`` values, per-call keywords): the names ``chat_stream`` takes
    pass as they are, ``None`` values are dropped (server default), and every other name is
    a sampling option (``options=``, under Ollama's names such as ``top_k``)."""
    global _CHAT_NAMES
    if _CHAT_NAMES is None:
        from .request import chat_call

        _CHAT_NAMES = frozenset(list(inspect.signature(chat_call).parameters)[1:])
    out: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key == "options" and isinstance(value, Mapping):
            options.update(value)
        elif key in _CHAT_NAMES:
            out[key] = value
        else:
            options[key] = value
    if options:
        out["options"] = options
    return out


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562): ``where`` maps each attribute to its (relative)
    module, imported on first access, so importing a package costs only what is used."""
    namespace = import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        namespace[name] = value  # later lookups skip this function
        return value

    return __getattr__
