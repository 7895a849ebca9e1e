"""llama.cpp ``llama-server`` across builds: the chat stream (content, reasoning, tool-call
fragments, usage and ``timings``, pings), its in-stream errors in all three wire forms
(``error: {...}`` then ``[DONE]``; ``data: {"error": ...}`` then ``[DONE]``; ``data:
{"error": ...}`` and the end of the body), the HTTP error answers of ``format_error_response``
and the middlewares (plain text in early 2024 builds), router mode, ``/v1/models``, ``/props``
and ``/v1/embeddings``.

Builds named below: b2000 (2024-01), b3500 (2024-08), b4500 (2025-01), b4747 (2025-02) read in
ggerganov/llama.cpp at those tags; "current" is ggml-org/llama.cpp ``tools/server/`` as stored
(after PR #16486, 2025-10). The in-stream error form changed twice: PR #16109 (2025-09) replaced
the ``error:`` field, which SSE decoders drop, by ``data: {"error": ...}``; PR #16486 (2025-10)
answers an error before the first token with its HTTP status, and the refactored stream ends
without ``[DONE]`` after a later error.
"""

from __future__ import annotations

import json
from typing import Any

from localllm.errors import (
    AuthenticationError,
    BadRequest,
    ContextOverflow,
    ModelNotFound,
    ServerError,
    StreamInterrupted,
)

from ..case import DONE, Answer, Call, Case, Failure, Listing, Shown, Vectors, answer, raw, sse

# -- evidence shorthand -------------------------------------------------------------------------
OLD = "ggerganov/llama.cpp examples/server/server.cpp"
OLD_UTILS = "ggerganov/llama.cpp examples/server/utils.hpp"
CUR = "ggml-org/llama.cpp tools/server"
TASK = f"{CUR}/server-task.cpp @00efb3e1 (to_json_oaicompat_chat_stream, " \
    "server_task_result_cmpl_partial::to_json_oaicompat_chat, result_timings::to_json)"
DIFF = "ggml-org/llama.cpp common/chat.cpp common_chat_msg_diff_to_json_oaicompat"
ROUTES = f"{CUR}/server-context.cpp @001d906a"
STREAM_CUR = f"{ROUTES} handle_completions_impl (first error as HTTP answer, PR #16486; " \
    "later error: format_oai_sse({error}) then return false, no [DONE])"
STREAM_B4500 = f"{OLD} b4500 handle_completions_impl: server_sent_event(sink, \"error\", " \
    "error_data) then ev_done \"data: [DONE]\"; utils.hpp server_sent_event"
PR_16109 = "https://github.com/ggml-org/llama.cpp/pull/16109 (error: field -> data: {error})"
HTTP_CUR = f"{CUR}/server-http.cpp @00dd0816 (middlewares, error handler)"
ROUTER = f"{CUR}/server-models.cpp router_validate_model / get_router_models"

FP = "b6700-1a2b3c4d"  # system_fingerprint is build_info: "b<number>-<commit>"
ALIAS = "qwen2.5-7b-instruct"

OVERFLOW_OLD = ("the request exceeds the available context size. try increasing the context "
                "size or enable context shift")
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]


# -- current build (tools/server/server-task.cpp) ---------------------------------------------
def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A ``chat.completion.chunk`` of a current build (key order as the server writes it)."""
    return {"choices": [{"finish_reason": finish, "index": 0, "delta": delta}],
            "created": 1760000000, "id": "chatcmpl-Zx81kQ2", "model": ALIAS,
            "system_fingerprint": FP, "object": "chat.completion.chunk", **extra}


def _first() -> dict[str, Any]:
    """``n_decoded == 1``: the OpenAI-conforming role chunk, content null."""
    return _chunk({"role": "assistant", "content": None})


def _timings(prompt_n: int = 12, predicted_n: int = 3, cache_n: int = 0) -> dict[str, Any]:
    return {"cache_n": cache_n, "prompt_n": prompt_n, "prompt_ms": 31.2,
            "prompt_per_token_ms": 2.6, "prompt_per_second": 384.6,
            "predicted_n": predicted_n, "predicted_ms": 40.5,
            "predicted_per_token_ms": 13.5, "predicted_per_second": 74.07}


def _usage_chunk(prompt: int = 12, completion: int = 3, cache_n: int = 0) -> dict[str, Any]:
    """``include_usage``: a last chunk with ``choices: []``; ``timings`` ride on the last chunk."""
    return {"choices": [], "created": 1760000000, "id": "chatcmpl-Zx81kQ2", "model": ALIAS,
            "system_fingerprint": FP, "object": "chat.completion.chunk",
            "usage": {"completion_tokens": completion, "prompt_tokens": prompt,
                      "total_tokens": prompt + completion},
            "timings": _timings(prompt, completion, cache_n)}


def _tool_header(index: int, call_id: str, name: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "id": call_id, "type": "function",
                            "function": {"name": name, "arguments": ""}}]}


def _tool_args(index: int, piece: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}


# -- b4500 (2025-01): no role chunk (n_decoded is 1 already), usage in the finish chunk --------
def _b4500(content: str) -> dict[str, Any]:
    return {"choices": [{"finish_reason": None, "index": 0, "delta": {"content": content}}],
            "created": 1737100000, "id": "chatcmpl-8mZQ1", "model": "gpt-3.5-turbo",
            "system_fingerprint": "b4500-adc51252", "object": "chat.completion.chunk"}


def _b4500_final(prompt: int, completion: int, finish: str = "stop") -> dict[str, Any]:
    return {"choices": [{"finish_reason": finish, "index": 0, "delta": {}}],
            "created": 1737100000, "id": "chatcmpl-8mZQ1", "model": "gpt-3.5-turbo",
            "system_fingerprint": "b4500-adc51252", "object": "chat.completion.chunk",
            "usage": {"completion_tokens": completion, "prompt_tokens": prompt,
                      "total_tokens": prompt + completion},
            "timings": {"prompt_n": prompt, "prompt_ms": 55.1, "prompt_per_token_ms": 4.6,
                        "prompt_per_second": 217.8, "predicted_n": completion,
                        "predicted_ms": 61.0, "predicted_per_token_ms": 20.3,
                        "predicted_per_second": 49.2}}


# -- b3500 (2024-08): role chunk then content, usage in the finish chunk, no [DONE] ------------
def _b3500(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"choices": [{"finish_reason": finish, "index": 0, "delta": delta}],
            "created": 1722500000, "id": "chatcmpl-Pq3x", "model": "gpt-3.5-turbo-0613",
            "object": "chat.completion.chunk", **extra}


def _error_field(payload: dict[str, Any]) -> str:
    """What ``server_sent_event(sink, "error", error_data)`` writes (an SSE field named
    ``error``, which a WHATWG decoder ignores)."""
    return f"error: {json.dumps(payload)}\n\n"


def _err(message: str, kind: str, code: int, **fields: Any) -> dict[str, Any]:
    """``format_error_response`` (server-common.cpp; key order code, message, type)."""
    return {"code": code, "message": message, "type": kind, **fields}


def _http(message: str, kind: str, code: int, **fields: Any) -> Any:
    """``res_error`` / ``res->error``: ``{"error": format_error_response(...)}`` with
    ``code`` as HTTP status."""
    return answer({"error": _err(message, kind, code, **fields)}, status=code,
                  content_type="application/json; charset=utf-8")


def _props_current(n_ctx: int, *, tools: bool, vision: bool) -> dict[str, Any]:
    """``get_res_props`` of a current build."""
    caps = {"supports_tools": tools, "supports_tool_calls": tools,
            "supports_tool_responses": tools, "supports_system_role": True,
            "supports_parallel_tool_calls": tools, "supports_tool_call_id": tools,
            "requires_object_arguments": False, "requires_typed_content": False}
    return {"default_generation_settings": {"params": {"temperature": 0.8, "top_k": 40,
                                                       "n_predict": -1},
                                            "n_ctx": n_ctx},
            "total_slots": 4, "model_alias": ALIAS, "model_ftype": "Q4_K - Medium",
            "model_path": "/models/qwen2.5-7b-instruct-q4_k_m.gguf",
            "modalities": {"vision": vision, "video": False, "audio": False},
            "media_marker": "<__media__>", "endpoint_slots": True, "endpoint_props": False,
            "endpoint_metrics": False, "ui": True, "ui_settings": {},
            "chat_template": "{% for message in messages %}...{% endfor %}",
            "chat_template_caps": caps, "bos_token": "", "eos_token": "<|im_end|>",
            "build_info": FP, "is_sleeping": False, "cors_proxy_enabled": False}


def _meta_b4500(n_ctx_train: int) -> dict[str, Any]:
    """``model_meta()`` (b4000 .. late 2025)."""
    return {"vocab_type": 2, "n_vocab": 152064, "n_ctx_train": n_ctx_train, "n_embd": 3584,
            "n_params": 7615616512, "size": 4677120000}


def _models_b4500(model_id: str, n_ctx_train: int) -> Any:
    return answer({"object": "list", "data": [{
        "id": model_id, "object": "model", "created": 1737100000, "owned_by": "llamacpp",
        "meta": _meta_b4500(n_ctx_train)}]}, content_type="application/json; charset=utf-8")


def _models_current(n_ctx: int, n_ctx_train: int) -> dict[str, Any]:
    """``get_res_models`` of a current build: an Ollama-style ``models`` list next to the
    OpenAI ``data`` list; ``meta.n_ctx`` is the per-slot context."""
    return {"models": [{"name": ALIAS, "model": ALIAS, "modified_at": "", "size": "",
                        "digest": "", "type": "model", "description": "", "tags": [""],
                        "capabilities": ["completion"], "parameters": "",
                        "details": {"parent_model": "", "format": "gguf", "family": "",
                                    "families": [""], "parameter_size": "",
                                    "quantization_level": ""}}],
            "object": "list",
            "data": [{"id": ALIAS, "aliases": [], "tags": [], "object": "model",
                      "created": 1760000000, "owned_by": "llamacpp",
                      "meta": {"vocab_type": 2, "n_vocab": 152064, "n_ctx": n_ctx,
                               "n_ctx_train": n_ctx_train, "n_embd": 3584,
                               "n_params": 7615616512, "size": 4677120000,
                               "ftype": "Q4_K - Medium"}}]}


def _embeddings(vectors: list[list[float]], prompt_tokens: int) -> Any:
    """``format_embeddings_response_oaicompat`` (current: usage counts the tokens)."""
    return answer({"model": ALIAS, "object": "list",
                   "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
                   "data": [{"embedding": v, "index": i, "object": "embedding"}
                            for i, v in enumerate(vectors)]},
                  content_type="application/json; charset=utf-8")


CASES = [
    # -- streams -----------------------------------------------------------------------------
    Case("llamacpp-stream-current-usage-timings",
         f"{TASK}; {STREAM_CUR}", "openai",
         sse(_first(), _chunk({"content": "Hel"}), _chunk({"content": "lo"}),
             _chunk({}, "stop"), _usage_chunk(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3)), model=ALIAS),
    Case("llamacpp-stream-current-length",
         f"{TASK}: finish_reason \"length\" unless STOP_TYPE_WORD/EOS", "openai",
         sse(_first(), _chunk({"content": "One two"}), _chunk({"content": " three"}),
             _chunk({}, "length"), _usage_chunk(9, 3), DONE),
         Answer("One two three", finish_reason="length", usage=(9, 3)), model=ALIAS),
    Case("llamacpp-stream-current-cache-hit-ping",
         f"{ROUTES} handle_completions_impl: sse_ping_interval writes \":\\n\\n\"; {TASK} "
         "(timings.cache_n)", "openai",
         sse(_first(), ":\n\n", _chunk({"content": "Yes"}), ":\n\n", _chunk({}, "stop"),
             _usage_chunk(40, 1, cache_n=1100), DONE),
         Answer("Yes", finish_reason="stop", usage=(40, 1)), model=ALIAS),
    Case("llamacpp-stream-reasoning-content",
         f"{TASK}; {DIFF}: reasoning_content delta (--reasoning-format deepseek)", "openai",
         sse(_first(), _chunk({"reasoning_content": "The user"}),
             _chunk({"reasoning_content": " greets me."}), _chunk({"content": "Hi!"}),
             _chunk({}, "stop"), _usage_chunk(10, 8), DONE),
         Answer("Hi!", reasoning="The user greets me.", finish_reason="stop", usage=(10, 8)),
         model=ALIAS),
    Case("llamacpp-stream-tool-call-fragments",
         f"{TASK} (finish_reason tool_calls); {DIFF}: header fragment with id, type and name, "
         "then index + function.arguments pieces", "openai",
         sse(_first(), _chunk(_tool_header(0, "pQ7mX2aL9", "get_weather")),
             _chunk(_tool_args(0, "{\"city\":")), _chunk(_tool_args(0, " \"Paris\"}")),
             _chunk({}, "tool_calls"), _usage_chunk(150, 18), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),),
                finish_reason="tool_calls", usage=(150, 18)),
         model=ALIAS, options={"tools": TOOLS}),
    Case("llamacpp-stream-two-tool-calls",
         f"{TASK}; {DIFF}; server-task.cpp update_chat_msg (a header per call index)",
         "openai",
         sse(_first(), _chunk(_tool_header(0, "aaaa1111", "get_weather")),
             _chunk(_tool_args(0, "{\"city\": \"Paris\"}")),
             _chunk(_tool_header(1, "bbbb2222", "get_weather")),
             _chunk(_tool_args(1, "{\"city\": \"Rome\"}")),
             _chunk({}, "tool_calls"), _usage_chunk(150, 30), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),
                            Call("get_weather", {"city": "Rome"})),
                finish_reason="tool_calls", usage=(150, 30)),
         model=ALIAS, options={"tools": TOOLS}),
    Case("llamacpp-stream-b4500-usage-in-finish-chunk",
         f"{OLD} b4500 server_task_result_cmpl_partial::to_json_oaicompat_chat (first = "
         "n_decoded == 0, never true: no role chunk) and to_json_oaicompat_chat_stream (usage "
         "and timings in the finish chunk, stream_options ignored); ev_done", "openai",
         sse(_b4500("Hel"), _b4500("lo"), _b4500_final(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("llamacpp-stream-b3500-no-done",
         f"{OLD_UTILS} b3500 format_partial_response_oaicompat (role chunk, content, finish "
         "chunk with usage); {OLD} b3500 handle_chat_completions writes no [DONE]", "openai",
         sse(_b3500({"role": "assistant"}), _b3500({"content": "Hel"}),
             _b3500({"content": "lo"}),
             _b3500({}, "stop", usage={"completion_tokens": 3, "prompt_tokens": 12,
                                       "total_tokens": 15})),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("llamacpp-stream-b3500-cut-before-finish",
         f"{OLD_UTILS} b3500 format_partial_response_oaicompat; a b3500 stream has no [DONE], "
         "so only the finish chunk tells complete from cut", "openai",
         sse(_b3500({"role": "assistant"}), _b3500({"content": "Hel"})),
         Failure(StreamInterrupted, partial="Hel")),

    # -- in-stream errors ----------------------------------------------------------------------
    Case("llamacpp-stream-error-field-context-b4500",
         f"{STREAM_B4500}; b4500 send_error(slot, \"{OVERFLOW_OLD}\", "
         "ERROR_TYPE_INVALID_REQUEST); raw: https://github.com/coddy-project/coddy-agent/pull/106"
         " (b5966)", "openai",
         raw(_error_field(_err(OVERFLOW_OLD, "invalid_request_error", 400)), DONE),
         Failure(ContextOverflow, says=("exceeds the available context size",),
                 rule="llamacpp-context-exceeded")),
    Case("llamacpp-stream-error-field-exceed-type",
         "https://github.com/ggml-org/llama.cpp/pull/15780 (exceed_context_size_error with "
         f"n_prompt_tokens/n_ctx, example body verbatim) before {PR_16109}", "openai",
         raw(_error_field(_err(OVERFLOW_OLD, "exceed_context_size_error", 500,
                               n_prompt_tokens=1407, n_ctx=256)), DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 1407, "n_ctx": 256},
                 says=("exceeds the available context size",),
                 rule="llamacpp-context-size")),
    Case("llamacpp-stream-error-field-kv-full-after-output",
         f"{STREAM_B4500}; b4500 update_slots: KV cache full -> send_error(slot, \"Input prompt "
         "is too big compared to KV size. Please try increasing KV size.\") to every slot",
         "openai",
         raw(f"data: {json.dumps(_b4500('Hel'))}\n\n",
             _error_field(_err("Input prompt is too big compared to KV size. Please try "
                               "increasing KV size.", "server_error", 500)), DONE),
         Failure(ServerError, says=("KV size",), partial="Hel", rule="llamacpp-kv-cache-full")),
    Case("llamacpp-stream-data-error-exceed-with-done",
         f"{PR_16109} + ev_done; raw body: https://github.com/oobabooga/textgen/issues/7257",
         "openai",
         sse({"error": _err(OVERFLOW_OLD, "exceed_context_size_error", 400,
                            n_prompt_tokens=14429, n_ctx=8192)}, DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 14429, "n_ctx": 8192},
                 says=("exceeds the available context size",),
                 rule="llamacpp-context-size")),
    Case("llamacpp-stream-data-error-after-output-no-done",
         f"{STREAM_CUR}; server-context.cpp decode(): \"Context size has been exceeded.\" "
         "(ret == 1 at n_batch 1, ERROR_TYPE_SERVER) to every processing slot", "openai",
         sse(_first(), _chunk({"content": "Hel"}),
             {"error": _err("Context size has been exceeded.", "server_error", 500)}),
         Failure(ServerError, says=("Context size has been exceeded",), partial="Hel",
                 rule="llamacpp-kv-cache-full")),

    # -- HTTP errors ---------------------------------------------------------------------------
    Case("llamacpp-400-exceed-context-numbers",
         f"{ROUTES} update_slots: \"request (%d tokens) exceeds the available context size (%d "
         "tokens), try increasing it\" ERROR_TYPE_EXCEED_CONTEXT_SIZE; server-task.cpp "
         "server_task_result_error::to_json; raw: "
         "https://github.com/ggml-org/llama.cpp/issues/19774 (version 8064)", "openai",
         _http("request (4390 tokens) exceeds the available context size (4096 tokens), try "
               "increasing it", "exceed_context_size_error", 400,
               n_prompt_tokens=4390, n_ctx=4096),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 4390, "n_ctx": 4096},
                 says=("exceeds the available context size",),
                 rule="llamacpp-context-size")),
    Case("llamacpp-500-context-size-exceeded",
         f"{ROUTES} decode(): \"Context size has been exceeded.\" (KV cells exhausted, "
         "ERROR_TYPE_SERVER); raw: https://github.com/ggml-org/llama.cpp/issues/19774", "openai",
         _http("Context size has been exceeded.", "server_error", 500),
         Failure(ServerError, fields={"status": 500}, says=("Context size has been exceeded",),
                 rule="llamacpp-kv-cache-full")),
    Case("llamacpp-503-loading-model-b4500",
         f"{OLD} b4500 middleware_server_state: format_error_response(\"Loading model\", "
         "ERROR_TYPE_UNAVAILABLE)", "openai",
         _http("Loading model", "unavailable_error", 503),
         Failure(ServerError, fields={"status": 503, "retryable": True},
                 says=("Loading model",))),
    Case("llamacpp-503-loading-model-current",
         f"{HTTP_CUR}: middleware_server_state (key order message, type, code)", "openai",
         answer({"error": {"message": "Loading model", "type": "unavailable_error",
                           "code": 503}}, status=503,
                content_type="application/json; charset=utf-8"),
         Failure(ServerError, fields={"status": 503, "retryable": True},
                 says=("Loading model",))),
    Case("llamacpp-401-invalid-api-key",
         f"{HTTP_CUR}: middleware_validate_api_key; {OLD} b4500 format_error_response(\"Invalid "
         "API Key\", ERROR_TYPE_AUTHENTICATION)", "openai",
         answer({"error": {"message": "Invalid API Key", "type": "authentication_error",
                           "code": 401}}, status=401,
                content_type="application/json; charset=utf-8"),
         Failure(AuthenticationError, fields={"status": 401}, says=("Invalid API Key",))),
    Case("llamacpp-401-plain-text-b2000",
         f"{OLD} b2000 validate_api_key: res.set_content(\"Unauthorized: Invalid API Key\", "
         "\"text/plain; charset=utf-8\"), status 401", "openai",
         answer("Unauthorized: Invalid API Key", status=401,
                content_type="text/plain; charset=utf-8"),
         Failure(AuthenticationError, fields={"status": 401}, says=("Invalid API Key",))),
    Case("llamacpp-404-file-not-found",
         f"{HTTP_CUR}: set_error_handler 404 {{\"error\": {{\"message\": \"File Not Found\", "
         "\"type\": \"not_found_error\", \"code\": 404}} (unknown path, e.g. --api-prefix)",
         "openai",
         answer({"error": {"message": "File Not Found", "type": "not_found_error",
                           "code": 404}}, status=404,
                content_type="application/json; charset=utf-8"),
         Failure(BadRequest, fields={"status": 404}, says=("File Not Found",),
                 rule="llamacpp-file-not-found")),
    Case("llamacpp-404-plain-text-b2000",
         f"{OLD} b2000 set_error_handler: res.set_content(\"File Not Found\", "
         "\"text/plain; charset=utf-8\")", "openai",
         answer("File Not Found", status=404, content_type="text/plain; charset=utf-8"),
         Failure(BadRequest, fields={"status": 404}, says=("File Not Found",),
                 rule="llamacpp-file-not-found")),
    Case("llamacpp-501-completions-on-embedding-server",
         f"{OLD} b4000 handle_chat_completions: format_error_response(\"This server does not "
         "support completions. Start it without `--embeddings` or `--reranking`\", "
         "ERROR_TYPE_NOT_SUPPORTED)", "openai",
         _http("This server does not support completions. Start it without `--embeddings` or "
               "`--reranking`", "not_supported_error", 501),
         Failure(BadRequest, fields={"status": 501},
                 says=("does not support completions",), rule="llamacpp-not-supported")),
    Case("llamacpp-500-tools-with-stream-b4747",
         f"{OLD_UTILS} b4747 oaicompat_completion_params_parse: runtime_error(\"Cannot use tools "
         f"with stream\"); {OLD} b4747 set_exception_handler -> ERROR_TYPE_SERVER", "openai",
         _http("Cannot use tools with stream", "server_error", 500),
         Failure(BadRequest, fields={"status": 500}, says=("Cannot use tools with stream",),
                 rule="llamacpp-request-unsupported"),
         model=ALIAS, options={"tools": TOOLS}),
    Case("llamacpp-500-tools-require-jinja-b4747",
         f"{OLD_UTILS} b4747 oaicompat_completion_params_parse: runtime_error(\"tools param "
         f"requires --jinja flag\"); {OLD} b4747 set_exception_handler -> ERROR_TYPE_SERVER",
         "openai",
         _http("tools param requires --jinja flag", "server_error", 500),
         Failure(BadRequest, fields={"status": 500}, says=("requires --jinja",),
                 rule="llamacpp-request-unsupported"),
         model=ALIAS, options={"tools": TOOLS}),
    Case("llamacpp-400-router-model-not-found",
         f"{ROUTER}: format_error_response(\"model not found\", ERROR_TYPE_INVALID_REQUEST)",
         "openai",
         _http("model not found", "invalid_request_error", 400),
         Failure(ModelNotFound, fields={"status": 400}, says=("model not found",),
                 rule="llamacpp-router-model-not-found"),
         model="no-such-model"),
    Case("llamacpp-400-router-model-not-loaded",
         f"{ROUTER}: format_error_response(\"model is not loaded\", ERROR_TYPE_INVALID_REQUEST)"
         " (--no-models-autoload)", "openai",
         _http("model is not loaded", "invalid_request_error", 400),
         Failure(BadRequest, fields={"status": 400}, says=("model is not loaded",),
                 rule="llamacpp-router-model-not-loaded"),
         model=ALIAS),

    # -- embeddings ----------------------------------------------------------------------------
    Case("llamacpp-embed-current",
         f"{CUR}/server-common.cpp @006639c3 format_embeddings_response_oaicompat", "openai",
         _embeddings([[0.1, -0.2, 0.3], [0.0, 0.5, -0.5]], 4),
         Vectors(2, 3), call="embed", model=ALIAS),
    Case("llamacpp-embed-b3500-zero-usage",
         f"{OLD_UTILS} b3500 format_embeddings_response_oaicompat (usage always 0, model "
         "defaults to gpt-3.5-turbo-0613)", "openai",
         answer({"model": "gpt-3.5-turbo-0613", "object": "list",
                 "usage": {"prompt_tokens": 0, "total_tokens": 0},
                 "data": [{"embedding": [0.25, 0.5], "index": 0, "object": "embedding"},
                          {"embedding": [0.75, -0.5], "index": 1, "object": "embedding"}]},
                content_type="application/json; charset=utf-8"),
         Vectors(2, 2), call="embed"),
    Case("llamacpp-501-embeddings-not-enabled",
         f"{ROUTES} handle_embeddings_impl: \"This server does not support embeddings. Start "
         "it with `--embeddings`\" ERROR_TYPE_NOT_SUPPORTED", "openai",
         _http("This server does not support embeddings. Start it with `--embeddings`",
               "not_supported_error", 501),
         Failure(BadRequest, fields={"status": 501}, says=("does not support embeddings",),
                 rule="llamacpp-not-supported"),
         call="embed", model=ALIAS),
    Case("llamacpp-400-embeddings-pooling-none",
         f"{ROUTES} handle_embeddings_impl: \"Pooling type 'none' is not OAI compatible. Please "
         "use a different pooling type\" ERROR_TYPE_INVALID_REQUEST", "openai",
         _http("Pooling type 'none' is not OAI compatible. Please use a different pooling type",
               "invalid_request_error", 400),
         Failure(BadRequest, fields={"status": 400}, says=("Pooling type 'none'",)),
         call="embed", model=ALIAS),
    Case("llamacpp-500-embed-input-too-large-numbers",
         f"{ROUTES} update_slots (!can_split): \"input (%d tokens) is too large to process. "
         "increase the physical batch size (current batch size: %d)\" ERROR_TYPE_SERVER",
         "openai",
         _http("input (900 tokens) is too large to process. increase the physical batch size "
               "(current batch size: 512)", "server_error", 500),
         Failure(ContextOverflow, fields={"status": 500, "n_prompt_tokens": 900, "n_ctx": None},
                 says=("too large to process",), rule="llamacpp-input-too-large"),
         call="embed", model=ALIAS),
    Case("llamacpp-500-embed-input-too-large-b4500",
         f"{OLD} b4500 update_slots: send_error(slot, \"input is too large to process. increase "
         "the physical batch size\", ERROR_TYPE_SERVER)", "openai",
         _http("input is too large to process. increase the physical batch size",
               "server_error", 500),
         Failure(ContextOverflow, fields={"status": 500}, says=("too large to process",),
                 rule="llamacpp-input-too-large"),
         call="embed"),
    Case("llamacpp-400-embed-larger-than-context",
         f"{ROUTES} update_slots (!can_split): \"input (%d tokens) is larger than the max "
         "context size (%d tokens). skipping\" ERROR_TYPE_EXCEED_CONTEXT_SIZE; server-task.cpp "
         "adds n_prompt_tokens/n_ctx", "openai",
         _http("input (9000 tokens) is larger than the max context size (8192 tokens). "
               "skipping", "exceed_context_size_error", 400, n_prompt_tokens=9000, n_ctx=8192),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 9000, "n_ctx": 8192},
                 says=("larger than the max context size",),
                 rule="llamacpp-context-size"),
         call="embed", model=ALIAS),

    # -- /v1/models ----------------------------------------------------------------------------
    Case("llamacpp-models-b2000-unknown-alias",
         f"{OLD} b2000 GET /v1/models (no meta; common.h model_alias default \"unknown\")",
         "openai",
         answer({"object": "list", "data": [{"id": "unknown", "object": "model",
                                             "created": 1706500000, "owned_by": "llamacpp"}]},
                content_type="application/json; charset=utf-8"),
         Listing(("unknown",), {"unknown": None}), call="models"),
    Case("llamacpp-models-b4500-meta",
         f"{OLD} b4500 handle_models + model_meta() (n_ctx_train is the trained size, not a "
         "window)", "openai",
         _models_b4500("/models/qwen2.5-7b-instruct-q4_k_m.gguf", 32768),
         Listing(("/models/qwen2.5-7b-instruct-q4_k_m.gguf",),
                 {"/models/qwen2.5-7b-instruct-q4_k_m.gguf": None}), call="models"),
    Case("llamacpp-models-current-meta-n-ctx",
         f"{ROUTES} get_res_models / get_res_model_info: \"models\" next to \"data\"; "
         "meta.n_ctx = slot_n_ctx", "openai",
         answer(_models_current(8192, 32768), content_type="application/json; charset=utf-8"),
         Listing((ALIAS,), {ALIAS: 8192}), call="models"),
    Case("llamacpp-models-router",
         f"{ROUTER}: get_router_models (status per model, no meta)", "openai",
         answer({"data": [
             {"id": "gemma-3-4b-it", "object": "model", "owned_by": "llamacpp",
              "created": 1760000000, "in_cache": True,
              "path": "/models/gemma-3-4b-it-Q4_K_M.gguf",
              "status": {"value": "loaded", "args": ["llama-server", "--port", "53101"]}},
             {"id": ALIAS, "object": "model", "owned_by": "llamacpp", "created": 1760000000,
              "in_cache": False, "path": "/models/qwen2.5-7b-instruct-q4_k_m.gguf",
              "status": {"value": "unloaded", "args": []}}], "object": "list"},
             content_type="application/json; charset=utf-8"),
         Listing(("gemma-3-4b-it", ALIAS)), call="models"),

    # -- show: /v1/models + /props -------------------------------------------------------------
    Case("llamacpp-show-b3500-props",
         f"{OLD} b3500 handle_props (default_generation_settings = get_formated_generation: "
         "n_ctx per slot) and handle_models (meta.n_ctx_train)", "openai",
         answer({"object": "list", "data": [{
             "id": ALIAS, "object": "model", "created": 1722500000, "owned_by": "llamacpp",
             "meta": {"vocab_type": 2, "n_vocab": 152064, "n_ctx_train": 32768,
                      "n_embd": 3584, "n_params": 7615616512, "size": 4677120000}}]},
             content_type="application/json; charset=utf-8"),
         Shown(context_window=2048, max_context=32768), call="show", model=ALIAS,
         routes={"/props": answer({
             "system_prompt": "",
             "default_generation_settings": {"n_ctx": 2048, "n_predict": -1,
                                             "model": ALIAS, "seed": 4294967295,
                                             "temperature": 0.8, "top_k": 40},
             "total_slots": 4, "chat_template": ""},
             content_type="application/json; charset=utf-8")}),
    Case("llamacpp-show-b4500-props",
         f"{OLD} b4500 handle_props (default_generation_settings = slots[0].to_json(), "
         "build_info) and handle_models", "openai",
         _models_b4500(ALIAS, 32768),
         Shown(context_window=4096, max_context=32768), call="show", model=ALIAS,
         routes={"/props": answer({
             "default_generation_settings": {"id": 0, "id_task": -1, "n_ctx": 4096,
                                             "speculative": False, "is_processing": False,
                                             "non_causal": False, "params": {"n_predict": -1},
                                             "prompt": "", "next_token": {}},
             "total_slots": 4, "model_path": "/models/qwen2.5-7b-instruct-q4_k_m.gguf",
             "chat_template": "", "build_info": "b4500-adc51252"},
             content_type="application/json; charset=utf-8")}),
    Case("llamacpp-show-b2000-no-context",
         f"{OLD} b2000 /props ({{user_name, assistant_name}}) and /v1/models without meta: "
         "nothing states a context window", "openai",
         answer({"object": "list", "data": [{"id": "unknown", "object": "model",
                                             "created": 1706500000, "owned_by": "llamacpp"}]},
                content_type="application/json; charset=utf-8"),
         Shown(context_window=None), call="show", model="unknown",
         routes={"/props": answer({"user_name": "", "assistant_name": ""},
                                  content_type="application/json; charset=utf-8")}),
    Case("llamacpp-show-current-caps-vision",
         f"{ROUTES} get_res_props (chat_template_caps, modalities) and get_res_models", "openai",
         answer(_models_current(8192, 32768), content_type="application/json; charset=utf-8"),
         Shown(context_window=8192, max_context=32768,
               capabilities=("completion", "tools", "vision")),
         call="show", model=ALIAS,
         routes={"/props": answer(_props_current(8192, tools=True, vision=True),
                                  content_type="application/json; charset=utf-8")}),
    Case("llamacpp-show-current-template-without-tools",
         f"{ROUTES} get_res_props: chat_template_caps supports_tools/supports_tool_calls false "
         "(minja chat_template_caps)", "openai",
         answer(_models_current(4096, 131072), content_type="application/json; charset=utf-8"),
         Shown(context_window=4096, max_context=131072, capabilities=("completion",)),
         call="show", model=ALIAS,
         routes={"/props": answer(_props_current(4096, tools=False, vision=False),
                                  content_type="application/json; charset=utf-8")}),
    Case("llamacpp-show-router-props-dummy",
         f"{ROUTER}: get_router_props without ?model= answers a dummy default_generation_settings "
         "with n_ctx 0; get_router_models has no meta", "openai",
         answer({"data": [{"id": ALIAS, "object": "model", "owned_by": "llamacpp",
                           "created": 1760000000, "in_cache": True,
                           "path": "/models/qwen2.5-7b-instruct-q4_k_m.gguf",
                           "status": {"value": "loaded", "args": []}}], "object": "list"},
                content_type="application/json; charset=utf-8"),
         Shown(context_window=None), call="show", model=ALIAS,
         routes={"/props": answer({"role": "router", "max_instances": 4,
                                   "model_alias": "llama-server", "model_path": "none",
                                   "default_generation_settings": {"params": {}, "n_ctx": 0}},
                                  content_type="application/json; charset=utf-8")}),
]
