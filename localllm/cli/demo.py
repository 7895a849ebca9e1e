"""``localllm demo``: a server found or started, then LangChain and LlamaIndex streaming from
it — an LCEL chain token by token, a tool call, and a LlamaIndex FunctionAgent."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

MODEL_HINT = "gemma-3-270m"


def _say(text: str) -> None:
    print(text, flush=True)


def first_model(url: str) -> str:
    from ..client import Client

    with Client(url) as client:
        models = client.models()
    if not models:
        raise SystemExit(f"The server at {url} has no models; pull or load one first.")
    return models[0].name


def find_server(url: str | None) -> tuple[str, str]:
    """(url, model): a given URL, a running local server, or the embedded one."""
    from ..discovery import EMBEDDED, discover

    if url:
        return url, first_model(url)
    found = discover()
    if found.url != EMBEDDED:
        _say(f"Using {found.source} at {found.url}")
        return found.url, first_model(found.url)
    from ..server import model_path, shared_server

    _say("No local server running: starting the embedded llama.cpp server.")
    started = time.monotonic()
    _say("  preparing the bundled gemma-3-270m model (assembled once, ~240 MB)…")
    path = model_path()
    _say(f"  model ready at {path} ({time.monotonic() - started:.1f} s)")
    server = shared_server()
    _say(f"  server up at {server.url} in {time.monotonic() - started:.1f} s")
    return server.url, server.model


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 degrees in {city}."


def langchain_part(url: str, model: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from langchain_localllm import ChatLocalLLM

    llm = ChatLocalLLM(model=model, base_url=url, temperature=0, seed=42, max_tokens=48)
    _say("\n== LangChain: prompt | ChatLocalLLM | StrOutputParser, streamed ==")
    chain = ChatPromptTemplate.from_template("What is the capital of {country}?") | llm \
        | StrOutputParser()
    started, tokens = time.monotonic(), 0
    for token in chain.stream({"country": "Japan"}):
        sys.stdout.write(token)
        sys.stdout.flush()
        tokens += 1
    _say(f"\n[{tokens} chunks in {time.monotonic() - started:.2f} s]")
    _say("\n== LangChain: tool call ==")
    msg = llm.bind_tools([get_weather], tool_choice="get_weather").invoke(
        "What is the weather in Paris?")
    for call in msg.tool_calls:
        _say(f"{call['name']}({call['args']})  id={call['id']}")
    timings = msg.response_metadata.get("timings", {})
    if timings.get("predicted_per_second"):
        _say(f"[server: {timings['predicted_per_second']:.0f} tokens/s, prompt "
             f"{timings.get('prompt_ms', 0):.0f} ms]")


def llamaindex_part(url: str, model: str) -> None:
    from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
    from llama_index.core.tools import FunctionTool

    from llamaindex_localllm import LocalLLM

    llm = LocalLLM(model=model, base_url=url, temperature=0, max_tokens=64)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=llm)
    _say("\n== LlamaIndex: FunctionAgent with a tool, streamed events ==")

    async def run() -> Any:
        handler = agent.run(user_msg="What is the weather in Paris?")
        async for event in handler.stream_events():
            if isinstance(event, AgentStream) and event.delta:
                sys.stdout.write(event.delta)
                sys.stdout.flush()
            elif isinstance(event, ToolCallResult):
                _say(f"\n[tool {event.tool_name}({event.tool_kwargs}) -> "
                     f"{event.tool_output.content!r}]")
        return await handler

    started = time.monotonic()
    result = asyncio.run(run())
    _say(f"\n[agent answered in {time.monotonic() - started:.1f} s]: {str(result).strip()}")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    url, model = find_server(args.url)
    langchain_part(url, model)
    llamaindex_part(url, model)
    _say(f"\nDemo finished in {time.monotonic() - started:.1f} s.")
    return 0
