"""LocalLLM and LocalLLMEmbedding inside real LlamaIndex components, on the REAL embedded
llama.cpp server (xllamacpp + gemma-3-270m, shared per session). The model is a tiny base
model: these tests check mechanics (events, tool-call shape, schema validity, ids, sockets),
not the quality of answers."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, PromptTemplate, VectorStoreIndex
from llama_index.core.agent.workflow import (
    AgentOutput,
    AgentStream,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.tools import FunctionTool

from llamaindex_localllm import LocalLLM, LocalLLMEmbedding
from localllm.errors import ConnectionFailed
from localllm.server import EmbeddedServer
from tests.support.netstat import established_to

pytestmark = pytest.mark.integration

WEATHER_Q = "What is the weather in Paris?"


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


class WeatherTools:
    """Two tools; records what the agent really called."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_weather(self, city: str) -> str:
        """Get the current weather for a city."""
        self.calls.append(("get_weather", {"city": city}))
        return f"Sunny, 22 degrees in {city}"

    def add(self, a: int, b: int) -> int:
        """Add two integers."""
        self.calls.append(("add", {"a": a, "b": b}))
        return a + b

    def tools(self) -> list[FunctionTool]:
        return [FunctionTool.from_defaults(self.get_weather), FunctionTool.from_defaults(self.add)]


class City(BaseModel):
    """A city and its country."""

    name: str = Field(max_length=24)
    country: str = Field(max_length=24)


@pytest.fixture
def llm(embedded_server: EmbeddedServer) -> Iterator[LocalLLM]:
    model = LocalLLM(model=embedded_server.model, base_url=embedded_server.url,
                     temperature=0, seed=42, max_tokens=48)
    yield model
    model.close()


@pytest.fixture
def embedding(embedded_server: EmbeddedServer) -> Iterator[LocalLLMEmbedding]:
    model = LocalLLMEmbedding(model_name=embedded_server.model, base_url=embedded_server.url,
                              embed_batch_size=2)
    yield model
    model.close()


def test_context_window_is_the_servers_per_slot_context(llm: LocalLLM,
                                                       embedded_server: EmbeddedServer) -> None:
    md = llm.metadata
    assert md.context_window == embedded_server.n_ctx_per_slot == 2048
    assert md.is_function_calling_model and md.is_chat_model
    assert md.model_name == "gemma-3-270m" and md.num_output == 48


def test_chat_is_the_folded_stream(llm: LocalLLM) -> None:
    answer = llm.chat(user("Name a colour."), max_tokens=12)
    chunks = list(llm.stream_chat(user("Name a colour."), max_tokens=12))
    assert answer.message.content and answer.message.content == chunks[-1].message.content
    assert "".join(c.delta or "" for c in chunks) == answer.message.content
    usage = answer.additional_kwargs
    assert 0 < usage["completion_tokens"] <= 12 and usage["timings"]["predicted_n"] > 0
    assert chunks[-1].additional_kwargs["completion_tokens"] == usage["completion_tokens"]


def test_complete_variants_sync_and_async(llm: LocalLLM) -> None:
    text = llm.complete("What is 2 + 2?", max_tokens=8).text
    streamed = list(llm.stream_complete("What is 2 + 2?", max_tokens=8))
    assert text and streamed[-1].text == text == "".join(c.delta or "" for c in streamed)

    async def run() -> tuple[str, str]:
        a = await llm.acomplete("What is 2 + 2?", max_tokens=8)
        gen = await llm.astream_complete("What is 2 + 2?", max_tokens=8)
        return a.text, [c async for c in gen][-1].text

    assert asyncio.run(run()) == (text, text)


def test_streamed_tool_calls_are_readable_on_every_chunk(llm: LocalLLM) -> None:
    tools = WeatherTools().tools()
    chunks = list(llm.stream_chat_with_tools(tools, user_msg=WEATHER_Q, tool_required=True))
    seen = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False) for c in chunks]
    first = next(i for i, s in enumerate(seen) if s)
    assert all(seen[first:]), "a chunk after the first tool-call chunk lost the call"
    assert len({s[0].tool_id for s in seen[first:]}) == 1  # one stable id for the call
    final = seen[-1][0]
    assert final.tool_name == "get_weather" and "paris" in final.tool_kwargs["city"].lower()
    assert chunks[-1].additional_kwargs["finish_reason"] == "tool_calls"


def test_tool_result_round_trip(llm: LocalLLM) -> None:
    tools = WeatherTools().tools()
    first = llm.chat_with_tools(tools, user_msg=WEATHER_Q, tool_required=True)
    call = llm.get_tool_calls_from_response(first)[0]
    history = [*user(WEATHER_Q), first.message,
               ChatMessage(role="tool", content="Sunny, 22 degrees",
                           additional_kwargs={"tool_call_id": call.tool_id})]
    answer = llm.chat_with_tools(tools, chat_history=history, max_tokens=32)
    assert answer.message.content and answer.message.content.strip()
    assert llm.get_tool_calls_from_response(answer, error_on_no_tool_call=False) == []


def test_function_agent_calls_a_tool_and_finishes(llm: LocalLLM) -> None:
    """Two tools; the agent streams events, calls get_weather, then answers."""
    weather = WeatherTools()
    agent = FunctionAgent(tools=weather.tools(), llm=llm)

    async def run() -> tuple[Any, list[Any]]:
        handler = agent.run(user_msg=WEATHER_Q)
        events = [ev async for ev in handler.stream_events()]
        return await handler, events

    started = time.perf_counter()
    result, events = asyncio.run(run())
    elapsed = time.perf_counter() - started
    streams = [e for e in events if isinstance(e, AgentStream)]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    outputs = [e for e in events if isinstance(e, AgentOutput)]
    assert weather.calls and weather.calls[0][0] == "get_weather"
    assert [r.tool_name for r in results][:1] == ["get_weather"]
    assert any(s.tool_calls for s in streams), "no AgentStream event carried the tool call"
    assert any(s.delta for s in streams), "no text was streamed"
    assert isinstance(result, AgentOutput) and str(result).strip()
    assert not llm.get_tool_calls_from_response(ChatResponse(message=result.response),
                                                error_on_no_tool_call=False)
    assert len(outputs) >= 2  # one step that called the tool, one that answered
    print(f"\nFunctionAgent run on gemma-3-270m: {elapsed:.1f} s")


def test_react_agent_runs_to_an_answer(llm: LocalLLM) -> None:
    agent = ReActAgent(tools=WeatherTools().tools(), llm=llm)

    async def run() -> tuple[Any, list[Any]]:
        handler = agent.run(user_msg=WEATHER_Q)
        events = [ev async for ev in handler.stream_events()]
        return await handler, events

    result, events = asyncio.run(run())
    assert isinstance(result, AgentOutput) and str(result).strip()
    assert any(isinstance(e, AgentStream) and e.delta for e in events)


def test_simple_chat_engine_keeps_history(llm: LocalLLM) -> None:
    engine = SimpleChatEngine.from_defaults(llm=llm)
    assert str(engine.chat("Hi, my name is Ann.")).strip()
    streamed = engine.stream_chat("What is my name?")
    text = "".join(streamed.response_gen)
    assert text.strip() and [m.role.value for m in engine.chat_history] == [
        "user", "assistant", "user", "assistant"]


def test_vector_index_answers_through_a_query_engine(llm: LocalLLM,
                                                     embedding: LocalLLMEmbedding) -> None:
    docs = [Document(text="The Eiffel Tower is in Paris. It was finished in 1889."),
            Document(text="Bananas are yellow fruit rich in potassium."),
            Document(text="Python is a programming language created by Guido van Rossum.")]
    index = VectorStoreIndex.from_documents(docs, embed_model=embedding)
    response = index.as_query_engine(llm=llm, similarity_top_k=1).query(
        "When was the Eiffel Tower finished?")
    assert "Eiffel" in response.source_nodes[0].text  # retrieval through real embeddings
    assert str(response).strip()


def test_structured_predict_into_a_pydantic_model(llm: LocalLLM) -> None:
    prompt = PromptTemplate("Name the capital city of {country} and its country.")
    city = llm.structured_predict(City, prompt, country="France")
    assert isinstance(city, City) and city.name  # schema-constrained: always valid
    partials = list(llm.stream_structured_predict(City, prompt, country="France"))
    assert partials[-1] == city  # same greedy answer, parsed while it grew
    structured = asyncio.run(llm.as_structured_llm(City).achat(
        prompt.format_messages(country="France")))
    assert structured.raw == city


def test_one_object_survives_repeated_asyncio_run(llm: LocalLLM,
                                                  embedding: LocalLLMEmbedding) -> None:
    async def stream() -> str:
        gen = await llm.astream_chat(user("Say hi."), max_tokens=6)
        return [c async for c in gen][-1].message.content or ""

    async def tools() -> list[Any]:
        gen = await llm.astream_chat_with_tools(WeatherTools().tools(), user_msg=WEATHER_Q,
                                                tool_required=True)
        last = [c async for c in gen][-1]
        return llm.get_tool_calls_from_response(last)

    first = asyncio.run(llm.achat(user("Say hi."), max_tokens=6)).message.content
    assert first and asyncio.run(stream()) == first
    assert asyncio.run(tools())[0].tool_name == "get_weather"
    assert asyncio.run(llm.aget_metadata()).context_window == 2048
    assert len(asyncio.run(embedding.aget_text_embedding("hi"))) == 640
    assert cosine(asyncio.run(embedding.aget_query_embedding("hi")),
                  embedding.get_query_embedding("hi")) > 0.99


def test_embeddings_batch_sync_and_async(embedding: LocalLLMEmbedding) -> None:
    """Batch sizes per request are pinned on the fake (test_li_ollama_fake.py). Here: real vectors.
    This llama.cpp + gemma-3-270m server embeds a text differently when other texts share its
    batch (observed cos 0.73-0.79 vs alone, also for concurrent requests), so vectors are only
    compared for texts sent alone, one request at a time."""
    texts = ["a cat", "a dog", "stock market", "rain", "sun"]
    vectors = embedding.get_text_embedding_batch(texts)  # 3 requests of <= 2 texts
    again = asyncio.run(embedding.aget_text_embedding_batch(texts))  # 3 concurrent requests
    for batch in (vectors, again):
        assert len(batch) == 5 and {len(v) for v in batch} == {640}
        assert all(math.isfinite(x) for v in batch for x in v) and batch[0] != batch[2]
    alone = embedding.get_text_embedding("sun")
    assert cosine(alone, vectors[4]) > 0.999  # the last batch held "sun" alone
    assert cosine(alone, asyncio.run(embedding.aget_text_embedding("sun"))) > 0.999


def test_no_sockets_left_after_close(embedded_server: EmbeddedServer) -> None:
    port = int(embedded_server.url.rsplit(":", 1)[1])
    before = established_to(port)
    model = LocalLLM(model=embedded_server.model, base_url=embedded_server.url,
                     temperature=0, max_tokens=16)
    for _ in model.stream_chat(user("Count to ten.")):
        break  # stop early: the response must be closed, not left open
    model.chat(user("Hi"))
    asyncio.run(model.achat(user("Hi")))
    model.close()
    assert established_to(port) == before


def test_unreachable_server_is_a_typed_error() -> None:
    model = LocalLLM(model="m", base_url="http://127.0.0.1:9", max_retries=0, timeout=2,
                     context_window=2048, is_function_calling_model=True)
    with pytest.raises(ConnectionFailed):
        model.chat(user("hi"))
    with pytest.raises(ConnectionFailed):
        asyncio.run(model.achat(user("hi")))
    model.close()


@pytest.fixture(scope="module")
def thinking_server() -> Iterator[EmbeddedServer]:
    """The <think> template variant: the server streams reasoning_content for real."""
    with EmbeddedServer(reasoning=True, n_parallel=1, n_ctx=2048, cache_prompt=False) as server:
        yield server


def test_reasoning_streams_as_thinking_delta(thinking_server: EmbeddedServer) -> None:
    model = LocalLLM(model=thinking_server.model, base_url=thinking_server.url,
                     temperature=0, seed=42, max_tokens=64)
    chunks = list(model.stream_chat(user("What is 3 + 5?")))
    model.close()
    thinking = [i for i, c in enumerate(chunks) if c.additional_kwargs.get("thinking_delta")]
    text = [i for i, c in enumerate(chunks) if c.delta]
    assert thinking and text and thinking[0] < text[0]
    final = chunks[-1].message
    assert isinstance(final.blocks[0], ThinkingBlock) and final.blocks[0].content
    assert "<think>" not in (final.content or "")
