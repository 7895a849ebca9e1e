"""The pure converter of llamaindex_localllm: core Deltas -> LlamaIndex responses, LlamaIndex
messages -> core message dicts. No server involved."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel, Field

from llamaindex_localllm import _convert as cv
from localllm import Delta, ModelInfo, Timings, ToolCallFragment, Usage
from localllm.accumulate import accumulate

ARGS = '{"city": "Paris", "days": 2}'


def fragments_stream() -> list[Delta]:
    """Two calls, fragmented OpenAI-style, the second starting in the same chunk as the first
    one's last piece (what OpenAILike drops)."""
    return [
        Delta(reasoning="Weather "),
        Delta(reasoning="twice."),
        Delta(content="Checking."),
        Delta(tool_calls=(ToolCallFragment(0, "call_a", "get_weather", '{"city": "Pa'),)),
        Delta(tool_calls=(ToolCallFragment(0, None, None, 'ris", "days": 2}'),
                          ToolCallFragment(1, "call_b", "add", '{"a": 1,'))),
        Delta(tool_calls=(ToolCallFragment(1, None, None, ' "b": 2}'),)),
        Delta(finish_reason="tool_calls", model="m",
              usage=Usage(10, 5, 15), timings=Timings(prompt_n=10, prompt_ms=2.0,
                                                       predicted_n=5, predicted_ms=4.0)),
    ]


def test_every_chunk_carries_delta_and_whole_message_so_far() -> None:
    stream = cv.ChatStream()
    chunks = [stream.chunk(d) for d in fragments_stream()]
    assert [c.delta for c in chunks[:3]] == ["", "", "Checking."]
    assert [c.additional_kwargs.get("thinking_delta") for c in chunks[:3]] == [
        "Weather ", "twice.", None]
    last = chunks[-1].message
    assert last.role == MessageRole.ASSISTANT and last.content == "Checking."
    assert isinstance(last.blocks[0], ThinkingBlock) and last.blocks[0].content == "Weather twice."
    assert last.additional_kwargs["thinking"] == "Weather twice."
    calls = [b for b in last.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("call_a", "get_weather", {"city": "Paris", "days": 2}),
        ("call_b", "add", {"a": 1, "b": 2})]
    assert [json.loads(c["function"]["arguments"])
            for c in last.additional_kwargs["tool_calls"]] == [{"city": "Paris", "days": 2},
                                                               {"a": 1, "b": 2}]


def test_plain_text_chunks_equal_the_general_conversion_then_switch_on_reasoning() -> None:
    """The running-text path must build exactly what folding the stream would build."""
    deltas = [Delta("Hel"), Delta("lo"), Delta(reasoning="hmm"), Delta(" you")]
    stream = cv.ChatStream()
    for i, d in enumerate(deltas):
        got = stream.chunk(d)
        want = cv.to_message(accumulate(deltas[: i + 1], strict=False))
        assert got.message == want and got.message.blocks == want.blocks
        assert got.raw == {k: v for k, v in (("content", d.content),
                                             ("reasoning", d.reasoning)) if v}
    assert got.message.content == "Hello you"


def test_usage_timings_and_raw_on_the_last_chunk() -> None:
    stream = cv.ChatStream()
    last = [stream.chunk(d) for d in fragments_stream()][-1]
    assert last.additional_kwargs["prompt_tokens"] == 10
    assert last.additional_kwargs["completion_tokens"] == 5
    assert last.additional_kwargs["total_tokens"] == 15
    assert last.additional_kwargs["timings"]["predicted_ms"] == 4.0
    assert last.additional_kwargs["finish_reason"] == "tool_calls"
    assert last.raw["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def test_finish_reason_survives_a_separate_usage_chunk() -> None:
    """OpenAI servers send usage in its own chunk after the one with finish_reason."""
    stream = cv.ChatStream()
    stream.chunk(Delta(content="Hi", model="m"))
    stream.chunk(Delta(finish_reason="stop"))
    last = stream.chunk(Delta(usage=Usage(3, 1, 4)))
    assert last.additional_kwargs == {"prompt_tokens": 3, "completion_tokens": 1,
                                      "total_tokens": 4, "finish_reason": "stop", "model": "m"}
    assert last.raw == {"usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


def test_tool_selections_on_every_chunk_have_stable_ids() -> None:
    stream = cv.ChatStream()
    seen = [cv.tool_selections(stream.chunk(d).message) for d in fragments_stream()]
    assert seen[:3] == [[], [], []]
    assert [s.tool_id for s in seen[3]] == ["call_a"]
    # Partial JSON, read by LlamaIndex's own parse_partial_json (an open string value is null).
    assert seen[3][0].tool_kwargs == {"city": None}
    assert [[s.tool_id for s in sel] for sel in seen[4:]] == [["call_a", "call_b"]] * 3
    assert seen[-1][1].tool_kwargs == {"a": 1, "b": 2}


def test_generated_ids_stay_the_same_across_chunks() -> None:
    """Ollama sends no ids: the core makes one, and it must not change between chunks."""
    stream = cv.ChatStream()
    first = stream.chunk(Delta(tool_calls=(ToolCallFragment(0, None, "f", "{}"),)))
    later = stream.chunk(Delta(content="", finish_reason="tool_calls"))
    final = stream.response()
    ids = {cv.tool_selections(r.message)[0].tool_id for r in (first, later, final)}
    assert len(ids) == 1 and ids.pop()


@given(st.integers(min_value=1, max_value=len(ARGS) - 1))
def test_any_split_of_the_arguments_ends_in_the_same_call(cut: int) -> None:
    stream = cv.ChatStream()
    stream.chunk(Delta(tool_calls=(ToolCallFragment(0, "c", "get_weather", ARGS[:cut]),)))
    last = stream.chunk(Delta(tool_calls=(ToolCallFragment(0, None, None, ARGS[cut:]),)))
    assert cv.tool_selections(last.message)[0].tool_kwargs == {"city": "Paris", "days": 2}


def test_non_streamed_response_matches_the_core_result() -> None:
    deltas = fragments_stream()
    stream = cv.ChatStream()
    for d in deltas:
        stream.add(d)
    response = stream.response()
    core = accumulate(deltas)
    assert response.delta is None and response.message.content == core.content
    assert [s.tool_kwargs for s in cv.tool_selections(response.message)] == [
        c.arguments for c in core.tool_calls]
    assert response.raw["tool_calls"][0]["name"] == "get_weather"
    assert "thinking_delta" not in response.additional_kwargs


def test_text_only_answer_has_no_tool_call_keys() -> None:
    """Streaming structured output reads message.content when no 'tool_calls' key exists."""
    stream = cv.ChatStream()
    r = stream.chunk(Delta(content="hi"))
    assert r.message.content == "hi" and "tool_calls" not in r.message.additional_kwargs
    assert cv.tool_selections(r.message) == []
    assert cv.ChatStream().chunk(Delta(finish_reason="stop")).message.content == ""


def test_invalid_final_arguments_become_empty_kwargs_not_a_crash() -> None:
    stream = cv.ChatStream()
    r = stream.chunk(Delta(tool_calls=(ToolCallFragment(0, "c", "f", "not json"),),
                           finish_reason="tool_calls"))
    block = next(b for b in r.message.blocks if isinstance(b, ToolCallBlock))
    assert block.tool_kwargs == "not json"  # kept as text, as ToolCallBlock allows
    assert cv.tool_selections(r.message)[0].tool_kwargs == {}


def test_completion_response_from_chat_chunk() -> None:
    stream = cv.ChatStream()
    stream.chunk(Delta(content="Hel"))
    c = cv.to_completion(stream.chunk(Delta(content="lo", usage=Usage(1, 2, 3))))
    assert (c.text, c.delta, c.additional_kwargs["total_tokens"]) == ("Hello", "lo", 3)


def test_keep_first_tool_call() -> None:
    stream = cv.ChatStream()
    for d in fragments_stream():
        stream.add(d)
    r = cv.keep_first_tool_call(stream.response())
    assert [s.tool_name for s in cv.tool_selections(r.message)] == ["get_weather"]
    assert len(r.message.additional_kwargs["tool_calls"]) == 1
    assert r.message.content == "Checking."


def test_messages_to_core_dicts_round_trip_tool_calls_and_names() -> None:
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", blocks=[TextBlock(text="Look"), ImageBlock(image=b"\x89PNG..",
                                                                             image_mimetype="image/png")]),
        ChatMessage(role="assistant", blocks=[
            ThinkingBlock(content="need weather"), TextBlock(text=""),
            ToolCallBlock(tool_call_id="call_1", tool_name="get_weather",
                          tool_kwargs={"city": "Paris"})]),
        ChatMessage(role="tool", content="Sunny", additional_kwargs={"tool_call_id": "call_1"}),
        ChatMessage(role="developer", content="x"),
    ]
    out = cv.to_core_messages(messages)
    assert out[0] == {"role": "system", "content": "Be brief."}
    assert out[1]["content"] == "Look" and out[1]["images"][0].startswith("data:image/png;base64,")
    assert out[2]["reasoning"] == "need weather"
    assert out[2]["tool_calls"] == [{"type": "function", "id": "call_1", "function": {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    assert out[3] == {"role": "tool", "content": "Sunny", "tool_call_id": "call_1",
                      "name": "get_weather"}  # name found from the call it answers
    assert out[4]["role"] == "system"


def test_messages_from_other_integrations_use_additional_kwargs() -> None:
    msg = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [
        {"function": {"name": "f", "arguments": {"x": 1}}}]})  # Ollama shape, no id
    assert cv.to_core_messages([msg])[0]["tool_calls"][0]["function"]["name"] == "f"
    assert [(s.tool_name, s.tool_kwargs) for s in cv.tool_selections(msg)] == [("f", {"x": 1})]


def test_unsupported_blocks_are_refused_with_a_reason() -> None:
    from llama_index.core.base.llms.types import DocumentBlock

    msg = ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4")])
    with pytest.raises(ValueError, match="document"):
        cv.to_core_messages([msg])


def test_metadata_prefers_configuration_then_server_then_safe_defaults() -> None:
    info = ModelInfo(name="m", backend="ollama", context_window=4096, max_context=131072,
                     capabilities=("completion", "tools"))
    md = cv.metadata(model="", info=info, context_window=None, max_tokens=None,
                     function_calling=None)
    assert (md.context_window, md.is_function_calling_model, md.model_name) == (4096, True, "m")
    assert md.is_chat_model and md.num_output == 256
    md = cv.metadata(model="x", info=info, context_window=1000, max_tokens=64,
                     function_calling=False)
    assert (md.context_window, md.num_output, md.is_function_calling_model) == (1000, 64, False)
    no_tools = ModelInfo(name="e", backend="ollama", capabilities=("embedding",))
    md = cv.metadata(model="e", info=no_tools, context_window=None, max_tokens=None,
                     function_calling=None)
    assert md.context_window == cv.FALLBACK_CONTEXT_WINDOW and not md.is_function_calling_model
    md = cv.metadata(model="e", info=None, context_window=None, max_tokens=None,
                     function_calling=None)  # not asked yet / capabilities unknown
    assert md.is_function_calling_model and md.context_window == cv.FALLBACK_CONTEXT_WINDOW


class City(BaseModel):
    name: str = Field(max_length=20)
    population: int


def test_structured_helpers() -> None:
    fmt = cv.json_schema_format(City)
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "City"
    assert fmt["json_schema"]["schema"]["required"] == ["name", "population"]
    assert cv.parse_structured(City, '{"name": "Oslo", "population": 7}') == City(
        name="Oslo", population=7)
    with pytest.raises(ValueError, match="not a valid City"):
        cv.parse_structured(City, '{"name": "Oslo"}')


def test_structured_stream_gives_growing_partials() -> None:
    stream, parser = cv.ChatStream(), cv.StructuredStream(City)
    text = '{"name": "Oslo", "population": 709000}'
    partials = [parser.update(stream.chunk(Delta(content=text[i:i + 7])))
                for i in range(0, len(text), 7)]
    assert partials[-1] == City(name="Oslo", population=709000)
    assert any(getattr(p, "name", None) == "Oslo" for p in partials[:-1])
