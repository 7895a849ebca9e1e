"""Four ways to make a case's call: core sync, core async, LangChain (sync ``stream``),
LlamaIndex (async ``astream_chat``). Each returns what it got in the corpus's neutral shapes
(``Answer``, ``Listing``, ``Shown``, ``Vectors``) or raises.

Chats go through each adapter's own streaming method; embeddings through each adapter's
embedding class; LlamaIndex ``show`` through ``aget_metadata`` (its context window). For
calls an adapter has no method for (model listing; LangChain ``show``), the adapter's own
configured core client is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from localllm import AsyncClient, Client, Timeouts
from localllm.accumulate import Accumulator
from localllm.types import ChatResult, ModelInfo

from .case import Answer, Call, Case, Listing, Shown, Vectors

TIMEOUTS = Timeouts(connect=2, first_token=5, idle=5, total=10)
TEXTS = ["one", "two"]


def _client_args(case: Case, url: str) -> dict[str, Any]:
    return {"backend": case.backend, "timeout": TIMEOUTS, "max_retries": 0}


def _answer(result: ChatResult) -> Answer:
    usage = result.usage
    return Answer(result.content, result.reasoning,
                  tuple(Call(c.name, c.arguments) for c in result.tool_calls),
                  result.finish_reason,
                  (usage.prompt_tokens, usage.completion_tokens) if usage else None)


def _listing(models: list[ModelInfo]) -> Listing:
    return Listing(tuple(m.name for m in models), {m.name: m.context_window for m in models})


def _shown(info: ModelInfo) -> Shown:
    return Shown(info.context_window, info.max_context, tuple(info.capabilities))


def _vectors(vectors: list[list[float]]) -> Vectors:
    dims = {len(v) for v in vectors}
    return Vectors(len(vectors), dims.pop() if len(dims) == 1 else -1)


def core_sync(case: Case, url: str) -> Any:
    with Client(url, **_client_args(case, url)) as client:
        if case.call == "chat":
            fold = Accumulator()
            for delta in client.chat_stream("hi", model=case.model, **case.options):
                fold.add(delta)
            return _answer(fold.result())
        if case.call == "models":
            return _listing(client.models())
        if case.call == "show":
            return _shown(client.show(case.model, **case.options))
        return _vectors(client.embed(TEXTS, model=case.model))


async def _core_async(case: Case, url: str) -> Any:
    async with AsyncClient(url, **_client_args(case, url)) as client:
        if case.call == "chat":
            fold = Accumulator()
            async for delta in client.chat_stream("hi", model=case.model, **case.options):
                fold.add(delta)
            return _answer(fold.result())
        if case.call == "models":
            return _listing(await client.models())
        if case.call == "show":
            return _shown(await client.show(case.model, **case.options))
        return _vectors(await client.embed(TEXTS, model=case.model))


def core_async(case: Case, url: str) -> Any:
    return asyncio.run(_core_async(case, url))


def _adapter_args(case: Case, url: str) -> dict[str, Any]:
    return {"base_url": url, **_client_args(case, url)}


def langchain_sync(case: Case, url: str) -> Any:
    from langchain_localllm import ChatLocalLLM, LocalLLMEmbeddings

    if case.call == "embed":
        embedder = LocalLLMEmbeddings(model=case.model, **_adapter_args(case, url))
        return _vectors(embedder.embed_documents(TEXTS))
    llm = ChatLocalLLM(model=case.model, **_adapter_args(case, url))
    try:
        if case.call == "chat":
            return _lc_answer(llm, case.options)
        if case.call == "models":
            return _listing(llm.client.models())
        return _shown(llm.client.show(case.model, **case.options))
    finally:
        llm.client.close()


def _lc_answer(llm: Any, options: Mapping[str, Any]) -> Answer:
    merged = None
    for chunk in llm.stream("hi", **options):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None, "LangChain stream gave no chunk at all"
    usage = merged.usage_metadata
    return Answer(
        merged.text if isinstance(merged.text, str) else merged.text(),
        merged.additional_kwargs.get("reasoning_content", ""),
        tuple(Call(c["name"], c["args"]) for c in merged.tool_calls),
        merged.response_metadata.get("finish_reason"),
        (usage["input_tokens"], usage["output_tokens"]) if usage else None)


async def _llamaindex_async(case: Case, url: str) -> Any:
    from llama_index.core.llms import ChatMessage

    from llamaindex_localllm import LocalLLM, LocalLLMEmbedding

    if case.call == "embed":
        embedder = LocalLLMEmbedding(model_name=case.model, **_adapter_args(case, url))
        return _vectors(await embedder.aget_text_embedding_batch(TEXTS))
    options = dict(case.options)
    num_ctx = options.pop("num_ctx", None)
    llm = LocalLLM(model=case.model, context_window=num_ctx, **_adapter_args(case, url))
    try:
        if case.call == "chat":
            responses = [r async for r in await llm.astream_chat(
                [ChatMessage(role="user", content="hi")], **options)]
            last = responses[-1] if responses else None
            assert last is not None, "LlamaIndex stream gave no response at all"
            return _li_answer(llm, last)
        if case.call == "models":
            return _listing(await llm.async_client.models())
        meta = await llm.aget_metadata()
        info = await llm.async_client.show(case.model, num_ctx=num_ctx)
        assert meta.context_window == (info.context_window or meta.context_window)
        return _shown(info)
    finally:
        await llm.async_client.aclose()


def _li_answer(llm: Any, last: Any) -> Answer:
    message = last.message
    extra = message.additional_kwargs
    calls = llm.get_tool_calls_from_response(last, error_on_no_tool_call=False)
    summary = last.additional_kwargs  # usage (flat OpenAI keys) and finish reason so far
    return Answer(
        message.content or "", extra.get("thinking", ""),
        tuple(Call(c.tool_name, c.tool_kwargs) for c in calls),
        summary.get("finish_reason"),
        (summary["prompt_tokens"], summary["completion_tokens"])
        if "prompt_tokens" in summary else None)


def llamaindex_async(case: Case, url: str) -> Any:
    return asyncio.run(_llamaindex_async(case, url))


DRIVERS: dict[str, Callable[[Case, str], Any]] = {
    "core-sync": core_sync, "core-async": core_async,
    "langchain-sync": langchain_sync, "llamaindex-async": llamaindex_async,
}
