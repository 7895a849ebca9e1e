"""Protocol modules and the accumulator, on wire shapes from PROTOCOLS.md."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localllm.accumulate import Accumulator, accumulate
from localllm.errors import (
    AuthenticationError,
    BadRequest,
    ContextOverflow,
    ModelNotFound,
    ProtocolError,
    RateLimited,
    ServerError,
)
from localllm.messages import to_messages
from localllm.protocols import ollama, openai
from localllm.protocols.errors import from_response
from localllm.request import chat_call, resolve_tool_choice
from localllm.types import Delta, Image, Message, ToolCallFragment
from localllm.wire.ndjson import NDJSONDecoder
from localllm.wire.sse import SSEDecoder

WHERE = {"url": "http://x", "backend": "openai", "model": "m"}


def sse(*objs: object, done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(o).encode() + b"\n\n" for o in objs)
    return body + (b"data: [DONE]\n\n" if done else b"")


def chunk(delta: dict, finish: str | None = None, **extra: object) -> dict:
    return {"object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def test_openai_stream_content_reasoning_usage_timings() -> None:
    parser = openai.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(sse(
        chunk({"role": "assistant", "content": None}),
        chunk({"reasoning_content": "think"}),
        chunk({"reasoning": "ing"}),
        chunk({"content": "Hel"}), chunk({"content": "lo"}),
        chunk({}, "stop", timings={"prompt_n": 3, "prompt_ms": 2.0, "predicted_n": 2,
                                   "predicted_ms": 20.0}),
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2,
                                  "total_tokens": 5}}))
    parser.close()
    assert parser.complete is True
    result = accumulate(deltas)
    assert (result.content, result.reasoning, result.finish_reason) == ("Hello", "thinking",
                                                                         "stop")
    assert result.usage is not None and result.usage.total_tokens == 5
    assert result.timings is not None and result.timings.predicted_per_second == 100.0


def test_openai_stream_without_done_is_complete_only_after_finish_reason() -> None:
    parser = openai.StreamParser(1 << 20, WHERE)
    parser.feed(sse(chunk({"content": "a"}), done=False))
    parser.close()
    assert parser.complete is False
    parser = openai.StreamParser(1 << 20, WHERE)
    parser.feed(sse(chunk({"content": "a"}, "stop"), done=False))
    parser.close()
    assert parser.complete is True


def test_openai_error_event_inside_200_stream_raises() -> None:
    parser = openai.StreamParser(1 << 20, WHERE)
    with pytest.raises(ServerError, match="boom"):
        parser.feed(sse({"error": {"message": "boom", "code": 500}}))
    # after good events in the same read: those come out first, the error is held for the
    # flow to raise next (nothing that arrived before a failure is lost)
    parser = openai.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(sse(chunk({"content": "a"}), {"error": {"message": "boom",
                                                                 "code": 500}}))
    assert [d.content for d in deltas] == ["a"]
    assert isinstance(parser.failure, ServerError) and "boom" in str(parser.failure)


def test_openai_context_overflow_in_stream() -> None:
    parser = openai.StreamParser(1 << 20, WHERE)
    err = {"error": {"code": 400, "message": "request exceeds the available context size",
                     "type": "exceed_context_size_error", "n_prompt_tokens": 5000, "n_ctx": 2048}}
    with pytest.raises(ContextOverflow) as info:
        parser.feed(sse(err))
    assert (info.value.n_prompt_tokens, info.value.n_ctx) == (5000, 2048)


def test_openai_malformed_event_raises() -> None:
    with pytest.raises(ProtocolError, match="Malformed JSON"):
        openai.StreamParser(1 << 20, WHERE).feed(b"data: {oops\n\n")


def test_tool_call_fragments_merge_by_index_and_new_id_starts_new_call() -> None:
    frags = [
        Delta(tool_calls=(ToolCallFragment(0, "call_a", "get_weather", ""),
                          ToolCallFragment(1, "call_b", "add", '{"a": 1'))),
        Delta(tool_calls=(ToolCallFragment(0, None, None, '{"city": '),)),
        Delta(tool_calls=(ToolCallFragment(0, "", None, '"Paris"}'),
                          ToolCallFragment(1, None, None, ', "b": 2}'))),
        # vLLM quirk: index 0 reused with a new non-empty id → a third call
        Delta(tool_calls=(ToolCallFragment(0, "call_c", "noop", "{}"),)),
    ]
    calls = accumulate(frags).tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "get_weather", {"city": "Paris"}), ("call_b", "add", {"a": 1, "b": 2}),
        ("call_c", "noop", {})]


def test_tool_call_without_id_gets_one_stable_id() -> None:
    acc = Accumulator()
    acc.add(Delta(tool_calls=(ToolCallFragment(0, None, "f", "{}"),)))
    first, second = acc.result(), acc.result()
    assert first.tool_calls[0].id.startswith("call_")
    assert first.tool_calls[0].id == second.tool_calls[0].id


def test_invalid_tool_arguments_raise_in_strict_mode_only() -> None:
    acc = Accumulator()
    acc.add(Delta(tool_calls=(ToolCallFragment(0, "c", "f", '{"city": "Pa'),)))
    with pytest.raises(ProtocolError, match="not a JSON object"):
        acc.result()
    partial = acc.result(strict=False).tool_calls[0]
    assert partial.arguments == {} and partial.raw_arguments == '{"city": "Pa'
    acc.add(Delta(tool_calls=(ToolCallFragment(0, None, None, 'ris"}'),)))
    assert acc.result().tool_calls[0].raw_arguments is None


def ndjson(*objs: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def test_ollama_stream_tool_calls_whole_thinking_ns_durations() -> None:
    parser = ollama.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(ndjson(
        {"message": {"role": "assistant", "content": "", "thinking": "hmm"}, "done": False},
        {"message": {"role": "assistant", "content": "",
                     "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}},
                                    {"function": {"name": "g", "arguments": {}}}]},
         "done": False},
        {"message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
         "prompt_eval_count": 26, "prompt_eval_duration": 130_000_000, "eval_count": 10,
         "eval_duration": 250_000_000, "total_duration": 500_000_000}))
    parser.close()
    assert parser.complete is True
    result = accumulate(deltas)
    assert result.reasoning == "hmm"
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("f", {"x": 1}), ("g", {})]
    assert len({c.id for c in result.tool_calls}) == 2
    assert result.finish_reason == "tool_calls"
    assert result.timings is not None and result.timings.prompt_ms == 130.0
    assert result.timings.predicted_per_second == 40.0
    assert result.usage is not None and result.usage.total_tokens == 36


def test_per_token_shortcuts_never_drop_fields_in_minimal_records() -> None:
    """Records with two keys that are not role + content (terse servers) keep every field."""
    parser = ollama.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(ndjson(
        {"message": {"content": "", "tool_calls": [{"function": {"name": "f",
                                                                  "arguments": {}}}]}},
        {"message": {"content": "a", "thinking": "t"}},
        {"message": {"role": "assistant", "content": "b"}},
        {"message": {"role": "assistant", "content": ""}, "done": True}))
    result = accumulate(deltas)
    assert [c.name for c in result.tool_calls] == ["f"]
    assert (result.content, result.reasoning) == ("ab", "t")
    parser = openai.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(sse(chunk({"content": "", "reasoning_content": "r"}),
                             chunk({"role": "assistant", "content": "c"}),
                             chunk({"content": "d"}, usage={"prompt_tokens": 1,
                                                            "completion_tokens": 2,
                                                            "total_tokens": 3}),
                             chunk({}, "stop")))
    result = accumulate(deltas)
    assert (result.content, result.reasoning, result.finish_reason) == ("cd", "r", "stop")
    assert result.usage is not None and result.usage.total_tokens == 3


def _outcome(feed: bytes) -> object:
    parser = openai.StreamParser(1 << 20, WHERE)
    try:
        deltas = parser.feed(feed)
    except Exception as exc:  # the error a caller sees: its type and message
        return type(exc), str(exc)
    return deltas, parser.done, parser.finished


@pytest.mark.parametrize("event", [
    b'data: {"choices":[{"delta":{"content":"a"},"finish_reason":null}]}\n\n',
    b'data:{"choices":[{"delta":{"content":"a"}}]}\n\n',
    b'data: {"choices":[{"delta":{},"finish_reason":"stop"}],"model":"m"}\n\n',
    b"data: [DONE]\n\n",
    b'data: {"error":{"message":"model not found","type":"not_found_error"}}\n\n',
    b"data: \xff\xfe\n\n",  # not UTF-8
    b"data: not json\n\n",
    b"data: [1, 2]\n\n",
    b'data: {"choices":[{"delta":{"content":5}}]}\n\n',  # wrong shape
    b'data: {"choices":[{"delta":{"content":"\xc3\xa9"}}]}\n\n',
])
def test_sse_one_event_per_read_fast_path_matches_the_general_path(event: bytes) -> None:
    """A read holding exactly one event takes the decoder's fast path (``single_data``); a
    leading comment line forces the general one: deltas, flags and errors must agree."""
    assert SSEDecoder().single_data(event) is not None  # the shortcut does apply
    assert _outcome(event) == _outcome(b": keep-alive\n" + event)


def test_ollama_error_line_in_200_stream_raises_and_truncation_is_incomplete() -> None:
    parser = ollama.StreamParser(1 << 20, WHERE)
    with pytest.raises(ServerError, match="out of memory"):
        parser.feed(ndjson({"error": "out of memory"}))
    parser = ollama.StreamParser(1 << 20, WHERE)
    deltas = parser.feed(ndjson({"message": {"content": "a"}, "done": False},
                                {"error": "out of memory"}))
    assert [d.content for d in deltas] == ["a"]
    assert isinstance(parser.failure, ServerError) and "out of memory" in str(parser.failure)
    parser = ollama.StreamParser(1 << 20, WHERE)
    parser.feed(ndjson({"message": {"content": "a"}, "done": False}))
    parser.close()
    assert parser.complete is False


def test_ollama_load_lines_are_skipped_and_generate_uses_response() -> None:
    parser = ollama.StreamParser(1 << 20, WHERE)
    assert parser.feed(ndjson({"done": True, "done_reason": "load", "message": {
        "content": ""}})) == []
    assert parser.done is False
    deltas = parser.feed(ndjson({"response": "hi", "done": False},
                                {"response": "", "done": True, "done_reason": "length"}))
    assert accumulate(deltas).content == "hi" and deltas[-1].finish_reason == "length"


@pytest.mark.parametrize(("status", "body", "cls"), [
    (401, b'{"error": {"message": "Invalid API Key", "type": "authentication_error"}}',
     AuthenticationError),
    (429, b'{"error": "slow down"}', RateLimited),
    (404, b'{"error": "model \'x\' not found, try pulling it first"}', ModelNotFound),
    (404, b'{"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}',
     BadRequest),  # llama.cpp's answer to an unknown path
    (404, b"404 page not found", BadRequest),
    (400, b'{"object": "error", "message": "This model\'s maximum context length is 2048 '
          b'tokens", "type": "BadRequestError", "code": 400}', ContextOverflow),
    (400, b'{"error": "invalid temperature"}', BadRequest),
    (503, b'{"error": {"message": "Loading model", "type": "unavailable_error"}}', ServerError),
    (502, b"<html><title>502 Bad Gateway</title></html>", ServerError),
    (200, b"<!doctype html><html><title>Router login</title></html>", ProtocolError),
])
def test_error_classification(status: int, body: bytes, cls: type) -> None:
    error = from_response(status, body, {"Retry-After": "2"}, **WHERE)
    assert type(error) is cls
    assert error.url == "http://x" and error.model == "m" and error.hint
    if isinstance(error, ServerError):
        assert error.retry_after == 2.0
    assert error.retryable == (status in (429, 502, 503))


def test_named_tool_choice_is_resolved_client_side() -> None:
    tools = [{"name": "a", "parameters": {"type": "object"}},
             {"type": "function", "function": {"name": "b", "parameters": {}}}]
    specs, choice = resolve_tool_choice(tools, {"type": "function", "function": {"name": "b"}})
    assert choice == "required" and [t["function"]["name"] for t in specs or []] == ["b"]
    assert resolve_tool_choice(tools, "a")[1] == "required"
    assert resolve_tool_choice(tools, "any")[1] == "required"
    with pytest.raises(ValueError, match="names 'zzz'"):
        resolve_tool_choice(tools, "zzz")


def test_request_bodies() -> None:
    msgs = to_messages([
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                     {"type": "image_url", "image_url": {
                                         "url": "data:image/jpeg;base64,AAAA"}}]},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "f", "arguments": '{"x": 1}'}}]},
        {"role": "tool", "content": "42", "tool_call_id": "c1", "name": "f"},
    ])
    call = chat_call(msgs, model="m", max_tokens=5, temperature=0.0, seed=1, stop="\n",
                     response_format={"type": "object"}, num_ctx=4096, keep_alive="1m")
    body = openai.chat_body(call)
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"][1]["content"][1]["image_url"]["url"].startswith("data:image/jpeg")
    assert json.loads(body["messages"][2]["tool_calls"][0]["function"]["arguments"]) == {"x": 1}
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}
    ob = ollama.chat_body(call)
    assert ob["options"] == {"num_ctx": 4096, "num_predict": 5, "temperature": 0.0, "seed": 1,
                             "stop": ["\n"]}
    assert ob["keep_alive"] == "1m" and ob["format"] == {"type": "object"}
    assert ob["messages"][1]["images"] == ["AAAA"]
    assert ob["messages"][2]["tool_calls"][0]["function"]["arguments"] == {"x": 1}
    assert ob["messages"][3]["tool_name"] == "f"
    with pytest.raises(ValueError, match="base64"):
        ollama.render_message(Message.user("x", [Image(url="http://img")]))


def test_bad_messages_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="role"):
        to_messages([{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="empty"):
        to_messages([])


def test_errors_pickle_and_keep_their_fields() -> None:
    import pickle

    error = ModelNotFound("Model 'x' not found", url="http://h", model="x", status=404,
                          hint="pull it")
    error.set_available(["a", "b"])
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ModelNotFound and copy.available == ("a", "b")
    assert str(copy) == str(error) and "Available models: a, b." in str(copy)
    overflow = pickle.loads(pickle.dumps(ContextOverflow("too long", n_ctx=2048)))
    assert overflow.n_ctx == 2048


def test_reasoning_switch_and_backend_specific_options() -> None:
    call = chat_call("hi", model="m", reasoning=False, keep_alive="5m", num_ctx=8192,
                     top_p=0.9, options={"top_k": 20, "num_ctx": 1},
                     extra_body={"logprobs": True})
    body = openai.chat_body(call)
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert "keep_alive" not in body and "num_ctx" not in body and body["top_p"] == 0.9
    assert body["top_k"] == 20 and body["logprobs"] is True and "options" not in body
    ob = ollama.chat_body(call)
    assert ob["think"] is False and ob["keep_alive"] == "5m" and ob["logprobs"] is True
    assert ob["options"] == {"num_ctx": 8192, "top_p": 0.9, "top_k": 20}
    assert "think" not in ollama.chat_body(chat_call("hi", model="m", reasoning=None))


def test_chat_call_checks_and_normalises_its_arguments() -> None:
    call = chat_call("hi", tools=[{"name": "f"}], tool_choice="f", stop=("a", "b"))
    assert call.model == "" and call.tool_choice == "required" and call.stop == ["a", "b"]
    assert call.tools == [{"type": "function", "function": {
        "name": "f", "description": "", "parameters": {"type": "object", "properties": {}}}}]
    with pytest.raises(ValueError, match="names no tool"):
        chat_call("hi", tool_choice="f")
    with pytest.raises(ValueError, match="response_format"):
        chat_call("hi", response_format="yaml")
    with pytest.raises(TypeError):
        chat_call("hi", temprature=0)  # type: ignore[call-arg]


@pytest.mark.parametrize("line", [
    b'{"message":{"role":"assistant","content":"a"},"done":false}\n', b"\n", b" \n",
    b'{"a": NaN}\n', b"not json\n", b'{"n": 123456789012345678901234567890}\n'])
def test_ndjson_whole_line_fast_path_gives_what_the_general_path_gives(line: bytes) -> None:
    def outcome(decoder: NDJSONDecoder, data: bytes) -> Any:
        try:
            return decoder.feed(data)
        except ProtocolError as exc:
            return str(exc)

    fast = NDJSONDecoder()
    assert fast.is_one_whole_line(line)
    general = NDJSONDecoder()
    assert outcome(general, b"") == []  # an empty read first: then split in two
    first = outcome(general, line[:1])
    rest = outcome(general, line[1:]) if not isinstance(first, str) else first
    assert outcome(fast, line) == (rest if isinstance(rest, str) else first + rest)


def test_tool_arguments_cut_by_max_tokens_say_so() -> None:
    acc = Accumulator()
    acc.add(Delta(tool_calls=(ToolCallFragment(0, "c", "f", '{"city": "Pa'),),
                  finish_reason="length"))
    with pytest.raises(ProtocolError, match="raise max_tokens"):
        acc.result()
