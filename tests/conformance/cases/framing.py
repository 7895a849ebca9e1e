"""Conformance cases: the generic framing of both stream formats and of HTTP bodies.

SSE (backend "openai"), as the WHATWG HTML standard's "interpreting an event stream" defines
it and as real servers write it: records split across writes at every awkward place, several
events in one write, a UTF-8 character split across writes, CRLF (Xinference through
sse-starlette), bare CR, a leading BOM, ``data:`` without the space (TGI through axum),
multi-line data, comments and keep-alive pings (sse-starlette ``: ping - …``, axum ``:``),
``event``/``id``/``retry`` fields, an event without data, unknown fields, and how a stream
ends (``[DONE]``, a finish reason without ``[DONE]``, nothing, mid-event, KoboldCpp's
unterminated ``data: [DONE]`` on a connection-close body).

NDJSON (backend "ollama"), as the ndjson spec defines it and as Ollama's ``streamResponse``
writes it (one ``json.Marshal`` + ``"\\n"`` per record): splits, several records in one
write, a split UTF-8 character, CRLF, blank lines, a last line without a newline, a missing
done record, malformed and non-JSON lines.

HTTP bodies: chunked (RFC 9112 §7.1), Content-Length and connection-close framing (§6.3),
an HTML page with status 200, an SSE body without a Content-Type, and a whole
``chat.completion`` JSON answer where a stream was asked for (SGLang 0.4.1 with tools).
"""

from __future__ import annotations

import json
from typing import Any

from localllm.errors import ProtocolError, StreamInterrupted

from ..case import DONE, JSON, NDJSON, Answer, Case, Failure, Reply, answer, raw

# -- evidence shorthand ---------------------------------------------------------------------
WHATWG = ("WHATWG HTML Living Standard, server-sent events, 'Interpreting an event stream' "
          "(https://html.spec.whatwg.org/multipage/server-sent-events.html"
          "#event-stream-interpretation)")
OPENAI_PY = ("openai/openai-python src/openai/_streaming.py SSEDecoder (_iter_chunks joins "
             "reads until a blank line; decode() per WHATWG)")
RFC9112_CHUNKED = "RFC 9112 §7.1 (chunk boundaries carry no meaning for the content)"
RFC9112_LENGTH = "RFC 9112 §6.3 (message body length: Content-Length, or close-delimited)"
STARLETTE = "sysid/sse-starlette sse_starlette/sse.py"
XINFERENCE = ("xorbitsai/inference v3.2.1 xinference/api/restful_api.py create_chat_completion "
              "EventSourceResponse(stream_results()) + xinference/core/model.py "
              "ensure_bytes(dict(data=json.dumps(v, ensure_ascii=False)), None); "
              f"{STARLETTE} v3.4.5 DEFAULT_SEPARATOR = \"\\r\\n\"")
TGI_2 = ("huggingface/text-generation-inference v2.0.4 router/src/server.rs chat_completions "
         "(Event::default().json_data(ChatCompletionChunk), Sse keep_alive(KeepAlive::"
         "default()), no [DONE] until v2.2.0 / PR #2221) + tokio-rs/axum axum-v0.6.20 "
         "axum/src/response/sse.rs (json_data writes b\"data:\", KeepAlive b\":\\n\\n\")")
TGI_3 = ("huggingface/text-generation-inference v3.3.7 router/src/server.rs chat_completions "
         "(json_data chunks, Event::default().data(\"[DONE]\"), KeepAlive::default()) + "
         "tokio-rs/axum axum-v0.7.9 axum/src/response/sse.rs (json_data b\"data: \"; field() "
         "writes name + ':' + value, so data:[DONE]; KeepAlive b\":\\n\\n\")")
LLAMA_CPP_PY = ("abetlen/llama-cpp-python llama_cpp/server/app.py create_chat_completion "
                "(EventSourceResponse(recv_chan, ..., sep=\"\\n\"), default ping 15 s) + "
                f"{STARLETTE} v1.8.2 _ping: ServerSentEvent(comment=f\"ping - "
                "{datetime.utcnow()}\").encode() (always \\r\\n, sep ignored until v2.1.0)")
KOBOLD = ("LostRuins/koboldcpp v1.75.2 koboldcpp.py handle_sse_stream + send_oai_sse_event "
          "(data: [DONE] written without \\n\\n since a829a1ee; currfinishreason = \"null\" "
          "string until the end; SimpleHTTPRequestHandler = HTTP/1.0, close_connection)")
OLLAMA_WRITER = ("ollama/ollama server/routes.go streamResponse v0.5.7 .. v0.32.15 "
                 "(json.Marshal(val); bts = append(bts, '\\n'); w.Write(bts))")
OLLAMA_CLIENT = ("ollama/ollama api/client.go stream() v0.5.7 .. v0.32.15 (bufio.Scanner "
                 "lines; json.Unmarshal error -> return fmt.Errorf(\"unmarshal: %w\"))")
NDJSON_SPEC = "ndjson/ndjson-spec README.md 1.0.0 §3.1-3.2"
GATEWAY_HTML = ("https://github.com/QwenLM/qwen-code/issues/6465 (HTTP/1.1 200, Content-Type: "
                "text/html;charset=UTF-8, Transfer-Encoding: chunked, <html>...gateway block "
                "page...</html>; the client wrongly reported 'stream ended without a finish "
                "reason')")
HTML_UTF8 = "text/html;charset=UTF-8"
BLOCK_PAGE = ("<html><head><title>Access denied</title></head><body><h1>Request blocked by "
              "gateway</h1></body></html>")


# -- OpenAI chunks --------------------------------------------------------------------------
def _chunk(content: str | None = None, finish: str | None = None, *, role: bool = False
           ) -> dict[str, Any]:
    """A ``chat.completion.chunk`` (the shape vLLM, llama.cpp and Xinference share)."""
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1720000000,
            "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _data(obj: dict[str, Any], end: str = "\n\n", sep: str = "data: ") -> str:
    return f"{sep}{json.dumps(obj)}{end}"


HEL, LO, STOP = _chunk("Hel", role=True), _chunk("lo"), _chunk(finish="stop")


def _utf8_data(obj: dict[str, Any]) -> bytes:
    """An event as Xinference writes it: json.dumps(..., ensure_ascii=False), raw UTF-8."""
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()


def _cut_inside(data: bytes, char: str) -> tuple[bytes, bytes]:
    """``data`` split after the first byte of ``char``'s UTF-8 encoding."""
    at = data.index(char.encode()) + 1
    return data[:at], data[at:]


def _two_data_lines(obj: dict[str, Any]) -> str:
    """One event whose JSON is written over two ``data:`` lines (split before "choices");
    joined with \\n per WHATWG it is the same JSON."""
    text = json.dumps(obj)
    at = text.index(' "choices"')
    return f"data: {text[:at]}\ndata: {text[at + 1:]}\n\n"


def _hello_sse(end: str = "\n\n") -> list[str]:
    """``Hel`` + ``lo`` + finish ``stop`` + ``[DONE]`` with the given event terminator."""
    return [_data(c, end) for c in (HEL, LO, STOP)] + [f"data: [DONE]{end}"]


def _tgi2(content: str, finish: str | None = None) -> dict[str, Any]:
    """TGI v2.0.4 ChatCompletionChunk (router/src/lib.rs): object "text_completion", empty
    id, TextMessage delta always carrying role and content."""
    return {"id": "", "object": "text_completion", "created": 1717000000, "model": "m",
            "system_fingerprint": "2.0.4-native",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": finish}]}


def _tgi3(content: str, finish: str | None = None) -> dict[str, Any]:
    """TGI v3.3.7 CompletionType::ChatCompletionChunk (serde tag "object")."""
    return {"object": "chat.completion.chunk", "id": "", "created": 1750000000, "model": "m",
            "system_fingerprint": "3.3.7-native",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": finish}], "usage": None}


def _kobold(content: str, finish: str) -> dict[str, Any]:
    """KoboldCpp v1.75.2 chat chunk (json.dumps of the dict in handle_sse_stream)."""
    return {"id": "koboldcpp", "object": "chat.completion.chunk", "created": 1730000000,
            "model": "koboldcpp/m", "choices": [{"index": 0, "finish_reason": finish,
                                                 "delta": {"role": "assistant",
                                                           "content": content}}]}


PING_V1 = ": ping - 2024-05-01 12:00:15.123456\r\n\r\n"  # sse-starlette 1.x / 2.0.0


# -- Ollama records -------------------------------------------------------------------------
def _piece(text: str) -> dict[str, Any]:
    return {"model": "m", "created_at": "2024-07-01T00:00:00Z",
            "message": {"role": "assistant", "content": text}, "done": False}


def _final() -> dict[str, Any]:
    return {"model": "m", "created_at": "2024-07-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""}, "done": True,
            "done_reason": "stop", "total_duration": 5_000_000, "load_duration": 1_000_000,
            "prompt_eval_count": 12, "prompt_eval_duration": 2_000_000, "eval_count": 3,
            "eval_duration": 2_000_000}


def _line(obj: dict[str, Any], end: str = "\n") -> str:
    """One record as Go's json.Marshal writes it (no spaces) + the line end."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + end


def _nd(*pieces: str | bytes, content_type: str | None = NDJSON) -> Reply:
    return raw(*pieces, content_type=content_type)


HELLO = Answer("Hello", finish_reason="stop")
HELLO_OLLAMA = Answer("Hello", finish_reason="stop", usage=(12, 3))


def _split(text: str, *cuts: int) -> list[str]:
    """``text`` cut at the given offsets (negative counts from the end)."""
    points = sorted(c % len(text) for c in cuts)
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


_HEL_EVENT = _data(HEL)
_FINAL_LINE = _line(_final())

SSE_CASES = [
    # -- splits -----------------------------------------------------------------------------
    Case("framing-sse-split-inside-json",
         f"{OPENAI_PY}; {RFC9112_CHUNKED}", "openai",
         raw(*_split(_HEL_EVENT, 20, 47), _data(LO), _data(STOP), DONE), HELLO),
    Case("framing-sse-split-after-data-colon",
         f"{WHATWG} (a line is only complete at its end-of-line); {RFC9112_CHUNKED}", "openai",
         raw("data:", _HEL_EVENT[5:], "data", _data(LO)[4:], _data(STOP), "data: [DONE]",
             "\n\n"), HELLO),
    Case("framing-sse-split-between-cr-and-lf",
         f"{XINFERENCE}; {WHATWG} (CRLF is one end-of-line); {RFC9112_CHUNKED}", "openai",
         raw(_data(HEL, "\r"), "\n\r", "\n", _data(LO, "\r\n\r"), "\n", _data(STOP, "\r\n\r\n"),
             "data: [DONE]\r\n\r\n"), HELLO),
    Case("framing-sse-several-events-one-write",
         f"{OPENAI_PY} (one read may hold several events); {RFC9112_CHUNKED}", "openai",
         raw("".join(_hello_sse())), HELLO),
    Case("framing-sse-utf8-split-across-writes",
         f"{XINFERENCE} (ensure_ascii=False: raw UTF-8 in data); {RFC9112_CHUNKED}; {WHATWG} "
         "(the stream is decoded as UTF-8, not each read)", "openai",
         raw(*_cut_inside(_utf8_data(_chunk("日本", role=True)), "本"),
             *_cut_inside(_utf8_data(_chunk("é")), "é"), _data(STOP), DONE),
         Answer("日本é", finish_reason="stop")),
    # -- line ends, BOM, field syntax --------------------------------------------------------
    Case("framing-sse-crlf-xinference",
         XINFERENCE, "openai", raw(*_hello_sse("\r\n\r\n")), HELLO),
    Case("framing-sse-bare-cr",
         f"{WHATWG} (CR alone ends a line); {STARLETTE} v2.0.0+ EventSourceResponse accepts "
         "sep in [\"\\r\\n\", \"\\r\", \"\\n\"]", "openai",
         raw(*_hello_sse("\r\r")), HELLO),
    Case("framing-sse-leading-bom",
         f"{WHATWG} (one leading U+FEFF is ignored); web-platform-tests/wpt "
         "eventsource/format-bom.js", "openai",
         raw(b"\xef\xbb\xbf" + _hello_sse()[0].encode(), *_hello_sse()[1:]), HELLO),
    Case("framing-sse-data-without-space-tgi2-finish-without-done",
         f"{TGI_2}; {WHATWG} (one space after the colon is optional); a clean end of body "
         "after a finish_reason is a complete stream", "openai",
         raw(":\n\n", _data(_tgi2("Hel"), sep="data:"), ":\n\n",
             _data(_tgi2("lo", "length"), sep="data:")),
         Answer("Hello", finish_reason="length")),
    Case("framing-sse-done-without-space-tgi3",
         TGI_3, "openai",
         raw(_data(_tgi3("Hel")), ":\n\n", _data(_tgi3("lo")), _data(_tgi3("", "stop")),
             "data:[DONE]\n\n"), HELLO),
    Case("framing-sse-multiline-data",
         f"{WHATWG} (data lines are joined with \\n); {STARLETTE} event.py encode() and "
         "tokio-rs/axum Event::data() write one data: line per line of the payload", "openai",
         raw(*(_two_data_lines(c) for c in (HEL, LO, STOP)), DONE), HELLO),
    # -- comments, pings, other fields -------------------------------------------------------
    Case("framing-sse-ping-comments-llama-cpp-python",
         f"{LLAMA_CPP_PY}; {WHATWG} (lines starting with ':' are ignored)", "openai",
         raw(PING_V1, _data(HEL), PING_V1, _data(LO), _data(STOP), PING_V1, DONE), HELLO),
    Case("framing-sse-ping-comments-sse-starlette-2",
         f"{STARLETTE} v2.1.0 .. v3.4.5 _ping: comment=f\"ping - {{datetime.now(timezone.utc)}}"
         "\", sep=self.sep (a \\r\\n stream as Xinference sends it); " + XINFERENCE, "openai",
         raw(": ping - 2025-06-01 12:00:15.123456+00:00\r\n\r\n", *_hello_sse("\r\n\r\n")[:2],
             ": ping - 2025-06-01 12:00:30.123456+00:00\r\n\r\n",
             *_hello_sse("\r\n\r\n")[2:]), HELLO),
    Case("framing-sse-event-message-and-id-lines",
         f"{WHATWG} (event: sets the type, id: the last event id; 'message' is the default); "
         f"{OPENAI_PY} (an event other than error / thread.* is read as a chunk)", "openai",
         raw(f"id: 1\nevent: message\n{_data(HEL)}", f"id: 2\nevent: message\n{_data(LO)}",
             f"id: 3\nevent: message\n{_data(STOP)}", "event: message\ndata: [DONE]\n\n"),
         HELLO),
    Case("framing-sse-retry-only-event-not-dispatched",
         f"{WHATWG} (an event whose data buffer is empty is not dispatched; retry: sets the "
         "reconnection time); tokio-rs/axum Event::retry(); note: openai-python SSEDecoder "
         "yields such an event with data \"\" and then fails in json.loads", "openai",
         raw("retry: 3000\n\n", "id: 7\n\n", *_hello_sse()), HELLO),
    Case("framing-sse-unknown-field-ignored",
         f"{WHATWG} (any other field name: the field is ignored); {OPENAI_PY} "
         "(\"Field is ignored.\")", "openai",
         raw(f"x-trace: abc\n{_data(HEL)}", f"{_data(LO)[:-1]}comment-like text\n\n",
             _data(STOP), DONE), HELLO),
    # -- how a stream ends -------------------------------------------------------------------
    Case("framing-sse-no-finish-no-done-interrupted",
         f"{OPENAI_PY} (__stream__ just stops at the end of the body: no error, the short "
         "answer passes as complete); the client must not do that: "
         "https://github.com/QwenLM/qwen-code/issues/6465 ('Model stream ended without a "
         "finish reason')", "openai",
         raw(_data(HEL), _data(LO)),
         Failure(StreamInterrupted, partial="Hello")),
    Case("framing-sse-body-ends-mid-event",
         f"{WHATWG} + web-platform-tests/wpt eventsource/format-data-before-final-empty-line.js "
         "(an event not ended by a blank line at end of body is dropped)", "openai",
         raw(_data(HEL), _data(LO), _data(STOP)[:30]),
         Failure(StreamInterrupted, partial="Hello")),
    Case("framing-sse-koboldcpp-unterminated-done-close-framed",
         f"{KOBOLD}; {RFC9112_LENGTH}", "openai",
         raw(_data(_kobold("Hel", "null")), _data(_kobold("lo", "null")),
             _data(_kobold("", "stop")), "data: [DONE]", framing="close"),
         HELLO),
    Case("framing-sse-koboldcpp-null-string-finish-then-cut",
         f"{KOBOLD} (on an exception: 'Token streaming was interrupted or aborted!', flush, "
         "close_connection, no [DONE]); finish_reason \"null\" is a string, not a finish",
         "openai",
         raw(_data(_kobold("Hel", "null")), _data(_kobold("lo", "null")), framing="close"),
         Failure(StreamInterrupted, partial="Hello")),
    # -- HTTP bodies -------------------------------------------------------------------------
    Case("framing-sse-content-length-framed",
         f"{RFC9112_LENGTH}; {OPENAI_PY} (framing-independent)", "openai",
         raw(*_hello_sse(), framing="length"), HELLO),
    Case("framing-sse-close-framed",
         f"{RFC9112_LENGTH} (no length: the body ends when the server closes); {KOBOLD}",
         "openai", raw(*_hello_sse(), framing="close"), HELLO),
    Case("framing-sse-without-content-type",
         "https://github.com/nearai/private-ml-sdk/pull/20 (curl: HTTP/1.1 200 OK, server: "
         "uvicorn, transfer-encoding: chunked, no content-type on a chat completion stream)",
         "openai", raw(*_hello_sse(), content_type=None), HELLO),
    Case("framing-sse-malformed-json-event",
         f"{OPENAI_PY} (sse.json() = json.loads(data) raises; no event is skipped)", "openai",
         raw(_data(HEL), 'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"lo"\n\n',
             _data(STOP), DONE),
         Failure(ProtocolError)),
    Case("framing-sse-html-page-200",
         GATEWAY_HTML, "openai",
         raw(BLOCK_PAGE, content_type=HTML_UTF8),
         Failure(ProtocolError)),
    Case("framing-sse-whole-json-answer-sglang-tools",
         "sglang 0.4.1.post4 (PyPI wheel) sglang/srt/openai_api/adapter.py "
         "v1_chat_generate_request: if request.tools and request.tool_choice != \"none\": ... "
         "if request.stream: logger.warning(\"Streaming is not supported with tools.\"); "
         "request.stream = False -> v1_chat_generate_response ChatCompletionResponse as "
         "application/json (protocol.py); https://github.com/sgl-project/sglang/issues/2810",
         "openai",
         answer({"id": "5f1c2e", "object": "chat.completion", "created": 1736400000,
                 "model": "m",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello",
                                                      "tool_calls": None},
                              "logprobs": None, "finish_reason": "stop",
                              "matched_stop": None}],
                 "usage": {"prompt_tokens": 20, "total_tokens": 22, "completion_tokens": 2,
                           "prompt_tokens_details": None}}, content_type=JSON),
         Answer("Hello", finish_reason="stop", usage=(20, 2)),
         options={"tools": [{"type": "function", "function": {
             "name": "get_weather", "description": "Weather of a city",
             "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"]}}}]}),
]

NDJSON_CASES = [
    Case("framing-ndjson-split-inside-json",
         f"{OLLAMA_WRITER}; {RFC9112_CHUNKED}", "ollama",
         _nd(*_split(_line(_piece("Hel")), 9, 60), _line(_piece("lo")),
             *_split(_FINAL_LINE, 100)),
         HELLO_OLLAMA),
    Case("framing-ndjson-newline-in-next-write",
         f"{OLLAMA_WRITER}; {RFC9112_CHUNKED}", "ollama",
         _nd(_line(_piece("Hel"), ""), "\n", _line(_piece("lo"), ""), "\n" + _FINAL_LINE),
         HELLO_OLLAMA),
    Case("framing-ndjson-several-records-one-write",
         f"{OLLAMA_WRITER} (one write per record; reads may coalesce); {RFC9112_CHUNKED}",
         "ollama",
         _nd(_line(_piece("Hel")) + _line(_piece("lo")) + _FINAL_LINE),
         HELLO_OLLAMA),
    Case("framing-ndjson-utf8-split-across-writes",
         f"{OLLAMA_WRITER} (Go json.Marshal writes non-ASCII as raw UTF-8); {RFC9112_CHUNKED}",
         "ollama",
         _nd(*_cut_inside(_line(_piece("日本")).encode(), "本"),
             *_cut_inside(_line(_piece("é")).encode(), "é"), _FINAL_LINE),
         Answer("日本é", finish_reason="stop", usage=(12, 3))),
    Case("framing-ndjson-crlf-line-ends",
         f"{NDJSON_SPEC} (the parser MUST accept \\r\\n as well as \\n)", "ollama",
         _nd(_line(_piece("Hel"), "\r\n"), _line(_piece("lo"), "\r\n"),
             _line(_final(), "\r\n")),
         HELLO_OLLAMA),
    Case("framing-ndjson-blank-line-between-records",
         f"{NDJSON_SPEC} (the parser MAY silently ignore empty lines)", "ollama",
         _nd(_line(_piece("Hel")), "\n", _line(_piece("lo")), "\n\n", _FINAL_LINE),
         HELLO_OLLAMA),
    Case("framing-ndjson-last-line-without-newline-done",
         f"{OLLAMA_CLIENT} (bufio.ScanLines returns a last line without newline); "
         f"{NDJSON_SPEC}", "ollama",
         _nd(_line(_piece("Hel")), _line(_piece("lo")), _line(_final(), "")),
         HELLO_OLLAMA),
    Case("framing-ndjson-no-done-interrupted",
         f"{OLLAMA_WRITER} (the writer stops on a failed Write/Marshal: the body ends without "
         "the done record)", "ollama",
         _nd(_line(_piece("Hel")), _line(_piece("lo"))),
         Failure(StreamInterrupted, partial="Hello")),
    Case("framing-ndjson-ends-mid-record",
         f"{OLLAMA_WRITER}; {NDJSON_SPEC} (an unfinished line is not a record)", "ollama",
         _nd(_line(_piece("Hel")), _line(_piece("lo")), _FINAL_LINE[:40]),
         Failure(StreamInterrupted, partial="Hello")),
    Case("framing-ndjson-malformed-json-line",
         f"{OLLAMA_CLIENT}; {NDJSON_SPEC} (if the JSON text is not parseable, the parser "
         "SHOULD raise an error)", "ollama",
         _nd(_line(_piece("Hel")), '{"model":"m","created_at":"2024-07-01T00:00:00Z","mess\n',
             _line(_piece("lo")), _FINAL_LINE),
         Failure(ProtocolError)),
    Case("framing-ndjson-html-page-200",
         GATEWAY_HTML, "ollama",
         _nd(BLOCK_PAGE, content_type=HTML_UTF8),
         Failure(ProtocolError)),
    Case("framing-ndjson-content-length-framed",
         f"{RFC9112_LENGTH}; {OLLAMA_WRITER}", "ollama",
         raw(_line(_piece("Hel")), _line(_piece("lo")), _FINAL_LINE, content_type=NDJSON,
             framing="length"),
         HELLO_OLLAMA),
]

CASES: list[Case] = [*SSE_CASES, *NDJSON_CASES]

__all__ = ["CASES"]
