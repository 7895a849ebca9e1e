"""Ollama's OpenAI-compatible layer (``/v1``) from v0.1.24, when it appeared, to current:
stream chunks (role on every chunk in old servers, a separate finish chunk in new ones),
finish reasons, the usage chunk, whole tool calls (with and without ``index``, and the reused
index 0), ``reasoning``, errors written by the middleware (``NewError``: ``api_error`` for every
status before v0.18), errors that the middleware swallows mid-stream, ``/v1/models`` and
``/v1/embeddings``.

How the middleware writes the stream: ``openai/openai.go`` (``toChunk``/``ToStreamChunks``/
``FinishChunk``) and ``ChatWriter.writeResponse`` (in ``openai/openai.go`` until v0.12,
``middleware/openai.go`` since). Every stream case below is what that code writes for the
native records it is given. The client always sends ``stream_options.include_usage``, so
servers from v0.5.3 (which honour it) end with a usage chunk.
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

from ..case import DONE, Answer, Call, Case, Failure, Listing, Vectors, answer, sse

REPO = "ollama/ollama"
OLD_WRITER = f"{REPO} openai/openai.go toChunk + ChatWriter.writeResponse"
NEW_WRITER = (f"{REPO} openai/openai.go ToStreamChunks/FinishChunk + middleware/openai.go "
              "ChatWriter.writeResponse")
# Until v0.17.x BaseWriter.writeError called NewError(http.StatusInternalServerError, ...), so
# every error was type "api_error" whatever the status; from v0.18.0 (abf8e8e9c) it passes
# the real status: 400 invalid_request_error, 404 not_found_error, others api_error.
OLD_ERROR = f"{REPO} openai/openai.go writeError NewError(http.StatusInternalServerError, ...)"
NEW_ERROR = f"{REPO} middleware/openai.go BaseWriter.writeError NewError(Status(), ...)"


def _chunk(delta: dict[str, Any], finish: str | None = None, *, model: str = "m",
           **extra: Any) -> dict[str, Any]:
    """One ``chat.completion.chunk`` as the Go structs serialise it (field order kept)."""
    return {"id": "chatcmpl-42", "object": "chat.completion.chunk", "created": 1736000000,
            "model": model, "system_fingerprint": "fp_ollama",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def _old(content: str, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    """v0.1.24 .. v0.32.5: every chunk carries role and content (Content is not omitempty)."""
    return _chunk({"role": "assistant", "content": content, **delta}, finish)


def _usage(prompt: int = 12, completion: int = 3) -> dict[str, Any]:
    """The include_usage chunk: a copy of the last chunk with choices [] and usage."""
    return {"id": "chatcmpl-42", "object": "chat.completion.chunk", "created": 1736000000,
            "model": "m", "system_fingerprint": "fp_ollama", "choices": [],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion}}


def _call(name: str, args: dict[str, Any], call_id: str, index: int | None = 0
          ) -> dict[str, Any]:
    """openai.ToolCall: a whole call, arguments marshalled to a JSON string."""
    out: dict[str, Any] = {"id": call_id}
    if index is not None:  # the Index field exists from v0.4.7 (5f8051180, issue #7881)
        out["index"] = index
    out.update(type="function", function={"name": name, "arguments": _go_json(args)})
    return out


def _go_json(obj: Any) -> str:
    """Go's json.Marshal: compact, and <, >, & escaped as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _go_event(obj: Any) -> str:
    """A chunk written as ChatWriter does: ``data: <json.Marshal>\\n\\n``."""
    return f"data: {_go_json(obj)}\n\n"


def _swallowed_error(**delta: Any) -> dict[str, Any]:
    """What ChatWriter makes of a native ``{"error": "..."}`` record written after the stream
    began: it unmarshals into an empty api.ChatResponse (no model, not done), so the error
    text is dropped and an empty content chunk is written; then the stream ends, with no
    finish chunk and no ``[DONE]``."""
    return _chunk({**delta, "content": ""}, model="")


def _error(message: str, kind: str) -> dict[str, Any]:
    """openai.ErrorResponse: {"error": {"message", "type", "param": null, "code": null}}."""
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _model(name: str, owner: str = "library") -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1735000000, "owned_by": owner}


def _embedding(index: int, vector: list[float]) -> dict[str, Any]:
    return {"object": "embedding", "embedding": vector, "index": index}


WEATHER = {"city": "Paris"}
TIME = {"timezone": "Europe/Paris"}

STREAMS = [
    Case("ollama-v1-0.1.24-plain",
         f"{OLD_WRITER} v0.1.24: Delta Message{{Role: \"assistant\", Content}} on every "
         "chunk; FinishReason \"stop\" when r.Done; then data: [DONE]; no usage",
         "openai",
         sse(_old("Hel"), _old("lo"), _old("", "stop"), DONE),
         Answer("Hello", finish_reason="stop")),
    Case("ollama-v1-0.3-length",
         f"{OLD_WRITER} v0.3.0: FinishReason from r.DoneReason (\"length\" when num_predict "
         "is reached); stream_options not read before v0.5.3",
         "openai",
         sse(_old("One"), _old(" two"), _old("", "length"), DONE),
         Answer("One two", finish_reason="length")),
    Case("ollama-v1-0.5-usage-chunk",
         f"{OLD_WRITER} v0.5.7: when Done and stream_options.include_usage, the last chunk "
         "again with Usage and Choices [] (e28f2d490, #6784, since v0.5.3), then [DONE]",
         "openai",
         sse(_old("Hel"), _old("lo"), _old("", "stop"), _usage(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("ollama-v1-0.4.6-tool-calls-no-index",
         f"{OLD_WRITER} v0.4.6: ToolCall{{ID, Type, Function}} has no Index field "
         "(https://github.com/ollama/ollama/issues/7881); server/routes.go ChatHandler sends "
         "every parsed call in one chunk with content \"\", the done chunk says \"stop\"",
         "openai",
         sse(_old("", tool_calls=[_call("get_weather", WEATHER, "call_k3f9x2ab", None),
                                  _call("get_time", TIME, "call_p0q7zz1m", None)]),
             _old("", "stop"), DONE),
         Answer(tool_calls=(Call("get_weather", WEATHER), Call("get_time", TIME)),
                finish_reason="tool_calls")),
    Case("ollama-v1-0.5-tool-call-stop",
         f"{OLD_WRITER} v0.5.7: toToolCalls id call_<8 chars>, Index = Function.Index "
         "(server/routes.go toolCallIndex); finish_reason is the done reason \"stop\" even "
         "after tool calls (tool_calls only from v0.6.0)",
         "openai",
         sse(_old("", tool_calls=[_call("get_weather", WEATHER, "call_k3f9x2ab", 0)]),
             _old("", "stop"), _usage(40, 18), DONE),
         Answer(tool_calls=(Call("get_weather", WEATHER),), finish_reason="tool_calls",
                usage=(40, 18))),
    Case("ollama-v1-0.6-parallel-tool-calls",
         f"{OLD_WRITER} v0.6.0: toChunk returns finishReasonToolCalls once toolCallSent; two "
         "calls in one chunk with index 0 and 1",
         "openai",
         sse(_old("", tool_calls=[_call("get_weather", WEATHER, "call_k3f9x2ab", 0),
                                  _call("get_time", TIME, "call_p0q7zz1m", 1)]),
             _old("", "tool_calls"), _usage(40, 30), DONE),
         Answer(tool_calls=(Call("get_weather", WEATHER), Call("get_time", TIME)),
                finish_reason="tool_calls", usage=(40, 30))),
    Case("ollama-v1-0.20-tool-index-reused",
         "https://github.com/ollama/ollama/issues/15457 (v0.20.x: every tool call chunk has "
         "index 0, each call its own id; fixed in v0.20.6 by fdfe9cec9) and "
         "https://github.com/vercel/ai/pull/14277; shape from "
         f"{OLD_WRITER} v0.20.2",
         "openai",
         sse(_old("", tool_calls=[_call("file_write", {"filePath": "hello.py"},
                                        "call_a1b2c3d4", 0)]),
             _old("", tool_calls=[_call("file_write", {"filePath": "world.py"},
                                        "call_e5f6g7h8", 0)]),
             _old("", "tool_calls"), _usage(60, 44), DONE),
         Answer(tool_calls=(Call("file_write", {"filePath": "hello.py"}),
                            Call("file_write", {"filePath": "world.py"})),
                finish_reason="tool_calls", usage=(60, 44))),
    Case("ollama-v1-0.11-reasoning",
         f"{OLD_WRITER} v0.11.4: Message.Reasoning `json:\"reasoning,omitempty\"` from "
         "Message.Thinking (fa7776fd2, gpt-oss, v0.11.1); a record with both thinking and "
         "content is one chunk carrying both until v0.18 (97013a190 split them)",
         "openai",
         sse(_old("", reasoning="The user says hi."), _old("Hello", reasoning=" Greet back."),
             _old("!"), _old("", "stop"), _usage(20, 9), DONE),
         Answer("Hello!", reasoning="The user says hi. Greet back.", finish_reason="stop",
                usage=(20, 9))),
    Case("ollama-v1-latest-plain",
         f"{NEW_WRITER} v0.32.6+ (8edecb5c6, #17485): role only on the first chunk; the empty "
         "done trailer writes no chunk; finish_reason on its own chunk with delta {}; usage "
         "chunk with choices [] after it; [DONE]",
         "openai",
         sse(_chunk({"role": "assistant", "content": "Hel"}), _chunk({"content": "lo"}),
             _chunk({}, "stop"), _usage(12, 3), DONE),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("ollama-v1-latest-split-reasoning",
         f"{NEW_WRITER} v0.32.6+: ToStreamChunks splits a record with thinking and content "
         "into a reasoning chunk (Content nil, omitted) and a content chunk",
         "openai",
         sse(_chunk({"role": "assistant", "content": "", "reasoning": "Think."}),
             _chunk({"reasoning": " Done."}), _chunk({"content": "Hi"}),
             _chunk({}, "stop"), _usage(15, 6), DONE),
         Answer("Hi", reasoning="Think. Done.", finish_reason="stop", usage=(15, 6))),
    Case("ollama-v1-latest-tool-calls",
         f"{NEW_WRITER} v0.32.6+: FinishChunk turns \"stop\" into \"tool_calls\" when a tool "
         "call was sent; ids from server/routes.go toolCallId()",
         "openai",
         sse(_chunk({"role": "assistant", "content": "",
                     "tool_calls": [_call("get_weather", WEATHER, "call_k3f9x2ab", 0)]}),
             _chunk({}, "tool_calls"), _usage(40, 18), DONE),
         Answer(tool_calls=(Call("get_weather", WEATHER),), finish_reason="tool_calls",
                usage=(40, 18))),
    Case("ollama-v1-latest-length-after-tool-call",
         f"{NEW_WRITER} v0.32.6+: FinishChunk only relabels \"stop\"; a truncated response "
         "keeps \"length\" after a tool call (#17485 commit message)",
         "openai",
         sse(_chunk({"role": "assistant", "content": "",
                     "tool_calls": [_call("get_weather", WEATHER, "call_k3f9x2ab", 0)]}),
             _chunk({}, "length"), _usage(40, 64), DONE),
         Answer(tool_calls=(Call("get_weather", WEATHER),), finish_reason="length",
                usage=(40, 64))),
    Case("ollama-v1-0.5-tools-text-in-final-chunk",
         f"{OLD_WRITER} v0.5.7 + server/routes.go ChatHandler v0.4.6 .. v0.5.x: with tools "
         "in the request the content is held back (sb) until r.Done and, when no tool call "
         "was parsed, sent whole in the done chunk together with finish_reason",
         "openai",
         sse(_old("Hello there!", "stop"), _usage(30, 4), DONE),
         Answer("Hello there!", finish_reason="stop", usage=(30, 4))),
    Case("ollama-v1-latest-go-html-escapes",
         f"{NEW_WRITER} v0.32.x: chunks are written with json.Marshal, which escapes <, > "
         "and & as \\u003c \\u003e \\u0026 (also inside the arguments string, which "
         "openai.ToToolCalls marshals first); content before a call is its own chunk",
         "openai",
         sse(_go_event(_chunk({"role": "assistant", "content": "Use <b> & </b>"})),
             _go_event(_chunk({"content": "", "tool_calls": [
                 _call("render", {"html": "<b>hi</b>"}, "call_r2d2c3po", 0)]})),
             _go_event(_chunk({}, "tool_calls")), _go_event(_usage(30, 20)), DONE),
         Answer("Use <b> & </b>", tool_calls=(Call("render", {"html": "<b>hi</b>"}),),
                finish_reason="tool_calls", usage=(30, 20))),
    Case("ollama-v1-0.5-error-mid-stream-swallowed",
         f"{OLD_WRITER} v0.5.7 + server/routes.go streamResponse (marshals the "
         "gin.H{\"error\"} record like any other, status already 200): the error text is "
         "lost, an empty chunk with finish_reason null is written and the body ends; "
         "https://github.com/ollama/ollama/issues/12420 (a stream ending in "
         "delta {\"role\":\"assistant\",\"content\":\"\"}, finish_reason null)",
         "openai",
         sse(_old("Hel"), _old("lo"), _swallowed_error(role="assistant")),
         Failure(StreamInterrupted, partial="Hello")),
    Case("ollama-v1-0.9-error-before-output",
         f"{OLD_WRITER} v0.9.0 + server/routes.go streamResponse: before v0.12.6 (6544e1473) "
         "an error before any output is also written as a 200 record, so the client gets "
         "one empty chunk and the end of the body",
         "openai",
         sse(_swallowed_error(role="assistant")),
         Failure(StreamInterrupted, partial="")),
    Case("ollama-v1-latest-error-mid-stream",
         f"{NEW_WRITER} v0.32.x + server/routes.go streamResponse: after c.Writer.Written() "
         "the error is json-encoded into the writer, which still reads it as a ChatResponse: "
         "an empty delta {\"content\":\"\"} chunk, no finish chunk, no [DONE]",
         "openai",
         sse(_chunk({"role": "assistant", "content": "Hel"}), _swallowed_error()),
         Failure(StreamInterrupted, partial="Hel")),
]

ERRORS = [
    Case("ollama-v1-before-0.1.24-no-v1",
         f"{REPO} server/routes.go v0.1.23 registers no /v1 route (r.POST(\"/v1/chat/"
         "completions\", openai.Middleware(), ChatHandler) arrives in v0.1.24, 453f572f8): "
         "gin answers 404 page not found in plain text",
         "openai",
         answer("404 page not found", 404, "text/plain"),
         Failure(BadRequest, fields={"status": 404})),
    Case("ollama-v1-0.1.24-404-pull",
         f"{OLD_ERROR} v0.1.24 + server/routes.go ChatHandler v0.1.24: 404 "
         "fmt.Sprintf(\"model '%s' not found, try pulling it first\", req.Model)",
         "openai",
         answer(_error("model 'm' not found, try pulling it first", "api_error"), 404),
         Failure(ModelNotFound, fields={"status": 404}, says=("not found",),
                 rule="ollama-v1-model-not-found")),
    Case("ollama-v1-0.3-404-pull-quoted",
         f"{OLD_ERROR} v0.3.0 + server/routes.go handleScheduleError v0.3.0 .. current: 404 "
         "fmt.Sprintf(\"model %q not found, try pulling it first\", name); raw "
         "{\"error\":{\"message\":\"model \\\"gemma3:12b\\\" not found, try pulling it first\","
         "\"type\":\"api_error\",\"param\":null,\"code\":null}} pasted in user reports",
         "openai",
         answer(_error('model "m" not found, try pulling it first', "api_error"), 404),
         Failure(ModelNotFound, fields={"status": 404, "available": ("llama3.2:latest",)},
                 rule="ollama-v1-model-not-found"),
         routes={"/v1/models": answer({"object": "list",
                                       "data": [_model("llama3.2:latest")]})}),
    Case("ollama-v1-latest-404-not-found-error",
         f"{NEW_ERROR} v0.18.0+ + server/routes.go ChatHandler (getModel os.IsNotExist): 404 "
         "fmt.Sprintf(\"model '%s' not found\", req.Model), type not_found_error",
         "openai",
         answer(_error("model 'm' not found", "not_found_error"), 404),
         Failure(ModelNotFound, fields={"status": 404}, rule="ollama-v1-model-not-found")),
    Case("ollama-v1-400-does-not-support-tools",
         f"{OLD_ERROR} v0.9.0 + server/routes.go scheduleRunner fmt.Errorf(\"%s %w\", name, "
         "err) with errCapabilities \"does not support\", handleScheduleError 400; raw HTTP 400 "
         "{\"error\":{\"message\":\"registry.ollama.ai/library/phi3:latest does not support "
         "tools\",\"type\":\"api_error\",\"param\":null,\"code\":null}} in user reports",
         "openai",
         answer(_error("registry.ollama.ai/library/phi3:latest does not support tools",
                       "api_error"), 400),
         Failure(BadRequest, fields={"status": 400}, says=("does not support tools",)),
         model="phi3:latest"),
    Case("ollama-v1-400-does-not-support-chat",
         f"{NEW_ERROR} v0.18.0+ + server/routes.go ChatHandler (errCapabilityCompletion): 400 "
         "fmt.Sprintf(\"%q does not support chat\", req.Model), e.g. an embedding model",
         "openai",
         answer(_error('"nomic-embed-text" does not support chat', "invalid_request_error"),
                400),
         Failure(BadRequest, fields={"status": 400}, says=("does not support chat",)),
         model="nomic-embed-text"),
    Case("ollama-v1-500-runner-terminated",
         f"{OLD_ERROR} v0.5.7 + llm/server.go v0.5.7 fmt.Errorf(\"llama runner process has "
         "terminated: %w\", err), handleScheduleError default 500",
         "openai",
         answer(_error("llama runner process has terminated: exit status 2", "api_error"),
                500),
         Failure(ServerError, fields={"status": 500}, says=("runner process has terminated",),
                 not_says=("pull",))),
    Case("ollama-v1-500-llama-server-oom",
         f"{NEW_ERROR} v0.32.x + llm/llama_server.go fmt.Errorf(\"llama-server process has "
         "terminated: %s: %s\", ExitStatus(...), msg) (name since 9db4bdbad)",
         "openai",
         answer(_error("llama-server process has terminated: exit status 1: cudaMalloc "
                       "failed: out of memory\nalloc_tensor_range: failed to allocate CUDA0 "
                       "buffer of size 5064192000\nerror loading model: unable to allocate "
                       "CUDA0 buffer", "api_error"), 500),
         Failure(ServerError, fields={"status": 500}, says=("out of memory",))),
    Case("ollama-v1-400-prompt-longer-than-context",
         f"{NEW_ERROR} v0.30.9+ (bbb40a0a6) + llm/llama_server.go api.StatusError 400 "
         "\"the prompt is longer than the context length currently available to the model; "
         "...\" sent through streamResponse before any output (c.JSON(status, ...))",
         "openai",
         answer(_error("the prompt is longer than the context length currently available to "
                       "the model; shorten the prompt, adjust the context length in settings, "
                       "or use a model with a longer context length", "invalid_request_error"),
                400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": None,
                                          "n_ctx": None},
                 says=("longer than the context length",), rule="ollama-v1-context-length")),
    Case("ollama-v1-503-server-busy",
         f"{OLD_ERROR} v0.5.7 + server/sched.go ErrMaxQueue \"server busy, please try again.  "
         "maximum pending requests exceeded\", handleScheduleError 503",
         "openai",
         answer(_error("server busy, please try again.  maximum pending requests exceeded",
                       "api_error"), 503),
         Failure(ServerError, fields={"status": 503}, says=("server busy",))),
    Case("ollama-v1-401-cloud-unauthorized",
         f"{NEW_ERROR} v0.18.0+ + server/routes.go ChatHandler (remote model, "
         "api.AuthorizationError): c.JSON(authError.StatusCode, gin.H{\"error\": "
         "\"unauthorized\", \"signin_url\": ...}); writeError keeps only the message",
         "openai",
         answer(_error("unauthorized", "api_error"), 401),
         Failure(AuthenticationError, fields={"status": 401}, says=("unauthorized",)),
         model="gpt-oss:120b-cloud"),
]

LISTS = [
    Case("ollama-v1-models",
         f"{REPO} openai/openai.go toListCompletion v0.3.0 / ToListCompletion current: "
         "{\"object\":\"list\",\"data\":[{\"id\",\"object\":\"model\",\"created\","
         "\"owned_by\": namespace}]} (/v1/models since v0.2.0, 996bb1b85)",
         "openai",
         answer({"object": "list", "data": [_model("llama3.2:latest"),
                                            _model("nomic-embed-text:latest"),
                                            _model("hf.co/bartowski/Qwen3-8B-GGUF:Q4_K_M",
                                                   "bartowski")]}),
         Listing(("llama3.2:latest", "nomic-embed-text:latest",
                  "hf.co/bartowski/Qwen3-8B-GGUF:Q4_K_M")),
         call="models"),
    Case("ollama-v1-models-none-installed",
         f"{REPO} openai/openai.go ToListCompletion v0.2.0 .. current: `var data []Model` "
         "stays nil when no model is installed, so Data marshals as null",
         "openai",
         answer({"object": "list", "data": None}),
         Listing(()),
         call="models"),
    Case("ollama-v1-models-before-0.2",
         "https://github.com/ollama/ollama/issues/3050 (v0.1.x: GET /v1/models answers 404 "
         "page not found; only /v1/chat/completions existed before v0.2.0)",
         "openai",
         answer("404 page not found", 404, "text/plain"),
         Failure(BadRequest, fields={"status": 404}),
         call="models"),
    Case("ollama-v1-embed-0.3",
         f"{REPO} openai/openai.go toEmbeddingList v0.3.0 (/v1/embeddings since v0.2.6, "
         "987dbab0b): {\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\","
         "\"index\"}],\"model\"}, no usage",
         "openai",
         answer({"object": "list", "data": [_embedding(0, [0.1, -0.2, 0.3]),
                                            _embedding(1, [0.4, 0.5, -0.6])], "model": "m"}),
         Vectors(2, 3),
         call="embed"),
    Case("ollama-v1-embed-latest",
         f"{REPO} openai/openai.go ToEmbeddingList current: adds \"usage\":{{\"prompt_tokens\","
         "\"total_tokens\"}}",
         "openai",
         answer({"object": "list", "data": [_embedding(0, [0.1, -0.2, 0.3, 0.0]),
                                            _embedding(1, [0.4, 0.5, -0.6, 0.7])],
                 "model": "m", "usage": {"prompt_tokens": 4, "total_tokens": 4}}),
         Vectors(2, 4),
         call="embed"),
    Case("ollama-v1-embed-404",
         f"{NEW_ERROR} v0.18.0+ + server/routes.go EmbedHandler: 404 "
         "fmt.Sprintf(\"model '%s' not found\", req.Model)",
         "openai",
         answer(_error("model 'm' not found", "not_found_error"), 404),
         Failure(ModelNotFound, fields={"status": 404}, rule="ollama-v1-model-not-found"),
         call="embed"),
]

CASES: list[Case] = [*STREAMS, *ERRORS, *LISTS]
