"""Conformance cases: LM Studio's OpenAI-compatible server (``/v1/*``), 0.2.x to 0.4.x.

LM Studio is closed source, so every case rests on its docs (lmstudio-ai/docs) or on bug
reports that paste its raw answers. Covered: the error answers (unknown model, no model
loaded, context overflow in its two wordings, the 200 "Unexpected endpoint" answer, errors
inside a 200 stream), the chunk shape (``system_fingerprint``, ``logprobs``, ``role`` on
every content delta), finish reasons, the ``include_usage`` chunk, tool-call fragments,
reasoning as ``reasoning_content`` (DeepSeek-R1 setting) or ``reasoning`` (gpt-oss), the
``/v1/models`` listing and ``/v1/embeddings``.
"""

from __future__ import annotations

from typing import Any

from localllm.errors import BadRequest, ContextOverflow, ModelNotFound

from ..case import DONE, Answer, Call, Case, Failure, Listing, Vectors, answer, sse

BUGS = "https://github.com/lmstudio-ai/lmstudio-bug-tracker/issues/"
DOCS = "lmstudio-ai/docs"
#: Chunk envelope: lmstudio-bug-tracker #378 (0.3.9b3), #676 (0.3.15), #723 (0.3.17).
CHUNK = f"{BUGS}378 + {BUGS}676 + {BUGS}723 (raw chunks: system_fingerprint = model id)"
#: Tool-call fragments as LM Studio streams them (docs 1_developer/3_openai-compat/tools.mdx,
#: section "Streaming"); finish_reason "tool_calls" in chunks since 0.3.15 (api-changelog.md).
TOOLS_DOC = (f"{DOCS} 1_developer/3_openai-compat/tools.mdx (Streaming: ChoiceDeltaToolCall "
             "fragments) + 1_developer/api-changelog.md 0.3.15 (chunks set finish_reason "
             "tool_calls)")
#: Errors inside a 200 stream: ``data: {"error": {"message": ...}}`` (zed's LM Studio client
#: parses exactly that; the AI SDK's openai-compatible provider reports ``error.message``).
STREAM_ERROR = ("zed-industries/zed crates/lmstudio/src/lmstudio.rs ResponseStreamResult::Err "
                "{error: LmStudioError{message}}; " + f"{DOCS} 1_developer/api-changelog.md "
                "0.3.18 (stream errors follow the OpenAI format)")
JSON_UTF8 = "application/json; charset=utf-8"  # lmstudio-bug-tracker #618 (Express headers)

WEATHER_TOOL = [{"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}]
TIME_TOOLS = [{"type": "function", "function": {
    "name": name, "description": name.replace("_", " "),
    "parameters": {"type": "object", "properties": {}, "required": []}}}
    for name in ("get_current_date", "get_current_time")]

KEEP_FIRST = ("Trying to keep the first {keep} tokens when context the overflows. However, the "
              "model is loaded with context length of only {ctx} tokens, which is not enough. "
              "Try to load the model with a larger context length, or provide a shorter input")
NO_MODELS = ("No models loaded. Please load a model in the developer page or use the "
             "'lms load' command.")
JINJA = ('Error rendering prompt with jinja template: "Unknown test: sequence".\n\nThis is '
         "usually an issue with the model's prompt template. If you are using a popular model, "
         "you can try to search the model under lmstudio-community, which will have fixed "
         "prompt templates. If you cannot find one, you are welcome to post this issue to our "
         "discord or issue tracker on GitHub. Alternatively, if you know how to write jinja "
         "templates, you can override the prompt template in My Models > model settings > "
         "Prompt Template.")


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """One ``chat.completion.chunk`` as LM Studio writes it."""
    return {"id": "chatcmpl-um3b2l9t12bzrtha63q8", "object": "chat.completion.chunk",
            "created": 1747835957, "model": "m", "system_fingerprint": "m",
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish}]}


def _text(text: str) -> dict[str, Any]:
    """A content delta: LM Studio repeats ``role`` on every one (#676)."""
    return _chunk({"role": "assistant", "content": text})


def _think(text: str, field: str = "reasoning_content") -> dict[str, Any]:
    return _chunk({"role": "assistant", field: text})


def _stop(reason: str = "stop") -> dict[str, Any]:
    """The closing chunk: an empty delta with the finish reason (#676)."""
    return _chunk({}, reason)


def _call_start(index: int, call_id: str, name: str) -> dict[str, Any]:
    """First fragment of a call: id, type, name, empty arguments (tools.mdx). No ``role``
    on tool-call deltas (lmstudio-bug-tracker #445)."""
    return _chunk({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                   "function": {"name": name, "arguments": ""}}]})


def _call_args(index: int, piece: str, **function: str) -> dict[str, Any]:
    return _chunk({"tool_calls": [{"index": index,
                                   "function": {**function, "arguments": piece}}]})


def _error(message: str, status: int, **extra: Any) -> Any:
    body: dict[str, Any] = {"error": {"message": message, **extra}} if extra \
        else {"error": message}
    return answer(body, status=status)


CASES = [
    # -- errors as HTTP answers ------------------------------------------------------------
    Case("lmstudio-400-invalid-model-identifier",
         "https://github.com/assafelovic/gpt-researcher/issues/1556 (raw: Error code: 400 - "
         "{'error': {'message': 'Invalid model identifier \"o4-mini\". Please specify a valid "
         "downloaded model (e.g., ...).', 'type': 'invalid_request_error', 'param': 'model', "
         "'code': 'model_not_found'}}); same text from 0.4.23 in "
         "https://github.com/QwenLM/qwen-code/issues/10065", "openai",
         _error('Invalid model identifier "o4-mini". Please specify a valid downloaded model '
                "(e.g., qwen3-vl-8b-instruct, openai/gpt-oss-20b, "
                "text-embedding-nomic-embed-text-v1.5).", 400,
                type="invalid_request_error", param="model", code="model_not_found"),
         Failure(ModelNotFound, fields={"status": 400}, says=("Invalid model identifier",),
                 rule="lmstudio-model-not-found"),
         model="o4-mini"),
    Case("lmstudio-400-no-models-loaded",
         "https://github.com/assafelovic/gpt-researcher/issues/1556 (raw: Error code: 400 - "
         "{'error': \"No models loaded. Please load a model in the developer page or use the "
         "'lms load' command.\"})", "openai",
         _error(NO_MODELS, 400),
         Failure(ModelNotFound, fields={"status": 400}, says=("No models loaded",),
                 rule="lmstudio-no-models-loaded")),
    Case("lmstudio-400-no-models-loaded-nested",
         f"{BUGS}1730 (0.4.8 log: [Server Error] {{\"error\": {{\"message\": \"No models "
         "loaded. ...\", \"type\": \"invalid_request_error\", \"param\": \"model\", "
         "\"code\": null}}); status 400 as in gpt-researcher#1556", "openai",
         _error(NO_MODELS, 400, type="invalid_request_error", param="model", code=None),
         Failure(ModelNotFound, fields={"status": 400}, says=("No models loaded",),
                 rule="lmstudio-no-models-loaded")),
    Case("lmstudio-400-context-keep-first",
         f"{BUGS}237 (Dec 2024, raw: Error code: 400 - {{'error': '<LM Studio error> Trying "
         "to keep the first 15857 tokens when context the overflows. However, the model is "
         "loaded with context length of only 4096 tokens, ... Error Data: n/a, Additional "
         "Data: n/a'})", "openai",
         _error("<LM Studio error> " + KEEP_FIRST.format(keep=15857, ctx=4096)
                + ". Error Data: n/a, Additional Data: n/a", 400),
         Failure(ContextOverflow,
                 fields={"status": 400, "n_prompt_tokens": 15857, "n_ctx": 4096},
                 says=("Trying to keep the first 15857 tokens",),
                 rule="lmstudio-context-keep-first")),
    Case("lmstudio-400-context-n-keep",
         "https://github.com/Gitlawb/openclaude/issues/353 (LM Studio 0.4.x, gemma-4: API "
         "Error: 400 {\"error\":\"The number of tokens to keep from the initial prompt is "
         "greater than the context length (n_keep: 13055>= n_ctx: 4096). Try to load the "
         "model with a larger context length, or provide a shorter input.\"})", "openai",
         _error("The number of tokens to keep from the initial prompt is greater than the "
                "context length (n_keep: 13055>= n_ctx: 4096). Try to load the model with a "
                "larger context length, or provide a shorter input.", 400),
         Failure(ContextOverflow,
                 fields={"status": 400, "n_prompt_tokens": 13055, "n_ctx": 4096},
                 says=("n_keep: 13055",), rule="lmstudio-context-n-keep")),
    # -- the 200 answer to a path LM Studio does not serve ----------------------------------
    Case("lmstudio-200-unexpected-endpoint-models",
         f"{BUGS}618 (0.3.14: HTTP/1.1 200 OK, Content-Type: application/json; charset=utf-8, "
         "body {\"error\":\"Unexpected endpoint or method. (POST /chat/completions)\"}) + "
         f"{BUGS}2085 (0.4.17 answers GET /v1/models so: 'Unexpected endpoint or method. "
         "(GET /v1/models). Returning 200 anyway')", "openai",
         answer({"error": "Unexpected endpoint or method. (GET /v1/models)"},
                content_type=JSON_UTF8),
         Failure(BadRequest, fields={"status": 200},
                 says=("Unexpected endpoint or method",),
                 rule="lmstudio-unexpected-endpoint"),
         call="models"),
    Case("lmstudio-200-unexpected-endpoint-embeddings",
         f"{BUGS}618 (body shape, 200 + charset=utf-8) + "
         "https://github.com/OpenHands/OpenHands/issues/419 (May 2024 log: "
         "'POST /v1/embeddings <-- NEW!'; older servers log 'Unexpected endpoint or method. "
         "(POST ...). Returning 200 anyway')", "openai",
         answer({"error": "Unexpected endpoint or method. (POST /v1/embeddings)"},
                content_type=JSON_UTF8),
         Failure(BadRequest, fields={"status": 200},
                 says=("Unexpected endpoint or method",),
                 rule="lmstudio-unexpected-endpoint"),
         call="embed"),
    # -- errors inside a 200 stream --------------------------------------------------------
    Case("lmstudio-stream-error-context-keep-first",
         f"{STREAM_ERROR}; message from https://github.com/dyad-sh/dyad/issues/925 (Aug 2025: "
         "'Error streaming text: { error: \\'Trying to keep the first 14538 tokens when context "
         "the overflows. However, the model is loaded with context length of only 2048 "
         "tokens, ...\\' }' = the AI SDK's in-stream error.message)", "openai",
         sse({"error": {"message": KEEP_FIRST.format(keep=14538, ctx=2048)}}),
         Failure(ContextOverflow, fields={"n_prompt_tokens": 14538, "n_ctx": 2048},
                 says=("Trying to keep the first 14538 tokens",),
                 rule="lmstudio-context-keep-first")),
    Case("lmstudio-stream-error-prompt-template",
         f"{STREAM_ERROR}; https://github.com/zed-industries/zed/issues/45379 ('Error in model "
         "response stream: Error rendering prompt with jinja template: \"Unknown test: "
         f"sequence\". ...'); the same error is an HTTP 400 in 0.4.20 ({BUGS}2233)", "openai",
         sse({"error": {"message": JINJA}}),
         Failure(BadRequest, says=("Error rendering prompt with jinja template",),
                 rule="lmstudio-prompt-template")),
    # -- streams ----------------------------------------------------------------------------
    Case("lmstudio-stream-plain", f"{CHUNK}; no usage chunk before 0.3.18 ({BUGS}676)",
         "openai",
         sse(_text("Hel"), _text("lo"), _text("\n"), _stop(), DONE),
         Answer("Hello\n", finish_reason="stop")),
    Case("lmstudio-stream-usage",
         f"{CHUNK}; {DOCS} 1_developer/api-changelog.md 0.3.18 (stream_options.include_usage "
         "returns prompt and completion usage while streaming; OpenAI's extra chunk with "
         f"choices []) + {BUGS}2390 ('final streaming usage chunks', 0.4.14)", "openai",
         sse(_text("Hi"), _text("!"), _stop(),
             {"id": "chatcmpl-um3b2l9t12bzrtha63q8", "object": "chat.completion.chunk",
              "created": 1747835957, "model": "m", "system_fingerprint": "m", "choices": [],
              "usage": {"prompt_tokens": 24, "completion_tokens": 53, "total_tokens": 77}},
             DONE),
         Answer("Hi!", finish_reason="stop", usage=(24, 53))),
    Case("lmstudio-stream-reasoning-content",
         f"{BUGS}378 (0.3.9b3 raw: delta {{\"role\":\"assistant\",\"reasoning_content\":\"le\"}}) "
         f"+ {DOCS} 1_developer/api-changelog.md 0.3.9 (separate reasoning_content, App "
         "Settings > Developer)", "openai",
         sse(_think("The user"), _think(" wants a joke."), _text("Why did"), _text(" the..."),
             _stop(), DONE),
         Answer("Why did the...", reasoning="The user wants a joke.", finish_reason="stop")),
    Case("lmstudio-stream-reasoning-gpt-oss",
         f"{DOCS} 1_developer/api-changelog.md 0.3.23 (gpt-oss: reasoning moves to "
         f"choices.delta.reasoning when streaming) + {BUGS}894 (0.3.23b1 field change)",
         "openai",
         sse(_think("Need to", "reasoning"), _think(" greet.", "reasoning"), _text("Hello!"),
             _stop(), DONE),
         Answer("Hello!", reasoning="Need to greet.", finish_reason="stop")),
    Case("lmstudio-stream-tool-call", TOOLS_DOC, "openai",
         sse(_call_start(0, "814890118", "get_current_weather"),
             *(_call_args(0, piece) for piece in ('{"', "location", '":"', "San Francisco",
                                                  '"}')),
             _stop("tool_calls"), DONE),
         Answer(tool_calls=(Call("get_current_weather", {"location": "San Francisco"}),),
                finish_reason="tool_calls"),
         options={"tools": WEATHER_TOOL}),
    Case("lmstudio-stream-tool-call-empty-name",
         f"{BUGS}649 (0.3.16b1: fragments after the first carry an empty function name) + "
         "https://github.com/0xPlaygrounds/rig/pull/423 ('LM Studio respond function name "
         f"Some(\"\") for arguments chunks'); {TOOLS_DOC}", "openai",
         sse(_call_start(0, "365174485", "get_current_weather"),
             _call_args(0, '{"location":', name=""), _call_args(0, '"Paris"}', name=""),
             _stop("tool_calls"), DONE),
         Answer(tool_calls=(Call("get_current_weather", {"location": "Paris"}),),
                finish_reason="tool_calls"),
         options={"tools": WEATHER_TOOL}),
    Case("lmstudio-stream-two-tool-calls",
         f"{BUGS}723 (two calls get_current_date + get_current_time in one streamed answer, "
         f"qwen/qwen3-4b) + {DOCS} 1_developer/api-changelog.md 0.3.18/0.3.19 (parallel "
         f"streamed tool calls); {TOOLS_DOC}", "openai",
         sse(_call_start(0, "193629320", "get_current_date"), _call_args(0, "{}"),
             _call_start(1, "193629321", "get_current_time"), _call_args(1, "{}"),
             _stop("tool_calls"), DONE),
         Answer(tool_calls=(Call("get_current_date"), Call("get_current_time")),
                finish_reason="tool_calls"),
         options={"tools": TIME_TOOLS}),
    # -- listing and embeddings ------------------------------------------------------------
    Case("lmstudio-models",
         "https://github.com/Corvidae-Coding-Projects/OpenClaudia/issues/1 (raw GET /v1/models: "
         "{\"data\":[{\"id\",\"object\":\"model\",\"owned_by\":\"organization_owner\"}],"
         "\"object\":\"list\"})", "openai",
         answer({"data": [{"id": name, "object": "model", "owned_by": "organization_owner"}
                          for name in ("glm-4.7-flash", "nvidia/nemotron-3-nano",
                                       "openai/gpt-oss-20b",
                                       "text-embedding-nomic-embed-text-v1.5")],
                 "object": "list"}, content_type=JSON_UTF8),
         Listing(("glm-4.7-flash", "nvidia/nemotron-3-nano", "openai/gpt-oss-20b",
                  "text-embedding-nomic-embed-text-v1.5")),
         call="models"),
    Case("lmstudio-embeddings",
         f"{DOCS} 1_developer/2_rest/endpoints.mdx (POST /api/v0/embeddings example answer: "
         "object list, data[{object: embedding, embedding, index}], model "
         "text-embedding-nomic-embed-text-v1.5@q4_k_m, usage {prompt_tokens: 0, total_tokens: "
         "0}); nomic-embed-text-v1.5 has 768 dimensions", "openai",
         answer({"object": "list",
                 "data": [{"object": "embedding", "embedding": [0.0125 * (i + 1)] * 768,
                           "index": i} for i in range(2)],
                 "model": "text-embedding-nomic-embed-text-v1.5@q4_k_m",
                 "usage": {"prompt_tokens": 0, "total_tokens": 0}}, content_type=JSON_UTF8),
         Vectors(2, 768), call="embed", model="text-embedding-nomic-embed-text-v1.5"),
]
