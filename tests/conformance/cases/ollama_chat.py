"""Ollama's native chat stream (``/api/chat``) from 0.1.x to current: records, tool calls,
thinking, done reasons, in-stream errors.

Version landmarks (ollama/ollama, read at the tags named in each case):

- v0.1.13: no ``/api/chat`` route (Go mux ``404 page not found``); clients use
  ``/api/generate`` (records with ``response``).
- v0.1.14: ``/api/chat``; ``Message *Message `json:"message,omitempty"```: the done record has
  no ``message`` at all. No ``done_reason``. Metrics are ``omitempty`` (0 is left out).
- v0.1.32: ``message`` always present (``{"role":"assistant","content":""}`` when done).
- v0.1.35: ``done_reason`` (``stop``/``length``; ``load`` for an empty request).
- v0.3.0: tool calls, parsed only for ``stream:false``; a stream with tools carries the raw
  tool-call text in ``content``. v0.3.11: ``done_reason`` ``unload``.
- v0.4.6: streaming with tools is buffered: a tool call arrives whole in one record, and an
  answer without a call arrives all at once in the done record. v0.4.7: ``function.index``
  (``omitempty``, so index 0 is left out).
- v0.8.0: a template-driven tool parser streams content and emits calls as they parse.
- v0.9.0: ``message.thinking``.
- v0.12.6: ``function.index`` always sent; an error before any output gets its own HTTP status
  (earlier: a ``{"error": ...}`` line in a 200 stream). v0.12.10: tool call ``id``.
- v0.32.15 (latest stable read): llama-server runner; the done record may carry content.

Every record is rendered the way Go's ``encoding/json`` writes it (compact, ``<>&`` escaped
as ``\\u003c`` etc., other non-ASCII left as UTF-8), one write per line.
"""

from __future__ import annotations

import json
from typing import Any

from localllm.errors import (
    AuthenticationError,
    ContextOverflow,
    RateLimited,
    ServerError,
    StreamInterrupted,
)

from ..case import NDJSON, Answer, Call, Case, Failure, answer, ndjson, raw

REPO = "ollama/ollama"
# Evidence shorthand: ollama/ollama api/types.go ChatResponse / Metrics (v0.1.14 .. v0.12).
TYPES = f"{REPO} api/types.go ChatResponse+Metrics"
ROUTES = f"{REPO} server/routes.go ChatHandler"
AT = "2024-07-01T00:00:00Z"

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "get_time", "description": "Current time",
        "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {
        "name": "search", "description": "Search places",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "object"}, "limit": {"type": "integer"},
            "exact": {"type": "boolean"}, "ratio": {"type": "number"}}}}},
]
WITH_TOOLS = {"tools": TOOLS}

RUNNER_RULE = "ollama-runner-error"
CONTEXT_RULE = "ollama-context-length"


def _go(record: dict[str, Any]) -> str:
    """One NDJSON line as Go's json.Marshal writes it (HTML characters escaped)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def _metrics(prompt: int = 12, completion: int = 3) -> dict[str, int]:
    """api/types.go Metrics: counts, durations in nanoseconds."""
    return {"total_duration": 5_000_000, "load_duration": 1_000_000,
            "prompt_eval_count": prompt, "prompt_eval_duration": 2_000_000,
            "eval_count": completion, "eval_duration": 2_000_000}


def _final(**extra: object) -> dict[str, object]:
    """The last record of a stream: done, reason, metrics (api/types.go Metrics)."""
    return {"model": "m", "created_at": AT,
            "message": {"role": "assistant", "content": ""}, "done": True,
            "done_reason": "stop", **_metrics(), **extra}


def _piece(text: str, **message: object) -> dict[str, object]:
    return {"model": "m", "created_at": AT,
            "message": {"role": "assistant", "content": text, **message}, "done": False}


def _done(content: str = "", reason: str | None = "stop", prompt: int = 12,
          completion: int = 3, **message: object) -> dict[str, object]:
    """A done record with the given message fields; ``reason=None`` leaves it out."""
    record: dict[str, object] = {
        "model": "m", "created_at": AT,
        "message": {"role": "assistant", "content": content, **message}, "done": True}
    if reason is not None:
        record["done_reason"] = reason
    return {**record, **_metrics(prompt, completion)}


def _think(text: str) -> dict[str, object]:
    """v0.9.0+: reasoning in ``message.thinking`` while ``content`` is empty."""
    return _piece("", thinking=text)


def _call(name: str, arguments: dict[str, Any], index: int | None = None,
          call_id: str | None = None) -> dict[str, Any]:
    """api/types.go ToolCall: whole call, object arguments; ``index`` from v0.4.7 (omitempty
    until v0.12.6), ``id`` from v0.12.10."""
    function: dict[str, Any] = {}
    if index is not None:
        function["index"] = index
    function.update(name=name, arguments=arguments)
    return {"id": call_id, "function": function} if call_id else {"function": function}


def _calls(*calls: dict[str, Any]) -> dict[str, object]:
    """A non-final record carrying tool calls (content cleared by the server)."""
    return _piece("", tool_calls=list(calls))


def _stream(*records: dict[str, Any] | str) -> Any:
    return ndjson(*(r if isinstance(r, str) else _go(r) for r in records))


def _error(message: str) -> str:
    """An error inside a 200 stream: ``{"error": "..."}`` (streamResponse writes gin.H)."""
    return _go({"error": message})


def _cloud(record: dict[str, Any]) -> dict[str, Any]:
    """A record relayed from a cloud model (routes.go: resp.RemoteModel / RemoteHost)."""
    return {**record, "remote_model": "gpt-oss:120b", "remote_host": "https://ollama.com:443"}


def _cloud_reply(status: int, payload: dict[str, Any]) -> Any:
    """ChatHandler's remote branch sets Content-Type application/x-ndjson before calling the
    cloud, and gin's c.JSON keeps an already-set Content-Type: an error answer keeps it."""
    return answer(payload, status=status, content_type=NDJSON)


def _split_inside(line: str, char: str) -> tuple[bytes, bytes]:
    """The line's bytes in two writes, cut after the first byte of ``char``."""
    data = line.encode()
    cut = data.index(char.encode()) + 1
    return data[:cut], data[cut:]


PARIS = Call("get_weather", {"city": "Paris"})
LONDON = Call("get_weather", {"city": "London"})
NESTED = {"query": {"city": "Zürich", "tags": ["café", "日本", {"near": [47.37, 8.54]}]},
          "limit": 3, "exact": True, "ratio": 0.5}

# In-stream / whole-answer error messages, verbatim from the runner code.
EOF_V05 = "an error was encountered while running the model: unexpected EOF"
POST_PREDICT = 'POST predict: Post "http://127.0.0.1:42623/completion": EOF'
CUDA = "an error was encountered while running the model: CUDA error: unspecified launch failure"
GGML = ("an unknown error was encountered while running the model "
        "GGML_ASSERT(i01 >= 0 && i01 < ne01) failed")
RUNNER_STOPPED = ("model runner has unexpectedly stopped, this may be due to resource "
                  "limitations or an internal error, check ollama server logs for details")
PROMPT_TOO_LONG = ("the prompt is longer than the context length currently available to the "
                   "model; shorten the prompt, adjust the context length in settings, or use a "
                   "model with a longer context length")
MLX_TOO_LONG = ("input length (5000 tokens) exceeds the model's maximum context length "
                "(4096 tokens)")


CASES = [
    # -- plain streams, metrics, done records across versions ------------------------------
    Case("ollama-stream-plain", f"{TYPES} v0.3.0", "ollama",
         ndjson(_piece("Hel"), _piece("lo"), _final()),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("ollama-chat-v0114-done-without-message",
         f"{REPO} api/types.go v0.1.14 (ChatResponse.Message *Message omitempty) + "
         "server/routes.go v0.1.14 ChatHandler (Message set only `if !r.Done`; no done_reason)",
         "ollama",
         _stream({"model": "m", "created_at": "2023-12-06T00:00:00Z",
                  "message": {"role": "assistant", "content": "Hel"}, "done": False},
                 {"model": "m", "created_at": "2023-12-06T00:00:00Z",
                  "message": {"role": "assistant", "content": "lo"}, "done": False},
                 {"model": "m", "created_at": "2023-12-06T00:00:01Z", "done": True,
                  **_metrics(26, 2)}),
         Answer("Hello", finish_reason="stop", usage=(26, 2))),
    Case("ollama-chat-v0132-no-done-reason",
         f"{TYPES} v0.1.32 (Message not a pointer, no DoneReason field) + {ROUTES} v0.1.32",
         "ollama",
         _stream(_piece("Hel"), _piece("lo"), _done(reason=None)),
         Answer("Hello", finish_reason="stop", usage=(12, 3))),
    Case("ollama-chat-v0130-no-prompt-eval-count",
         "https://github.com/ollama/ollama/issues/3427 (v0.1.30: prompt_eval_count absent "
         "when the prompt is cached; also #2068) + api/types.go v0.1.30 Metrics omitempty",
         "ollama",
         _stream(_piece("Hel"), _piece("lo"),
                 {"model": "m", "created_at": AT,
                  "message": {"role": "assistant", "content": ""}, "done": True,
                  "total_duration": 376468647, "load_duration": 758387,
                  "prompt_eval_duration": 226302000, "eval_count": 2,
                  "eval_duration": 147877000}),
         Answer("Hello", finish_reason="stop")),
    Case("ollama-chat-whole-json-record",
         "https://github.com/ollama/ollama/issues/7441 (v0.3.13 /api/chat whole record, no "
         "prompt_eval_count) + server/routes.go v0.3.13 ChatHandler stream:false c.JSON",
         "ollama",
         answer({"model": "m", "created_at": "2024-11-01T22:29:39.812672017Z",
                 "message": {"role": "assistant",
                             "content": "An outdoor scene of a river with blue water."},
                 "done_reason": "stop", "done": True, "total_duration": 4992363967,
                 "load_duration": 1942686202, "prompt_eval_duration": 2707665000,
                 "eval_count": 11, "eval_duration": 272003000}),
         Answer("An outdoor scene of a river with blue water.", finish_reason="stop")),
    Case("ollama-chat-done-record-carries-content",
         f"{REPO} llm/llama_server.go v0.32.15 Completion (final response Content: "
         f"lsResp.Content of the stop event) + {ROUTES} v0.32.15", "ollama",
         _stream(_piece("Hel"), _done("lo", prompt=9, completion=2)),
         Answer("Hello", finish_reason="stop", usage=(9, 2))),
    Case("ollama-chat-done-reason-length",
         f"{REPO} llm/server.go v0.3.0 Completion (StoppedLimit -> doneReason \"length\") + "
         f"{ROUTES} v0.3.0", "ollama",
         _stream(_piece("Once upon"), _piece(" a time"), _done(reason="length",
                                                                completion=4)),
         Answer("Once upon a time", finish_reason="length", usage=(12, 4))),
    Case("ollama-chat-load-record-only",
         f"{ROUTES} v0.3.0 (len(req.Messages)==0 -> c.JSON ChatResponse{{Message: "
         "{Role: assistant}, Done: true, DoneReason: \"load\"}): no answer in it", "ollama",
         answer({"model": "m", "created_at": AT,
                 "message": {"role": "assistant", "content": ""},
                 "done_reason": "load", "done": True}),
         Failure(StreamInterrupted)),
    Case("ollama-chat-unload-record-only",
         f"{ROUTES} v0.3.11 (keep_alive 0 with no messages -> DoneReason \"unload\"; same in "
         "v0.32.15): no answer in it", "ollama",
         answer({"model": "m", "created_at": AT,
                 "message": {"role": "assistant", "content": ""},
                 "done_reason": "unload", "done": True}),
         Failure(StreamInterrupted)),
    Case("ollama-chat-v0113-generate-fallback",
         f"{REPO} server/routes.go v0.1.13 (no /api/chat route: Go mux 404 page not found) + "
         "api/types.go v0.1.13 GenerateResponse + https://github.com/ollama/ollama/issues/1728 "
         "(raw /api/generate records)", "ollama",
         raw("404 page not found", status=404, content_type="text/plain; charset=utf-8",
             framing="length"),
         Answer(" you today?", finish_reason="stop", usage=(23, 9)),
         routes={"/api/generate": _stream(
             {"model": "m", "created_at": "2023-12-25T01:12:45.58944567Z",
              "response": " you", "done": False},
             {"model": "m", "created_at": "2023-12-25T01:12:45.607384298Z",
              "response": " today", "done": False},
             {"model": "m", "created_at": "2023-12-25T01:12:45.625372937Z",
              "response": "?", "done": False},
             {"model": "m", "created_at": "2023-12-25T01:12:45.643531751Z", "response": "",
              "done": True, "context": [32001, 6574, 13, 24205],
              "total_duration": 376468647, "load_duration": 758387,
              "prompt_eval_count": 23, "prompt_eval_duration": 226302000,
              "eval_count": 9, "eval_duration": 147877000})}),

    # -- tool calls ------------------------------------------------------------------------
    Case("ollama-chat-v03-tools-streamed-as-text",
         f"{ROUTES} v0.3.0 (parseToolCalls only when stream is false) + "
         "https://github.com/ollama/ollama-python/issues/279 (streamed content '[{\"', "
         "'name', ...; fixed in v0.4.6)", "ollama",
         _stream(*(_piece(p) for p in ('[{"', 'name', '":"', 'get_weather', '","',
                                       'arguments', '":{"', 'city', '":"', 'Paris', '"}}]')),
                 _done(completion=11)),
         Answer('[{"name":"get_weather","arguments":{"city":"Paris"}}]',
                finish_reason="stop", usage=(12, 11)),
         options=WITH_TOOLS),
    Case("ollama-chat-v046-tool-call-buffered",
         f"{ROUTES} v0.4.6 (sb buffer; parsed calls sent whole with content cleared) + "
         "api/types.go v0.4.6 ToolCall (no index, no id)", "ollama",
         _stream(_calls(_call("get_weather", {"city": "Paris"})), _done(completion=20)),
         Answer(tool_calls=(PARIS,), finish_reason="tool_calls", usage=(12, 20)),
         options=WITH_TOOLS),
    Case("ollama-chat-v046-tools-no-call-one-record",
         f"{ROUTES} v0.4.6 (with tools and no call, all content is held back and sent in the "
         "done record: res.Message.Content = sb.String())", "ollama",
         _stream(_done("It is sunny in Paris today.", completion=8)),
         Answer("It is sunny in Paris today.", finish_reason="stop", usage=(12, 8)),
         options=WITH_TOOLS),
    Case("ollama-chat-v050-two-calls-one-record",
         f"{ROUTES} v0.5.0 (toolCalls[i].Function.Index = toolCallIndex) + api/types.go "
         "v0.5.0 ToolCallFunction Index `json:\"index,omitempty\"` (0 left out)", "ollama",
         _stream(_calls(_call("get_weather", {"city": "Paris"}),
                        _call("get_weather", {"city": "London"}, index=1)),
                 _done(completion=30)),
         Answer(tool_calls=(PARIS, LONDON), finish_reason="tool_calls", usage=(12, 30)),
         options=WITH_TOOLS),
    Case("ollama-chat-v080-content-then-call",
         f"{REPO} tools/tools.go v0.8.0 Parser.Add (text before the template's tool prefix is "
         f"streamed as content, the call follows whole) + {ROUTES} v0.8.0", "ollama",
         _stream(_piece("Let me check"), _piece(" the weather."),
                 _calls(_call("get_weather", {"city": "Paris"})), _done(completion=25)),
         Answer("Let me check the weather.", tool_calls=(PARIS,), finish_reason="tool_calls",
                usage=(12, 25)),
         options=WITH_TOOLS),
    Case("ollama-chat-latest-streamed-calls-id-index",
         f"{REPO} api/types.go v0.32.15 (ToolCall.ID omitempty, Function.Index always) + "
         f"{ROUTES} v0.32.15 (toolCalls[i].ID = toolCallId(): \"call_\" + 8 chars)", "ollama",
         _stream(_calls(_call("get_weather", {"city": "Paris"}, 0, "call_k3x9q2ab")),
                 _calls(_call("get_weather", {"city": "London"}, 1, "call_p0m7z1cd")),
                 _done(completion=31)),
         Answer(tool_calls=(PARIS, LONDON), finish_reason="tool_calls", usage=(12, 31)),
         options=WITH_TOOLS),
    Case("ollama-chat-latest-nested-unicode-arguments",
         f"{REPO} api/types.go v0.32.15 ToolCallFunctionArguments (ordered map, marshalled as "
         "a JSON object; Go leaves non-ASCII as UTF-8)", "ollama",
         _stream(_calls(_call("search", NESTED, 0, "call_a1b2c3d4")), _done(completion=40)),
         Answer(tool_calls=(Call("search", NESTED),), finish_reason="tool_calls",
                usage=(12, 40)),
         options=WITH_TOOLS),
    Case("ollama-chat-latest-call-in-done-record",
         f"{ROUTES} v0.32.15 builtin-parser branch (calls from builtinParser.Add(r.Content, "
         "r.Done) sent in the same record as Done) + model/parsers/lfm2.go v0.32.15 (calls "
         "emitted on done) + llm/llama_server.go v0.32.15 (stop event carries content)",
         "ollama",
         _stream(_done(prompt=15, completion=18, tool_calls=[
             _call("get_weather", {"city": "Paris"}, 0, "call_q8w7e6r5")])),
         Answer(tool_calls=(PARIS,), finish_reason="tool_calls", usage=(15, 18)),
         options=WITH_TOOLS),
    Case("ollama-chat-latest-call-without-arguments",
         f"{REPO} api/types.go v0.32.15 ToolCallFunctionArguments.MarshalJSON (empty -> {{}})",
         "ollama",
         _stream(_calls(_call("get_time", {}, 0, "call_z9y8x7w6")), _done(completion=6)),
         Answer(tool_calls=(Call("get_time", {}),), finish_reason="tool_calls",
                usage=(12, 6)),
         options=WITH_TOOLS),
    Case("ollama-chat-latest-thinking-then-call",
         f"{ROUTES} v0.32.15 (builtin parser returns content, thinking, toolCalls per chunk) + "
         "api/types.go v0.32.15 Message.Thinking", "ollama",
         _stream(_think("The user wants"), _think(" the weather."),
                 _calls(_call("get_weather", {"city": "Paris"}, 0, "call_m4n5b6v7")),
                 _done(completion=22)),
         Answer(reasoning="The user wants the weather.", tool_calls=(PARIS,),
                finish_reason="tool_calls", usage=(12, 22)),
         options=WITH_TOOLS),

    # -- thinking --------------------------------------------------------------------------
    Case("ollama-chat-v090-thinking-then-content",
         f"{REPO} api/types.go v0.9.0 (Message.Thinking `json:\"thinking,omitempty\"`) + "
         f"{ROUTES} v0.9.0 (thinkingState.addContent)", "ollama",
         _stream(_think("Okay, "), _think("the user says hi."), _piece("Hello!"),
                 _piece(" How can I help?"), _done(completion=14)),
         Answer("Hello! How can I help?", reasoning="Okay, the user says hi.",
                finish_reason="stop", usage=(12, 14))),
    Case("ollama-chat-thinking-cut-by-length",
         f"{ROUTES} v0.9.0 + llm/server.go v0.9.0 (DoneReasonLength -> \"length\")", "ollama",
         _stream(_think("Let me think"), _think(" about this carefully"),
                 _done(reason="length", completion=5)),
         Answer(reasoning="Let me think about this carefully", finish_reason="length",
                usage=(12, 5))),
    Case("ollama-chat-v05-think-tags-in-content",
         f"{REPO} server/routes.go v0.5.7 streamResponse (json.Marshal escapes <> as \\u003c "
         "\\u003e; no thinking field before v0.9.0) + raw deepseek-r1:1.5b /api/chat stream "
         "of 2025-02-10 pasted in public notes", "ollama",
         _stream(_piece("<think>"), _piece("\n\n"), _piece("</think>"), _piece("\n\n"),
                 _piece("The"), _piece(" sky"), _done(completion=6)),
         Answer("<think>\n\n</think>\n\nThe sky", finish_reason="stop", usage=(12, 6))),

    # -- unicode, empty records ------------------------------------------------------------
    Case("ollama-chat-unicode-codepoints-across-records",
         f"{REPO} llama/runner/runner.go v0.5.0 (incompleteUnicode: a record holds whole code "
         "points, a grapheme may span records) + server/routes.go streamResponse "
         "(json.Marshal leaves UTF-8 as is)", "ollama",
         _stream(_piece("👩"), _piece("\u200d"), _piece("💻 "), _piece("日本"), _piece("語"),
                 _done(completion=5)),
         Answer("👩\u200d💻 日本語", finish_reason="stop", usage=(12, 5))),
    Case("ollama-chat-utf8-split-across-writes",
         f"{REPO} server/routes.go streamResponse (raw UTF-8 in each line); HTTP chunk "
         "boundaries are not record boundaries (a proxy may re-chunk anywhere)", "ollama",
         raw(_go(_piece("Caf")).encode(), *_split_inside(_go(_piece("é ☕")), "é"),
             _go(_done(completion=3)).encode(), content_type=NDJSON),
         Answer("Café ☕", finish_reason="stop", usage=(12, 3))),
    Case("ollama-chat-empty-records-with-logprobs",
         f"{ROUTES} v0.32.15 (\"Send logprobs while content is being buffered by the parser "
         "for tool calls\": records with content \"\" and logprobs) + api/types.go v0.32.15 "
         "ChatResponse.Logprobs", "ollama",
         _stream(_piece("Hel"),
                 {**_piece(""), "logprobs": [{"token": "lo", "logprob": -0.01}]},
                 {**_piece(""), "logprobs": [{"token": "!", "logprob": -0.2}]},
                 _piece("lo!"), _done(completion=3)),
         Answer("Hello!", finish_reason="stop", usage=(12, 3)),
         options=WITH_TOOLS),

    # -- errors inside the stream, and right before it -------------------------------------
    Case("ollama-chat-error-after-content-unexpected-eof",
         "https://github.com/ollama/ollama/issues/8258 (v0.5.4: 'Hello! HowError: an error "
         "was encountered while running the model: unexpected EOF') + llm/server.go v0.5.0 "
         "Completion + server/routes.go v0.5.0 streamResponse (gin.H error line, status 200)",
         "ollama",
         _stream(_piece("Hello!"), _piece(" How"), _error(EOF_V05)),
         Failure(ServerError, says=("unexpected EOF",), rule=RUNNER_RULE,
                 partial="Hello! How")),
    Case("ollama-chat-error-first-line-post-predict",
         "https://github.com/ollama/ollama/issues/7640 (v0.4.2 'POST predict: Post "
         "\"http://127.0.0.1:42623/completion\": EOF') + llm/server.go v0.4.2 Completion + "
         "server/routes.go v0.4.2 streamResponse (error as a 200 NDJSON line)", "ollama",
         _stream(_error(POST_PREDICT)),
         Failure(ServerError, says=("POST predict",), rule=RUNNER_RULE)),
    Case("ollama-chat-error-cuda-after-content",
         "https://github.com/ollama/ollama/issues/9247 ('an error was encountered while "
         "running the model: CUDA error: unspecified launch failure') + llm/server.go v0.5.11",
         "ollama",
         _stream(_piece("The answer"), _piece(" is"), _error(CUDA)),
         Failure(ServerError, says=("CUDA error: unspecified launch failure",),
                 rule=RUNNER_RULE, partial="The answer is")),
    Case("ollama-chat-error-ggml-assert-first-line",
         "https://github.com/ollama/ollama/issues/7441 (v0.3.14 GGML_ASSERT message) + "
         "llm/server.go v0.3.14 Completion ('an unknown error was encountered while running "
         "the model %s') + server/routes.go v0.3.14 streamResponse", "ollama",
         _stream(_error(GGML)),
         Failure(ServerError, says=("GGML_ASSERT",), rule=RUNNER_RULE)),
    Case("ollama-chat-error-during-think-content",
         "https://github.com/ollama/ollama/issues/8948 (deepseek-r1: unexpected EOF while "
         "generating long thinking) + llm/server.go v0.5.7 Completion", "ollama",
         _stream(_piece("<think>"), _piece("\nOkay, the user"), _error(EOF_V05)),
         Failure(ServerError, says=("unexpected EOF",), rule=RUNNER_RULE,
                 partial="<think>\nOkay, the user")),
    Case("ollama-chat-latest-error-after-thinking-and-content",
         f"{REPO} llm/llama_server.go v0.32.15 Completion (unexpected EOF -> 'an error was "
         "encountered while running the model: %s') + server/routes.go v0.32.15 "
         "streamResponse (after output: json.NewEncoder(c.Writer).Encode(gin.H{error}))",
         "ollama",
         _stream(_think("Hmm."), _piece("Hel"), _error(EOF_V05)),
         Failure(ServerError, says=("unexpected EOF",), rule=RUNNER_RULE, partial="Hel")),
    Case("ollama-chat-500-runner-stopped-before-output",
         f"{REPO} llm/llama_server.go v0.32.15 Completion (request to llama-server failed) + "
         "server/routes.go v0.12.6+ streamResponse (!c.Writer.Written() -> c.JSON(500))",
         "ollama",
         answer({"error": RUNNER_STOPPED}, status=500),
         Failure(ServerError, fields={"status": 500}, says=("unexpectedly stopped",),
                 rule="ollama-runner-terminated")),
    Case("ollama-chat-400-prompt-longer-than-context",
         f"{REPO} llm/llama_server.go v0.30.9..v0.32.15 completionPromptForRequest "
         "(api.StatusError 400, no context shift) + server/routes.go ChatHandler "
         "(gin.H{error, status}) + streamResponse (status before output)", "ollama",
         answer({"error": PROMPT_TOO_LONG}, status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": None,
                                          "n_ctx": None},
                 says=("longer than the context length",), rule=CONTEXT_RULE)),
    Case("ollama-chat-400-mlx-input-length",
         f"{REPO} x/mlxrunner/pipeline.go v0.32.15 Prepare ('input length (%d tokens) exceeds "
         "the model's maximum context length (%d tokens)', http.Error 400) + "
         "x/mlxrunner/client.go v0.32.15 (api.StatusError) + server/routes.go ChatHandler",
         "ollama",
         answer({"error": MLX_TOO_LONG}, status=400),
         Failure(ContextOverflow, fields={"status": 400, "n_prompt_tokens": 5000,
                                          "n_ctx": 4096},
                 says=("exceeds the model's maximum context length",), rule=CONTEXT_RULE)),

    # -- cloud models relayed by a local server (v0.12+ remote branch of ChatHandler) -------
    Case("ollama-chat-cloud-error-after-content-no-newline",
         f"{ROUTES} v0.32.15 remote branch (records get remote_model/remote_host; a failed "
         "relay ends with c.JSON(500, gin.H{error}) after output: status stays 200, no "
         "trailing newline) + https://github.com/ollama/ollama-js/issues/285 (message)",
         "ollama",
         ndjson(_go(_cloud(_piece("Hel"))), _go(_cloud(_piece("lo"))),
                '{"error":"Post \\"https://ollama.com:443/v1/chat/completions?ts=1775218167'
                '\\": unexpected EOF"}'),
         Failure(ServerError, says=("unexpected EOF",), partial="Hello")),
    Case("ollama-chat-cloud-done-with-remote-fields",
         f"{ROUTES} v0.32.15 remote branch (resp.RemoteModel, resp.RemoteHost on every record) "
         "+ api/types.go v0.12.0 ChatResponse remote_model/remote_host", "ollama",
         _stream(_cloud(_piece("Hel")), _cloud(_piece("lo")), _cloud(_done(completion=2))),
         Answer("Hello", finish_reason="stop", usage=(12, 2))),
    Case("ollama-chat-cloud-429-usage-limit",
         f"{ROUTES} v0.32.15 remote branch (c.JSON(apiError.StatusCode, apiError): api.StatusError "
         "marshals as StatusCode/Status/error) + https://github.com/continuedev/continue/issues/"
         "9233 (429 \"you've reached your hourly usage limit, please wait or upgrade to "
         "continue\")", "ollama",
         _cloud_reply(429, {"StatusCode": 429, "Status": "429 Too Many Requests",
                            "error": "you've reached your hourly usage limit, please wait or "
                            "upgrade to continue"}),
         Failure(RateLimited, fields={"status": 429, "retry_after": None},
                 says=("hourly usage limit",), not_says=("StatusCode",))),
    Case("ollama-chat-cloud-401-signin",
         f"{ROUTES} v0.32.15 remote branch (AuthorizationError -> c.JSON(401, "
         "{error: unauthorized, signin_url}))", "ollama",
         _cloud_reply(401, {"error": "unauthorized",
                            "signin_url": "https://ollama.com/connect?name=host&key=c3NoLWVk"}),
         Failure(AuthenticationError, fields={"status": 401}, says=("unauthorized",),
                 rule="ollama-cloud-signin")),

    # -- streams that end early ------------------------------------------------------------
    Case("ollama-stream-no-done-record",
         "https://github.com/ollama/ollama/issues/1838 (v0.1.18: server died mid-request, "
         "client saw EOF) + api/types.go ChatResponse (completion only at done: true)",
         "ollama",
         _stream(_piece("Hel"), _piece("lo")),
         Failure(StreamInterrupted, partial="Hello")),
    Case("ollama-stream-cut-mid-record",
         "https://github.com/ollama/ollama/issues/1838 (connection closed by a crashing "
         "server) + server/routes.go streamResponse (one line per record)", "ollama",
         raw(_go(_piece("Hel")), _go(_piece("lo"))[:30], content_type=NDJSON,
             framing="close"),
         Failure(StreamInterrupted, partial="Hel")),
    Case("ollama-stream-tool-call-then-cut",
         "https://github.com/ollama/ollama/issues/1838 + server/routes.go v0.4.6 (tool call "
         "record before the done record)", "ollama",
         _stream(_calls(_call("get_weather", {"city": "Paris"}))),
         Failure(StreamInterrupted, partial=""),
         options=WITH_TOOLS),
]
