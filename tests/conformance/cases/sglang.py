"""SGLang's OpenAI-compatible server: the chat stream of the current serving layer
(``entrypoints/openai/serving_chat.py``) and of the older ``openai_api/adapter.py``
(finish reason and usage in one last chunk), reasoning and tool-call deltas, ``matched_stop``,
the flat ``ErrorResponse`` (``{"object": "error", ...}``) over HTTP and nested in-stream
(``data: {"error": {...}}`` under a 200, then ``[DONE]``), the tokenizer's and scheduler's
context-length messages, ``/v1/models`` (``max_model_len``) and ``/v1/embeddings``."""

from __future__ import annotations

import json
from typing import Any

from localllm.errors import (
    AuthenticationError,
    BadRequest,
    ContextOverflow,
    ServerError,
    StreamInterrupted,
)

from ..case import DONE, Answer, Call, Case, Failure, Listing, Vectors, answer, sse

# Evidence shorthand (sgl-project/sglang, file @ commit as stored in the index).
REPO = "sgl-project/sglang"
CHAT = (f"{REPO} python/sglang/srt/entrypoints/openai/serving_chat.py @0c078e6f "
        "_generate_chat_stream + protocol.py @9b116dff ChatCompletionStreamResponse/"
        "DeltaMessage/ToolCall/UsageInfo")
ADAPTER = (f"{REPO} python/sglang/srt/openai_api/adapter.py @d0372089 v1_chat_completions "
           "generate_stream_resp + openai_api/protocol.py")
ERRORS = (f"{REPO} python/sglang/srt/entrypoints/openai/serving_base.py @c5695a4b "
          "create_error_response / create_streaming_error_response + protocol.py ErrorResponse")
TOKENIZER = (f"{REPO} python/sglang/srt/managers/tokenizer_manager.py @001067ff "
             "_validate_one_request; test/srt/test_request_length_validation.py")

RID = "5c3f0e2a9b7d4f1e8a6c2b0d9e7f1a3b"
QWEN_EOS = 151645  # matched_stop: the EOS token id SGLang reports for a natural stop


def _chunk(delta: dict[str, Any], finish: str | None = None, matched: int | str | None = None,
           usage: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk`` as pydantic dumps it: every field, nulls included."""
    full = {"role": None, "content": None, "reasoning_content": None, "tool_calls": None,
            **delta}
    return {"id": RID, "object": "chat.completion.chunk", "created": 1750000000, "model": "m",
            "choices": [{"index": 0, "delta": full, "logprobs": None, "finish_reason": finish,
                         "matched_stop": matched}],
            "usage": usage}


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"prompt_tokens": prompt, "total_tokens": prompt + completion,
            "completion_tokens": completion, "prompt_tokens_details": None}


def _usage_chunk(prompt: int, completion: int) -> dict[str, Any]:
    """The extra chunk for ``stream_options.include_usage``: ``choices`` is empty."""
    return {"id": RID, "object": "chat.completion.chunk", "created": 1750000000, "model": "m",
            "choices": [], "usage": _usage(prompt, completion)}


def _role() -> dict[str, Any]:
    return _chunk({"role": "assistant", "content": ""})


def _text(text: str) -> dict[str, Any]:
    return _chunk({"content": text})


def _think(text: str) -> dict[str, Any]:
    return _chunk({"reasoning_content": text})


def _call(index: int, call_id: str | None, name: str | None, args: str) -> dict[str, Any]:
    """A tool-call delta: the first one of a call has ``id`` and ``name`` (and empty
    arguments), the following ones only argument text, with ``id``/``name`` null."""
    return _chunk({"tool_calls": [{"id": call_id, "index": index, "type": "function",
                                   "function": {"name": name, "arguments": args}}]})


def _error(message: str, kind: str = "BadRequestError", code: int = 400) -> dict[str, Any]:
    """``ErrorResponse.model_dump()``: flat, ``code`` is the HTTP status."""
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


def _stream_error(message: str, kind: str = "BadRequestError", code: int = 400) -> str:
    """``create_streaming_error_response``: ``json.dumps({"error": ErrorResponse})``."""
    return f"data: {json.dumps({'error': _error(message, kind, code)})}\n\n"


INPUT_TOO_LONG = ("The input (40123 tokens) is longer than the model's context length "
                  "(32768 tokens).")
TOTAL_TOO_LONG = ("Requested token count exceeds the model's maximum context length of 32768 "
                  "tokens. You requested a total of 33792 tokens: 1024 tokens from the input "
                  "messages and 32768 tokens for the completion. Please reduce the number of "
                  "tokens in the input messages or the completion to fit within the limit.")
SCHEDULER_TOO_LONG = ("Input length (40000 tokens) exceeds the maximum allowed length (32767 "
                      "tokens). Use a shorter input or enable --allow-auto-truncate.")

CASES = [
    # -- streams: current serving layer --------------------------------------------------
    Case("sglang-stream-plain", f"{CHAT}: role chunk, content, finish chunk with "
         "matched_stop, usage chunk (choices []), [DONE]", "openai",
         sse(_role(), _text("Hel"), _text("lo"), _chunk({}, "stop", QWEN_EOS),
             _usage_chunk(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("sglang-stream-matched-stop-string", f"{CHAT}: FINISH_MATCHED_STR -> matched_stop "
         "is the stop string", "openai",
         sse(_role(), _text("4"), _chunk({}, "stop", "</answer>"), _usage_chunk(20, 2), DONE),
         Answer("4", finish_reason="stop", usage=(20, 2))),
    Case("sglang-stream-length", f"{CHAT}: FINISH_LENGTH -> finish_reason length, "
         "matched_stop null", "openai",
         sse(_role(), _text("Once upon"), _chunk({}, "length"), _usage_chunk(9, 2), DONE),
         Answer("Once upon", finish_reason="length", usage=(9, 2))),
    Case("sglang-stream-reasoning", f"{CHAT} _process_reasoning_stream (--reasoning-parser "
         "qwen3): reasoning_content deltas, then content", "openai",
         sse(_role(), _think("The user"), _think(" greets."), _text("Hi!"),
             _chunk({}, "stop", QWEN_EOS), _usage_chunk(10, 8), DONE),
         Answer("Hi!", reasoning="The user greets.", finish_reason="stop", usage=(10, 8))),
    Case("sglang-stream-tool-call", f"{CHAT} _process_tool_call_stream (id "
         "call_<24 hex> and name once, then argument pieces with id/name null); stop with "
         "tool calls -> finish_reason tool_calls, matched_stop still the EOS id", "openai",
         sse(_role(), _call(0, "call_3f2a9c81d04e4b7fa1c2d3e4", "get_weather", ""),
             _call(0, None, None, '{"city": "'), _call(0, None, None, 'Paris"}'),
             _chunk({}, "tool_calls", QWEN_EOS), _usage_chunk(150, 21), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),),
                finish_reason="tool_calls", usage=(150, 21))),
    Case("sglang-stream-text-then-two-calls-kimi-ids", f"{CHAT}: normal text before the "
         "calls; kimi_k2 parser ids functions.<name>:<index>", "openai",
         sse(_role(), _text("Checking both."),
             _call(0, "functions.get_weather:0", "get_weather", ""),
             _call(0, None, None, '{"city": "Paris"}'),
             _call(1, "functions.get_weather:1", "get_weather", ""),
             _call(1, None, None, '{"city": "Rome"}'),
             _chunk({}, "tool_calls", 163586), _usage_chunk(200, 40), DONE),
         Answer("Checking both.", tool_calls=(Call("get_weather", {"city": "Paris"}),
                                              Call("get_weather", {"city": "Rome"})),
                finish_reason="tool_calls", usage=(200, 40))),
    # -- streams: the older adapter (openai_api/adapter.py) --------------------------------
    Case("sglang-adapter-stream-finish-with-usage", f"{ADAPTER}: with include_usage the "
         "content chunks carry no finish_reason; the last chunk has the finish_reason in "
         "choices and the usage together", "openai",
         sse(_chunk({"role": "assistant"}), _text("Hel"), _text("lo"),
             _chunk({}, "stop", usage=_usage(12, 3)), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("sglang-stream-cut-after-abort", "https://github.com/sgl-project/sglang/pull/19514 "
         "(an aborted streaming request raised KeyError 'prompt_tokens' in serving_chat, "
         "breaking the SSE connection: no finish chunk, no [DONE])", "openai",
         sse(_role(), _text("Hel")),
         Failure(StreamInterrupted, partial="Hel")),
    # -- errors inside a 200 stream -------------------------------------------------------
    Case("sglang-stream-error-context-length", f"{CHAT} / {ADAPTER}: except ValueError -> "
         f"data: {{\"error\": ErrorResponse}} then [DONE], before any chunk; {TOKENIZER}",
         "openai",
         sse(_stream_error(INPUT_TOO_LONG), DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 40123, "n_ctx": 32768},
                 says=("longer than the model's context length",),
                 rule="sglang-context-length")),
    Case("sglang-stream-error-context-total", f"{CHAT}: in-stream ValueError; {TOKENIZER} "
         "(validate_total_tokens: input + max_new_tokens > context_len)", "openai",
         sse(_stream_error(TOTAL_TOO_LONG), DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 1024, "n_ctx": 32768},
                 says=("maximum context length of 32768 tokens",),
                 rule="sglang-context-length-total")),
    Case("sglang-stream-error-scheduler-input-length",
         f"{REPO} python/sglang/srt/managers/utils.py @005f6ca5 validate_input_length + "
         "schedule_batch.py set_finish_with_abort (FINISH_ABORT BAD_REQUEST) + "
         "serving_chat.py abort -> create_streaming_error_response(message, code.name, "
         "code.value) (https://github.com/sgl-project/sglang/pull/19357)", "openai",
         sse(_stream_error(SCHEDULER_TOO_LONG, "BAD_REQUEST", 400), DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 40000, "n_ctx": 32767},
                 says=("exceeds the maximum allowed length",), rule="sglang-input-length")),
    Case("sglang-stream-error-queue-full",
         "sgl-project/sglang scheduler.py _abort_on_queued_limit (status SERVICE_UNAVAILABLE, "
         "'The request queue is full.') + serving_chat abort -> in-stream error "
         "(https://github.com/sgl-project/sglang/pull/19357; "
         "https://github.com/sgl-project/sglang/pull/28175: sent in-band under HTTP 200)",
         "openai",
         sse(_stream_error("The request queue is full.", "SERVICE_UNAVAILABLE", 503), DONE),
         Failure(ServerError, says=("request queue is full",))),
    Case("sglang-stream-error-bad-sampling",
         f"{REPO} python/sglang/srt/sampling/sampling_params.py @00c17caf verify (ValueError "
         f"raised while tokenizing, inside the stream generator); {CHAT} except ValueError",
         "openai",
         sse(_stream_error("top_p must be in (0, 1], got 1.5."), DONE),
         Failure(BadRequest, says=("top_p must be in (0, 1]",))),
    # -- HTTP errors ------------------------------------------------------------------------
    Case("sglang-400-context-length", f"{ERRORS}; {TOKENIZER}; streaming requests answer it "
         "as HTTP 400 where _handle_streaming_request kick-starts the generator "
         "(https://github.com/sgl-project/sglang/pull/28175)", "openai",
         answer(_error(INPUT_TOO_LONG), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 40123,
                                          "n_ctx": 32768},
                 says=("longer than the model's context length",),
                 rule="sglang-context-length")),
    Case("sglang-400-context-total", f"{ERRORS}; {TOKENIZER}", "openai",
         answer(_error(TOTAL_TOO_LONG), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 1024,
                                          "n_ctx": 32768},
                 says=("You requested a total of 33792 tokens",),
                 rule="sglang-context-length-total")),
    Case("sglang-400-max-completion-tokens", f"{CHAT} _validate_request (max_completion_tokens "
         "> --context-length; note the missing space after the first period) + {ERRORS}",
         "openai",
         answer(_error("max_completion_tokens is too large: 40000.This model supports at most "
                       "32768 completion tokens."), status=400),
         Failure(BadRequest, fields={"status": 400}, says=("max_completion_tokens is too",))),
    Case("sglang-400-tool-choice-required", f"{CHAT} _validate_request + {ERRORS}", "openai",
         answer(_error("Tools cannot be empty if tool choice is set to required."), status=400),
         Failure(BadRequest, fields={"status": 400}, says=("Tools cannot be empty",))),
    Case("sglang-500-internal", f"{ERRORS} handle_request except Exception -> "
         "'Internal server error: ...' InternalServerError 500", "openai",
         answer(_error("Internal server error: list index out of range",
                       "InternalServerError", 500), status=500),
         Failure(ServerError, fields={"status": 500}, says=("list index out of range",))),
    Case("sglang-401-unauthorized", f"{REPO} python/sglang/srt/utils.py add_api_key_middleware "
         "(--api-key): 401 {\"error\": \"Unauthorized\"}", "openai",
         answer({"error": "Unauthorized"}, status=401),
         Failure(AuthenticationError, fields={"status": 401})),
    # -- models and embeddings --------------------------------------------------------------
    Case("sglang-models-max-model-len", f"{REPO} python/sglang/srt/entrypoints/http_server.py "
         "available_models: ModelCard(id=served_model_name, root=..., "
         "max_model_len=model_config.context_len); LoRA adapters listed with parent and "
         "max_model_len None", "openai",
         answer({"object": "list", "data": [
             {"id": "Qwen/Qwen2.5-7B-Instruct", "object": "model", "created": 1750000000,
              "owned_by": "sglang", "root": "Qwen/Qwen2.5-7B-Instruct", "parent": None,
              "max_model_len": 32768},
             {"id": "sql-lora", "object": "model", "created": 1750000000,
              "owned_by": "sglang", "root": "/adapters/sql-lora",
              "parent": "Qwen/Qwen2.5-7B-Instruct", "max_model_len": None}]}),
         Listing(("Qwen/Qwen2.5-7B-Instruct", "sql-lora"),
                 {"Qwen/Qwen2.5-7B-Instruct": 32768}), call="models"),
    Case("sglang-embeddings", f"{REPO} python/sglang/srt/entrypoints/openai/"
         "serving_embedding.py @bf5ceddc _build_embedding_response + protocol.py "
         "EmbeddingResponse", "openai",
         answer({"data": [{"embedding": [0.1, -0.2, 0.3, 0.4], "index": 0,
                           "object": "embedding"},
                          {"embedding": [0.0, 0.5, -0.1, 0.2], "index": 1,
                           "object": "embedding"}],
                 "model": "BAAI/bge-small-en-v1.5", "object": "list",
                 "usage": {"prompt_tokens": 4, "total_tokens": 4, "completion_tokens": 0,
                           "prompt_tokens_details": None}}),
         Vectors(2, 4), call="embed"),
    Case("sglang-400-embed-on-generation-model", f"{TOKENIZER} (EmbeddingReqInput on a "
         "generation model) + serving_embedding.py except ValueError -> create_error_response",
         "openai",
         answer(_error("This model does not appear to be an embedding model by default. "
                       "Please add `--is-embedding` when launching the server or try another "
                       "model."), status=400),
         Failure(BadRequest, fields={"status": 400}, says=("--is-embedding",)),
         call="embed"),
]

