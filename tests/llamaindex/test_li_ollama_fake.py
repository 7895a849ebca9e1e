"""LocalLLM / LocalLLMEmbedding on the Ollama path, against a FAKE Ollama built from Ollama's
documented wire format (tests/ollama/fake_ollama.py; no Ollama binary can be installed here).
Replies are scripted, so these tests pin what goes over the wire, not model behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llamaindex_localllm import LocalLLM, LocalLLMEmbedding
from localllm.errors import BadRequest, ModelNotFound
from tests.support.fake_ollama import (
    FakeOllama,
    model_entry,
    text_reply,
    thinking_reply,
    tool_call_reply,
    tool_calls_reply,
)

MODEL = "llama3.2:1b"  # trained context 131072, loaded (/api/ps) context 4096 in the fake
PLAIN = "plain:latest"


def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOLS = [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(add)]


@pytest.fixture
def llm(fake_ollama: FakeOllama) -> Iterator[LocalLLM]:
    model = LocalLLM(model=MODEL, base_url=fake_ollama.url, temperature=0, timeout=5)
    yield model
    model.close()


def paths(fake: FakeOllama, path: str) -> list[Any]:
    return [body for _, p, body in fake.requests if p == path]


def test_metadata_is_the_loaded_context_and_asked_once(llm: LocalLLM,
                                                       fake_ollama: FakeOllama) -> None:
    md = llm.metadata
    assert md.context_window == 4096  # /api/ps, not the trained 131072 from /api/show
    assert md.is_function_calling_model and md.is_chat_model and md.model_name == MODEL
    assert llm.metadata == md
    llm.chat([ChatMessage(role="user", content="hi")])
    assert len(paths(fake_ollama, "/api/show")) == 1 and len(paths(fake_ollama, "/api/ps")) == 1
    body = paths(fake_ollama, "/api/chat")[-1]
    assert "num_ctx" not in body["options"]  # never the trained maximum
    assert body["options"]["temperature"] == 0


def add_plain_model(fake: FakeOllama) -> str:
    """A completion-only model (no "tools" capability), loaded with a 2048 context."""
    fake.models[PLAIN] = model_entry(PLAIN, 1000, "llama", "1B", "Q4_0", ["completion"], 8192,
                                     2048)
    return PLAIN


def test_capabilities_decide_function_calling(fake_ollama: FakeOllama) -> None:
    plain = LocalLLM(model=add_plain_model(fake_ollama), base_url=fake_ollama.url)
    assert plain.metadata.is_function_calling_model is False
    plain.close()


def test_configured_context_is_sent_as_num_ctx(fake_ollama: FakeOllama) -> None:
    llm = LocalLLM(model=MODEL, base_url=fake_ollama.url, context_window=8192,
                   is_function_calling_model=True)
    assert llm.metadata.context_window == 8192
    llm.complete("hi")
    assert paths(fake_ollama, "/api/chat")[-1]["options"]["num_ctx"] == 8192
    assert paths(fake_ollama, "/api/show") == []  # nothing left to ask
    llm.close()


def test_metadata_in_a_running_loop_does_not_block(llm: LocalLLM,
                                                   fake_ollama: FakeOllama) -> None:
    async def run() -> tuple[Any, Any, Any]:
        provisional = llm.metadata  # inside the loop: no blocking request
        asked = list(fake_ollama.requests)
        await llm.achat([ChatMessage(role="user", content="hi")])
        return provisional, asked, llm.metadata

    provisional, asked, real = asyncio.run(run())
    assert asked == [] and provisional.context_window == 2048  # conservative until asked
    assert real.context_window == 4096
    assert len(paths(fake_ollama, "/api/show")) == 1


def test_per_call_options_override_fields(llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    llm.chat([ChatMessage(role="user", content="hi")], temperature=0.3, max_tokens=5, top_k=3)
    options = paths(fake_ollama, "/api/chat")[-1]["options"]
    assert options == {"temperature": 0.3, "num_predict": 5, "top_k": 3}


def test_whole_tool_calls_in_one_chunk_keep_stable_distinct_ids(
        llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}),
                                          ("add", {"a": 1, "b": 2})]))
    chunks = list(llm.stream_chat_with_tools(TOOLS, user_msg="weather and sum?"))
    seen = [llm.get_tool_calls_from_response(c, error_on_no_tool_call=False) for c in chunks]
    with_calls = [s for s in seen if s]
    assert with_calls and all(len(s) == 2 for s in with_calls)
    ids = {tuple(c.tool_id for c in s) for s in with_calls}
    assert len(ids) == 1 and len(set(next(iter(ids)))) == 2  # stable, distinct, not the name
    assert [(c.tool_name, c.tool_kwargs) for c in with_calls[-1]] == [
        ("get_weather", {"city": "Paris"}), ("add", {"a": 1, "b": 2})]
    assert all(c.tool_id != c.tool_name for c in with_calls[-1])
    body = paths(fake_ollama, "/api/chat")[-1]
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather", "add"]


def test_parallel_calls_trimmed_only_when_not_allowed(llm: LocalLLM,
                                                      fake_ollama: FakeOllama) -> None:
    two = tool_calls_reply([("get_weather", {"city": "Paris"}), ("add", {"a": 1, "b": 2})])
    fake_ollama.enqueue(two, two)
    both = llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=True)
    one = llm.chat_with_tools(TOOLS, user_msg="x", allow_parallel_tool_calls=False)
    assert len(llm.get_tool_calls_from_response(both)) == 2
    assert [c.tool_name for c in llm.get_tool_calls_from_response(one)] == ["get_weather"]


def test_no_tool_call_raises_only_when_asked_to(llm: LocalLLM) -> None:
    response = llm.chat_with_tools(TOOLS, user_msg="hi")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(response)


def test_tool_result_round_trip_names_the_tool(llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_call_reply("get_weather", {"city": "Paris"}),
                        text_reply("It is sunny."))
    history = [ChatMessage(role="user", content="Weather in Paris?")]
    first = llm.chat_with_tools(TOOLS, chat_history=history)
    call = llm.get_tool_calls_from_response(first)[0]
    history += [first.message, ChatMessage(role="tool", content="Sunny",
                                           additional_kwargs={"tool_call_id": call.tool_id})]
    answer = llm.chat_with_tools(TOOLS, chat_history=history)
    assert answer.message.content == "It is sunny."
    sent = paths(fake_ollama, "/api/chat")[-1]["messages"]
    assert sent[1]["tool_calls"] == [{"function": {"name": "get_weather",
                                                   "arguments": {"city": "Paris"}}}]
    assert sent[2] == {"role": "tool", "content": "Sunny", "tool_name": "get_weather"}
    assert len(history) == 3  # _prepare_chat_with_tools never appends to the caller's list


def test_tool_required_and_named_choice(llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_call_reply("add", {"a": 1, "b": 2}))
    llm.chat_with_tools(TOOLS, user_msg="sum", tool_choice="add")
    assert [t["function"]["name"] for t in paths(fake_ollama, "/api/chat")[-1]["tools"]] == [
        "add"]  # Ollama has no tool_choice: the core sends only the named tool


def test_thinking_streams_as_thinking_delta_and_block(fake_ollama: FakeOllama) -> None:
    llm = LocalLLM(model="qwen3:0.6b", base_url=fake_ollama.url, reasoning=True)
    fake_ollama.enqueue(thinking_reply("Two plus two is four.", "4"))
    chunks = list(llm.stream_chat([ChatMessage(role="user", content="2+2?")]))
    thinking = [c.additional_kwargs.get("thinking_delta") for c in chunks]
    assert "".join(t for t in thinking if t) == "Two plus two is four."
    final = chunks[-1].message
    assert final.content == "4" and final.additional_kwargs["thinking"] == "Two plus two is four."
    assert isinstance(final.blocks[0], ThinkingBlock)
    assert paths(fake_ollama, "/api/chat")[-1]["think"] is True
    llm.close()


def test_usage_and_timings_in_additional_kwargs(llm: LocalLLM) -> None:
    r = llm.chat([ChatMessage(role="user", content="hi there")])
    extra = r.additional_kwargs
    assert extra["prompt_tokens"] > 0 and extra["completion_tokens"] > 0
    assert extra["total_tokens"] == extra["prompt_tokens"] + extra["completion_tokens"]
    assert extra["timings"]["predicted_ms"] > 0  # nanoseconds on the wire, ms here
    assert r.raw["usage"]["total_tokens"] == extra["total_tokens"]


def test_function_agent_on_the_ollama_path(llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_call_reply("get_weather", {"city": "Paris"}),
                        text_reply("Sunny in Paris."))
    agent = FunctionAgent(tools=TOOLS, llm=llm)

    async def run() -> tuple[str, list[Any]]:
        handler = agent.run(user_msg="Weather in Paris?")
        events = [ev async for ev in handler.stream_events()]
        return str(await handler), events

    answer, events = asyncio.run(run())
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert answer == "Sunny in Paris."
    assert [(r.tool_name, r.tool_kwargs, r.tool_output.content) for r in results] == [
        ("get_weather", {"city": "Paris"}, "Sunny in Paris")]
    second = paths(fake_ollama, "/api/chat")[-1]["messages"]
    assert second[-1] == {"role": "tool", "content": "Sunny in Paris", "tool_name": "get_weather"}


def test_assistant_tool_call_block_is_sent_back(llm: LocalLLM, fake_ollama: FakeOllama) -> None:
    msg = ChatMessage(role="assistant", blocks=[ToolCallBlock(
        tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1, "b": 2})])
    llm.chat([ChatMessage(role="user", content="sum"), msg,
              ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "c1"})])
    sent = paths(fake_ollama, "/api/chat")[-1]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "add", "arguments": {"a": 1, "b": 2}}


def test_typed_errors_reach_the_caller(fake_ollama: FakeOllama) -> None:
    missing = LocalLLM(model="nope", base_url=fake_ollama.url, context_window=2048,
                       is_function_calling_model=True)
    with pytest.raises(ModelNotFound) as info:
        missing.chat([ChatMessage(role="user", content="hi")])
    assert MODEL in info.value.available or "not found" in str(info.value)
    plain = LocalLLM(model=add_plain_model(fake_ollama), base_url=fake_ollama.url,
                     is_function_calling_model=True)  # told wrong: the server's error comes back
    with pytest.raises(BadRequest, match="does not support tools"):
        plain.chat_with_tools(TOOLS, user_msg="x")
    missing.close()
    plain.close()


def test_embeddings_batch_per_request(fake_ollama: FakeOllama) -> None:
    emb = LocalLLMEmbedding(model_name="nomic-embed-text:latest", base_url=fake_ollama.url,
                            embed_batch_size=2, query_instruction="search_query: ")
    vectors = emb.get_text_embedding_batch(["a", "b", "c", "d", "e"])
    assert len(vectors) == 5 and all(len(v) == 8 for v in vectors)
    assert [len(b["input"]) for b in paths(fake_ollama, "/api/embed")] == [2, 2, 1]
    emb.get_query_embedding("q")
    assert paths(fake_ollama, "/api/embed")[-1]["input"] == ["search_query: q"]
    again = asyncio.run(emb.aget_text_embedding_batch(["a", "b", "c"]))
    assert again == vectors[:3]
    emb.close()
