"""vLLM's OpenAI-compatible server (``vllm serve``) from 0.2.7 to 0.33: the error bodies of
every era (flat ``{"object": "error", ...}`` until 0.10.0, nested ``{"error": {...}}`` from
0.10.1), the context-length messages of each version, errors written inside a 200 stream,
chat streams (role chunk, usage, ``reasoning_content`` / ``reasoning``, tool-call fragments of
the hermes / pythonic / named-tool-choice paths), ``/v1/models`` and ``/v1/embeddings``.

Evidence is the server source of each release as shipped on PyPI (``vllm-X.Y.Z`` wheel,
paths under ``vllm/``), or a vLLM issue that pastes raw output.
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
)

from ..case import DONE, Answer, Call, Case, Failure, Listing, Vectors, answer, raw

# Starlette's StreamingResponse(media_type="text/event-stream") adds the charset.
EVENT_STREAM = "text/event-stream; charset=utf-8"
CID = "chatcmpl-8c2e1f0b4a5d4e6f9a7b3c2d1e0f9a8b"
CREATED = 1718000000
SERVING = "vllm/entrypoints/openai/serving_engine.py"
CHAT = "vllm/entrypoints/openai/serving_chat.py"
PROTOCOL = "vllm/entrypoints/openai/protocol.py"


# -- wire helpers ------------------------------------------------------------------------
def _pyd(obj: Any) -> str:
    """A chunk as pydantic v2 ``model_dump_json`` writes it (compact)."""
    return f"data: {json.dumps(obj, separators=(',', ':'), ensure_ascii=False)}\n\n"


def _dumps(obj: Any) -> str:
    """A record as ``json.dumps`` writes it (create_streaming_error_response, pydantic v1)."""
    return f"data: {json.dumps(obj)}\n\n"


def _stream(*events: str) -> Any:
    return raw(*events, content_type=EVENT_STREAM)


def _chunk(delta: dict[str, Any], finish: str | None = None, *, final: bool = False,
           usage: dict[str, int] | None = None) -> str:
    """One ``chat.completion.chunk`` (serving_chat.py 0.6+, ``exclude_unset=True``): the choice
    has index, delta, logprobs, finish_reason; the finishing chunk adds stop_reason."""
    choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish}
    if final:
        choice["stop_reason"] = None
    obj: dict[str, Any] = {"id": CID, "object": "chat.completion.chunk", "created": CREATED,
                           "model": "m", "choices": [choice]}
    if usage is not None:
        obj["usage"] = usage
    return _pyd(obj)


def _role(**extra: Any) -> str:
    return _chunk({"role": "assistant", "content": ""}, **extra)


def _usage(prompt: int, completion: int) -> dict[str, int]:
    """UsageInfo field order: prompt_tokens, total_tokens, completion_tokens."""
    return {"prompt_tokens": prompt, "total_tokens": prompt + completion,
            "completion_tokens": completion}


def _usage_chunk(prompt: int, completion: int) -> str:
    """The include_usage chunk before [DONE] (``exclude_unset, exclude_none``)."""
    return _pyd({"id": CID, "object": "chat.completion.chunk", "created": CREATED,
                 "model": "m", "choices": [], "usage": _usage(prompt, completion)})


def _flat(message: str, kind: str = "BadRequestError", code: int | None = 400) -> dict[str, Any]:
    """ErrorResponse up to 0.10.0: object, message, type, param, code."""
    return {"object": "error", "message": message, "type": kind, "param": None, "code": code}


def _nested(message: str, kind: str = "BadRequestError", code: int = 400,
            param: str | None = None) -> dict[str, Any]:
    """ErrorResponse from 0.10.1: {"error": ErrorInfo(message, type, param, code)}."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _tool(index: int, **fields: Any) -> dict[str, Any]:
    """A DeltaToolCall as dumped with exclude_unset (field order id, type, index, function)."""
    out = {k: fields[k] for k in ("id", "type") if k in fields}
    out["index"] = index
    out["function"] = fields["function"]
    return out


def _calls(*tools: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": list(tools)}


MODELS_066 = answer({"object": "list", "data": [{
    "id": "m", "object": "model", "created": CREATED, "owned_by": "vllm", "root": "/models/m",
    "parent": None, "max_model_len": 2048, "permission": []}]})

CTX_MSG = ("This model's maximum context length is 2048 tokens. However, you requested 2136 "
           "tokens (2100 in the messages, 36 in the completion). Please reduce the length of "
           "the messages or completion.")
ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."
DECODER_MM = ("The decoder prompt (length 2136) is longer than the maximum model length of 2048. "
              "Make sure that `max_model_len` is no smaller than the number of text tokens plus "
              "multimodal tokens. For image inputs, the number of image tokens depends on the "
              "number of images, and possibly their aspect ratios as well.")
HERMES_NO_TOKENS = ("Hermes 2 Pro Tool parser could not locate tool call start/end tokens in the "
                    "tokenizer!")

ERRORS = [
    # -- context length, every wording ---------------------------------------------------
    Case("vllm-ctx-v027-invalid-request-error",
         "vllm-project/vllm vllm/entrypoints/openai/api_server.py v0.2.7 check_length + "
         "create_error_response (type invalid_request_error, code None); protocol.py "
         "ErrorResponse v0.2.7", "openai",
         answer(_flat(CTX_MSG, "invalid_request_error", None), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2100, "n_ctx": 2048},
                 says=("maximum context length is 2048",), rule="vllm-context-length")),
    Case("vllm-ctx-v066-flat-requested",
         f"vllm-project/vllm {SERVING} v0.6.6 _validate_input (token_num + max_tokens > "
         "max_model_len), create_error_response BadRequestError 400; same text 0.3.3..0.10.0",
         "openai", answer(_flat(CTX_MSG), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2100, "n_ctx": 2048},
                 says=("2100 in the messages",), rule="vllm-context-length")),
    Case("vllm-ctx-v085-messages-only",
         f"vllm-project/vllm {SERVING} v0.8.5 _validate_input, max_tokens None and token_num >= "
         "max_model_len (text has a comma before 'Please'; also v0.4.3..v0.10.0)", "openai",
         answer(_flat("This model's maximum context length is 2048 tokens. However, you "
                      "requested 2100 tokens in the messages, Please reduce the length of the "
                      "messages."), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2100, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v0101-nested-input-tokens",
         f"vllm-project/vllm {SERVING} v0.10.1..v0.14.0 _validate_input (token_num >= "
         "max_model_len); ErrorResponse nested from v0.10.1 (protocol.py ErrorInfo)", "openai",
         answer(_nested("This model's maximum context length is 2048 tokens. However, your "
                        "request has 2100 input tokens. Please reduce the length of the input "
                        "messages."), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2100, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v0101-max-tokens-too-large",
         f"vllm-project/vllm {SERVING} v0.10.1..v0.14.0 _validate_input (token_num + max_tokens "
         "> max_model_len)", "openai",
         answer(_nested("'max_tokens' or 'max_completion_tokens' is too large: 512. This "
                        "model's maximum context length is 2048 tokens and your request has 1600 "
                        "input tokens (512 > 2048 - 1600)."), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 1600, "n_ctx": 2048},
                 says=("too large: 512",), rule="vllm-max-tokens-too-large")),
    Case("vllm-ctx-v018-output-tokens-with-param",
         "vllm-project/vllm vllm/entrypoints/openai/engine/serving.py v0.18.0 _validate_input "
         "raises VLLMValidationError(parameter='max_tokens'); vllm/exceptions.py __str__ appends "
         "'(parameter=..., value=...)'; vllm/entrypoints/utils.py create_error_response sets "
         "param", "openai",
         answer(_nested("This model's maximum context length is 2048 tokens. However, you "
                        "requested 512 output tokens and your prompt contains 1600 input tokens, "
                        "for a total of 2112 tokens (1600 + 512 = 2112 > 2048). Please reduce "
                        "the length of the input prompt or the number of requested output "
                        "tokens. (parameter=max_tokens, value=512)", param="max_tokens"),
                status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 1600, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v024-at-least",
         "vllm-project/vllm vllm/renderers/params.py v0.18.0..v0.24.0 _token_len_check "
         "(qualifier 'at least ' when the tokenizer truncated at max_input_tokens + 1)",
         "openai",
         answer(_nested("This model's maximum context length is 2048 tokens. However, you "
                        "requested 512 output tokens and your prompt contains at least 1537 "
                        "input tokens, for a total of at least 2049 tokens. Please reduce the "
                        "length of the input prompt or the number of requested output tokens. "
                        "(parameter=input_tokens, value=1537)", param="input_tokens"),
                status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v033-no-output-room",
         "vllm-project/vllm vllm/renderers/params.py v0.33.0 _token_len_check; "
         "vllm/entrypoints/serve/exception_handling/error_response.py v0.33.0", "openai",
         answer(_nested("This model's maximum context length is 2048 tokens. However, your "
                        "prompt contains 2100 input tokens, which exceeds this limit even "
                        "without any output tokens. Please reduce the length of the input "
                        "prompt. (parameter=input_tokens, value=2100)", param="input_tokens"),
                status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2100, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v033-characters-not-tokens",
         "vllm-project/vllm vllm/renderers/params.py v0.33.0 _text_len_check (counts "
         "characters before tokenizing: the number is characters, not prompt tokens)", "openai",
         answer(_nested("This model's maximum context length is 2048 tokens. However, your "
                        "prompt contains 40000 characters (more than 32768 characters, which is "
                        "the upper bound for 2048 input tokens). Please reduce the length of the "
                        "input prompt. (parameter=input_text, value=40000)",
                        param="input_text"), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": None, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-v033-max-tokens-over-model-len",
         "vllm-project/vllm vllm/renderers/params.py v0.33.0 TokenizeParams.__post_init__ with "
         "chat_completion/protocol.py build_tok_params (max_total_tokens_param='max_model_len')",
         "openai",
         answer(_nested("max_tokens=4096 cannot be greater than max_model_len=2048. Please "
                        "request fewer output tokens. (parameter=max_tokens, value=4096)",
                        param="max_tokens"), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_ctx": 2048},
                 rule="vllm-max-tokens-too-large")),
    Case("vllm-ctx-decoder-prompt-v012-http",
         "vllm-project/vllm vllm/v1/engine/input_processor.py v0.12.0 _validate_model_input "
         "(ValueError, now raised before the stream starts: serving_chat.py v0.12.0 "
         "_process_inputs -> create_error_response)", "openai",
         answer(_nested("The decoder prompt (length 2136) is longer than the maximum model "
                        "length of 2048. Make sure that `max_model_len` is no smaller than the "
                        "number of text tokens."), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2136, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-decoder-prompt-plus-output-v012",
         "vllm-project/vllm vllm/v1/engine/input_processor.py v0.12.0..v0.33.0 "
         "_validate_model_input (prompt_len == max_prompt_len)", "openai",
         answer(_nested("The decoder prompt (length 2048) plus the number of requested output "
                        "tokens (at least 1) is longer than the maximum model length of 2048. "
                        "Make sure that `max_model_len` is no smaller than the number of text "
                        "tokens (prompt + requested output tokens)."), status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 2048, "n_ctx": 2048},
                 rule="vllm-context-length")),
    Case("vllm-ctx-decoder-prompt-in-stream-v085",
         "vllm-project/vllm vllm/v1/engine/processor.py v0.8.5 _validate_model_input raises "
         "inside AsyncLLM.generate, i.e. inside the stream: serving_chat.py v0.8.5 "
         "chat_completion_stream_generator except -> create_streaming_error_response "
         "({'error': ErrorResponse.model_dump()}) then [DONE]", "openai",
         _stream(_dumps({"error": _flat(DECODER_MM)}), DONE),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 2136, "n_ctx": 2048},
                 says=("decoder prompt",), rule="vllm-context-length")),
    # -- model not found, auth, bad requests ---------------------------------------------
    Case("vllm-404-model-flat-v066",
         f"vllm-project/vllm {SERVING} v0.6.6 _check_model (NotFoundError, 404)", "openai",
         answer(_flat("The model `m` does not exist.", "NotFoundError", 404), status=404),
         Failure(ModelNotFound, fields={"status": 404}, says=("does not exist",),
                 rule="vllm-model-not-found"),
         routes={"/v1/models": MODELS_066}),
    Case("vllm-404-model-nested-v018",
         "vllm-project/vllm vllm/entrypoints/openai/engine/serving.py v0.18.0 _check_model "
         "(param='model')", "openai",
         answer(_nested("The model `m` does not exist.", "NotFoundError", 404, "model"),
                status=404),
         Failure(ModelNotFound, fields={"status": 404}, rule="vllm-model-not-found"),
         routes={"/v1/models": MODELS_066}),
    Case("vllm-404-model-valid-aliases-v033",
         "vllm-project/vllm vllm/entrypoints/serve/engine/serving.py v0.33.0 _check_model "
         "('Valid aliases: ...')", "openai",
         answer(_nested("The model `m` does not exist. Valid aliases: Qwen/Qwen3-0.6B.",
                        "NotFoundError", 404, "model"), status=404),
         Failure(ModelNotFound, fields={"status": 404}, says=("Qwen/Qwen3-0.6B",),
                 rule="vllm-model-not-found")),
    Case("vllm-401-api-key",
         "vllm-project/vllm vllm/entrypoints/openai/api_server.py v0.4.0..v0.10 authentication "
         "middleware; vllm/entrypoints/serve/middleware/authenticate.py v0.33.0: "
         "JSONResponse({'error': 'Unauthorized'}, 401)", "openai",
         answer({"error": "Unauthorized"}, status=401),
         Failure(AuthenticationError, fields={"status": 401}, says=("Unauthorized",))),
    Case("vllm-400-auto-tool-choice-flags-v066",
         f"vllm-project/vllm {CHAT} v0.6.6 create_chat_completion (tool_choice 'auto' without "
         "--enable-auto-tool-choice)", "openai",
         answer(_flat('"auto" tool choice requires --enable-auto-tool-choice and '
                      "--tool-call-parser to be set"), status=400),
         Failure(BadRequest, fields={"status": 400}, says=("--enable-auto-tool-choice",))),
    # -- server-side failures ------------------------------------------------------------
    Case("vllm-500-engine-dead-empty-body",
         "vllm-project/vllm vllm/entrypoints/launcher.py v0.8.5..v0.14.0 "
         "runtime_exception_handler: Response(status_code=500), no body, no content type",
         "openai", raw(status=500, content_type=None, framing="length"),
         Failure(ServerError, fields={"status": 500})),
    Case("vllm-500-engine-dead-nested-v018",
         "vllm-project/vllm vllm/entrypoints/openai/server_utils.py v0.18.0 engine_error_handler "
         "-> vllm/entrypoints/utils.py create_error_response (InternalServerError 500); "
         "vllm/v1/engine/exceptions.py ENGINE_DEAD_MESSAGE", "openai",
         answer(_nested(ENGINE_DEAD, "InternalServerError", 500), status=500),
         Failure(ServerError, fields={"status": 500}, says=("EngineCore encountered an issue",),
                 rule="vllm-engine-dead")),
    Case("vllm-500-engine-dead-client-message-v033",
         "vllm-project/vllm vllm/entrypoints/serve/exception_handling/error_response.py v0.33.0 "
         "(EngineDeadError -> CLIENT_MESSAGE, InternalServerError 500)", "openai",
         answer(_nested("The server had an error while processing your request.",
                        "InternalServerError", 500), status=500),
         Failure(ServerError, fields={"status": 500})),
    # -- errors inside a 200 stream --------------------------------------------------------
    Case("vllm-stream-engine-dead-labelled-400-v085",
         f"vllm-project/vllm {CHAT} v0.8.5 chat_completion_stream_generator 'except Exception' "
         "-> create_streaming_error_response(str(e)) with the default BadRequestError/400 "
         "(also v0.10.1..v0.12.0 in the nested shape); vllm/v1/engine/exceptions.py "
         "EngineDeadError", "openai",
         _stream(_role(), _chunk({"content": "Hel"}),
                 _dumps({"error": _flat(ENGINE_DEAD)}), DONE),
         Failure(ServerError, says=("EngineCore encountered an issue",), partial="Hel",
                 rule="vllm-engine-dead")),
    Case("vllm-stream-engine-dead-labelled-400-v0101",
         f"vllm-project/vllm {CHAT} v0.10.1 stream generator except -> {SERVING} v0.10.1 "
         "create_streaming_error_response (json.dumps of the nested ErrorResponse)", "openai",
         _stream(_role(), _chunk({"content": "Hel"}), _dumps(_nested(ENGINE_DEAD)), DONE),
         Failure(ServerError, says=("EngineCore encountered an issue",), partial="Hel",
                 rule="vllm-engine-dead")),
    Case("vllm-stream-generation-error-500-v018",
         "vllm-project/vllm vllm/entrypoints/openai/chat_completion/serving.py v0.18.0 "
         "(except GenerationError -> _convert_generation_error_to_streaming_response, "
         "InternalServerError 500, then [DONE]); engine/protocol.py GenerationError", "openai",
         _stream(_role(), _chunk({"content": "Hel"}),
                 _dumps(_nested("Internal server error", "InternalServerError", 500)), DONE),
         Failure(ServerError, says=("Internal server error",), partial="Hel")),
    Case("vllm-stream-error-400-before-output-v066",
         f"vllm-project/vllm {CHAT} v0.6.6 (tool parser creation RuntimeError -> "
         "create_streaming_error_response, then [DONE]); tool_parsers/hermes_tool_parser.py "
         "v0.6.6", "openai",
         _stream(_dumps({"error": _flat(HERMES_NO_TOKENS)}), DONE),
         Failure(BadRequest, says=("could not locate tool call start/end tokens",))),
    Case("vllm-stream-error-400-before-output-v012",
         "vllm-project/vllm vllm/entrypoints/openai/serving_chat.py v0.12.0 (tool parser "
         "creation 'except Exception' -> create_streaming_error_response, nested, then [DONE])",
         "openai",
         _stream(_dumps(_nested(HERMES_NO_TOKENS)), DONE),
         Failure(BadRequest, says=("could not locate tool call start/end tokens",))),
]

STREAMS = [
    Case("vllm-stream-v027-usage-in-finish-chunk",
         "vllm-project/vllm vllm/entrypoints/openai/api_server.py v0.2.7 "
         "completion_stream_generator (pydantic v1 .json(); finish chunk built with delta=[] "
         "-> {} and usage set on it; no separate usage chunk)", "openai",
         _stream(*(_dumps({"id": "cmpl-3f2a", "object": "chat.completion.chunk",
                           "created": CREATED, "model": "m", "choices": [c], **u})
                   for c, u in (
                       ({"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}, {}),
                       ({"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}, {}),
                       ({"index": 0, "delta": {"content": "lo"}, "finish_reason": None}, {}),
                       ({"index": 0, "delta": {}, "finish_reason": "stop"},
                        {"usage": _usage(12, 2)}))), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 2))),
    Case("vllm-stream-v066-include-usage",
         f"vllm-project/vllm {CHAT} v0.6.6 chat_completion_stream_generator (role chunk with "
         "content '', last token in the finish chunk, include_usage chunk with choices [])",
         "openai",
         _stream(_role(), _chunk({"content": "Hel"}), _chunk({"content": "lo"}),
                 _chunk({"content": ""}, "stop", final=True), _usage_chunk(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("vllm-stream-length-content-in-finish-chunk",
         "https://github.com/vllm-project/vllm/issues/35705 (raw: the chunk with "
         "finish_reason 'length' still carries content; vllm 0.9.2 and 0.15)", "openai",
         _stream(_role(), _chunk({"content": "I am"}),
                 _chunk({"content": " Qwen"}, "length", final=True), _usage_chunk(20, 2), DONE),
         Answer("I am Qwen", finish_reason="length", usage=(20, 2))),
    Case("vllm-stream-continuous-usage-v066",
         f"vllm-project/vllm {CHAT} v0.6.6 (stream_options continuous_usage_stats: usage on "
         "every chunk, then the include_usage chunk)", "openai",
         _stream(_role(usage=_usage(12, 0)), _chunk({"content": "Hel"}, usage=_usage(12, 1)),
                 _chunk({"content": "lo"}, usage=_usage(12, 2)),
                 _chunk({"content": ""}, "stop", final=True, usage=_usage(12, 3)),
                 _usage_chunk(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("vllm-stream-no-usage-ends-at-done",
         f"vllm-project/vllm {CHAT} v0.8.5 (no stream_options: no usage chunk; "
         "https://github.com/vllm-project/vllm/pull/19662 raw stream)", "openai",
         _stream(_role(), _chunk({"content": "Hi"}), _chunk({"content": ""}, "stop", final=True),
                 DONE),
         Answer("Hi", finish_reason="stop")),
    Case("vllm-stream-reasoning-content-v085",
         "vllm-project/vllm vllm/reasoning/deepseek_r1_reasoning_parser.py v0.8.5 "
         "extract_reasoning_content_streaming (think tokens dropped; the delta holding "
         "</think> splits into reasoning_content and content) + protocol.py DeltaMessage",
         "openai",
         _stream(_role(), _chunk({"reasoning_content": "The user"}),
                 _chunk({"reasoning_content": " greets."}),
                 _chunk({"content": "Hi", "reasoning_content": " Reply."}),
                 _chunk({"content": " there"}), _chunk({"content": ""}, "stop", final=True),
                 _usage_chunk(9, 8), DONE),
         Answer("Hi there", reasoning="The user greets. Reply.", finish_reason="stop",
                usage=(9, 8))),
    Case("vllm-stream-reasoning-both-fields-v0112",
         f"vllm-project/vllm {PROTOCOL} v0.11.2..v0.14.0 DeltaMessage (reasoning, deprecated "
         "reasoning_content copied from it by a model_validator, so both are set); "
         "vllm/reasoning/basic_parsers.py v0.12.0", "openai",
         _stream(_role(), _chunk({"reasoning": "Think", "reasoning_content": "Think"}),
                 _chunk({"reasoning": "ing.", "reasoning_content": "ing."}),
                 _chunk({"content": "Hi", "reasoning_content": None}),
                 _chunk({"content": "", "reasoning_content": None}, "stop", final=True), DONE),
         Answer("Hi", reasoning="Thinking.", finish_reason="stop")),
    Case("vllm-stream-reasoning-v018",
         "vllm-project/vllm vllm/entrypoints/openai/engine/protocol.py v0.18.0 DeltaMessage "
         "(only 'reasoning'; reasoning_content removed)", "openai",
         _stream(_role(), _chunk({"reasoning": "Think"}), _chunk({"reasoning": "ing."}),
                 _chunk({"content": "Hi"}), _chunk({"content": ""}, "stop", final=True),
                 _usage_chunk(9, 4), DONE),
         Answer("Hi", reasoning="Thinking.", finish_reason="stop", usage=(9, 4))),
    Case("vllm-stream-hermes-two-calls-v066",
         "vllm-project/vllm vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py v0.6.6 "
         "(first fragment id/type/name, later arguments only; next call index+1 with new id) + "
         f"{CHAT} v0.6.6 (finish_reason 'tool_calls')", "openai",
         _stream(_role(),
                 _chunk(_calls(_tool(0, id="chatcmpl-tool-1b2c", type="function",
                                     function={"name": "get_weather"}))),
                 _chunk(_calls(_tool(0, function={"arguments": '{"city": "'}))),
                 _chunk(_calls(_tool(0, function={"arguments": "Paris"}))),
                 _chunk(_calls(_tool(0, function={"arguments": '"}'}))),
                 _chunk(_calls(_tool(1, id="chatcmpl-tool-9f8e", type="function",
                                     function={"name": "get_time"}))),
                 _chunk(_calls(_tool(1, function={"arguments": '{"tz": "CET"}'}))),
                 _chunk({"content": ""}, "tool_calls", final=True), _usage_chunk(30, 40), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),
                            Call("get_time", {"tz": "CET"})),
                finish_reason="tool_calls", usage=(30, 40))),
    Case("vllm-stream-pythonic-empty-id-v085",
         "vllm-project/vllm vllm/entrypoints/openai/tool_parsers/pythonic_tool_parser.py "
         "v0.6.6..v0.8.5 _compute_tool_delta (first fragment id+name+partial arguments, no "
         "type; continuations id=''; empty content delta so the finish chunk is sent)",
         "openai",
         _stream(_role(),
                 _chunk(_calls(_tool(0, id="chatcmpl-tool-77aa",
                                     function={"name": "get_weather",
                                               "arguments": '{"city": "'}))),
                 _chunk(_calls(_tool(0, id="", function={"arguments": "Paris"}))),
                 _chunk(_calls(_tool(0, id="", function={"arguments": '"}'}))),
                 _chunk({"content": ""}, "tool_calls", final=True), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),),
                finish_reason="tool_calls")),
    Case("vllm-stream-pythonic-null-id-v092",
         "vllm-project/vllm vllm/entrypoints/openai/tool_parsers/pythonic_tool_parser.py "
         "v0.9.2..v0.12.0 _compute_tool_delta (continuations id=None, dumped as null since "
         "set explicitly)", "openai",
         _stream(_role(),
                 _chunk(_calls(_tool(0, id="chatcmpl-tool-77aa",
                                     function={"name": "get_weather",
                                               "arguments": '{"city": "'}))),
                 _chunk(_calls(_tool(0, id=None, function={"arguments": "Paris"}))),
                 _chunk(_calls(_tool(0, id=None, function={"arguments": '"}'}))),
                 _chunk({"content": ""}, "tool_calls", final=True), DONE),
         Answer(tool_calls=(Call("get_weather", {"city": "Paris"}),),
                finish_reason="tool_calls")),
    Case("vllm-stream-named-tool-choice-name-repeated",
         "https://github.com/vllm-project/vllm/issues/18412 (raw: no id, function.name in "
         f"every fragment); {CHAT} v0.8.5 named tool_choice branch (finish chunk keeps the "
         "name with arguments '', finish_reason from the engine: 'stop')", "openai",
         _stream(_role(), *(_chunk(_calls(_tool(0, function={"name": "get_current_weather",
                                                             "arguments": piece})))
                            for piece in ('{"', "location", '":', ' "', "Boston", '"}')),
                 _chunk(_calls(_tool(0, function={"name": "get_current_weather",
                                                  "arguments": ""})), "stop", final=True),
                 DONE),
         Answer(tool_calls=(Call("get_current_weather", {"location": "Boston"}),),
                # a call came: this client reports tool_calls, whatever the engine says
                finish_reason="tool_calls")),
    Case("vllm-stream-index-reused-new-id",
         "https://github.com/InternLM/lmdeploy/issues/3412 (vllm output as parsed by the "
         "OpenAI SDK: both calls at index 0, second with a new id; continuations id '')",
         "openai",
         _stream(_role(),
                 _chunk(_calls(_tool(0, id="chatcmpl-tool-c9ZCzB9b9NikK5kjPBXpFG",
                                     type="function",
                                     function={"name": "search", "arguments": ""}))),
                 _chunk(_calls(_tool(0, id="", type="function",
                                     function={"arguments": '{"q": "vllm"}'}))),
                 _chunk(_calls(_tool(0, id="chatcmpl-tool-HfzZPEVfQgvgpSJccb8Vr8",
                                     type="function",
                                     function={"name": "search", "arguments": ""}))),
                 _chunk(_calls(_tool(0, id="", type="function",
                                     function={"arguments": '{"q": "sglang"}'}))),
                 _chunk({"content": ""}, "tool_calls", final=True), DONE),
         Answer(tool_calls=(Call("search", {"q": "vllm"}), Call("search", {"q": "sglang"})),
                finish_reason="tool_calls")),
]

OTHER = [
    Case("vllm-models-max-model-len-v066",
         f"vllm-project/vllm {SERVING} v0.6.6 show_available_models (base card max_model_len, "
         "LoRA card max_model_len None, parent = base); protocol.py ModelCard/ModelPermission",
         "openai",
         answer({"object": "list", "data": [
             {"id": "Qwen/Qwen2.5-1.5B-Instruct", "object": "model", "created": CREATED,
              "owned_by": "vllm", "root": "/models/Qwen2.5-1.5B-Instruct", "parent": None,
              "max_model_len": 4096, "permission": [
                  {"id": "modelperm-5d0c", "object": "model_permission", "created": CREATED,
                   "allow_create_engine": False, "allow_sampling": True,
                   "allow_logprobs": True, "allow_search_indices": False, "allow_view": True,
                   "allow_fine_tuning": False, "organization": "*", "group": None,
                   "is_blocking": False}]},
             {"id": "sql-lora", "object": "model", "created": CREATED, "owned_by": "vllm",
              "root": "/loras/sql", "parent": "Qwen/Qwen2.5-1.5B-Instruct",
              "max_model_len": None, "permission": []}]}),
         Listing(("Qwen/Qwen2.5-1.5B-Instruct", "sql-lora"),
                 context={"Qwen/Qwen2.5-1.5B-Instruct": 4096}),
         call="models"),
    Case("vllm-models-no-max-model-len-v040",
         f"vllm-project/vllm {PROTOCOL} v0.4.0 ModelCard (no max_model_len field before 0.5)",
         "openai",
         answer({"object": "list", "data": [
             {"id": "m", "object": "model", "created": CREATED, "owned_by": "vllm",
              "root": "m", "parent": None, "permission": []}]}),
         Listing(("m",), context={"m": None}), call="models"),
    Case("vllm-embed-v066",
         f"vllm-project/vllm {PROTOCOL} v0.6.6 EmbeddingResponse / EmbeddingResponseData "
         "(id embd-..., object list, data[index, object, embedding], usage)", "openai",
         answer({"id": "embd-4e1f", "object": "list", "created": CREATED, "model": "m",
                 "data": [{"index": 0, "object": "embedding", "embedding": [0.1, 0.2, 0.3, 0.4]},
                          {"index": 1, "object": "embedding",
                           "embedding": [0.5, 0.6, 0.7, 0.8]}],
                 "usage": {"prompt_tokens": 4, "total_tokens": 4, "completion_tokens": 0,
                           "prompt_tokens_details": None}}),
         Vectors(2, 4), call="embed"),
    Case("vllm-embed-not-supported-v066",
         "vllm-project/vllm vllm/entrypoints/openai/api_server.py v0.6.6..v0.14.0 "
         "create_embedding (generate model: 400 BadRequestError)", "openai",
         answer(_flat("The model does not support Embeddings API"), status=400),
         Failure(BadRequest, fields={"status": 400}, says=("does not support Embeddings",)),
         call="embed"),
    Case("vllm-embed-not-supported-501-v018",
         "vllm-project/vllm vllm/entrypoints/pooling/embed/api_router.py v0.18.0 "
         "(NotImplementedError) -> vllm/entrypoints/utils.py create_error_response "
         "(NotImplementedError, 501)", "openai",
         answer(_nested("The model does not support Embeddings API", "NotImplementedError",
                        501), status=501),
         Failure(ServerError, fields={"status": 501}, says=("does not support Embeddings",)),
         call="embed"),
]

CASES: list[Case] = [*ERRORS, *STREAMS, *OTHER]
