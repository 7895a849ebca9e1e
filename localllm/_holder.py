"""Lazily built core clients for the adapters' model objects (one shared implementation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the clients (and requests / aiohttp) load on first use, not on import
    from .client import AsyncClient, Client


class ClientHolder:
    """Mixin for adapter classes (pydantic models) that declare ``_client`` / ``_aclient``
    private attributes and a ``_client_args()`` method. Clients are built on first use and
    then reused, so keep-alive connections and per-loop sessions survive across calls."""

    _client: Client | None
    _aclient: AsyncClient | None

    def _client_args(self) -> dict[str, Any]:
        raise NotImplementedError

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
