"""A fake LLM server that is never the bottleneck: raw asyncio, keep-alive, chunked transfer,
bodies rendered once at start. Speaks Ollama NDJSON (/api/chat) and OpenAI SSE
(/v1/chat/completions). ``--delay-ms`` paces chunks; 0 sends them in one burst.

Run: ``python -m benchmarks.fake_server --chunks 500`` (prints ``PORT <n>``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

TOKEN = "tok"


def _chunked(pieces: list[bytes]) -> list[bytes]:
    return [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]


def render_ollama(n: int) -> list[bytes]:
    line = {"model": "m", "created_at": "2024-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": TOKEN}, "done": False}
    done = {"model": "m", "created_at": "2024-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
            "total_duration": 1, "load_duration": 1, "prompt_eval_count": 5,
            "prompt_eval_duration": 1, "eval_count": n, "eval_duration": 1}
    pieces = [json.dumps(line).encode() + b"\n"] * n + [json.dumps(done).encode() + b"\n"]
    return _chunked(pieces)


def render_openai(n: int) -> list[bytes]:
    def event(obj: object) -> bytes:
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    tok = event({**base, "choices": [{"index": 0, "delta": {"content": TOKEN},
                                      "finish_reason": None}]})
    fin = event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = event({**base, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": n,
                                                    "total_tokens": n + 5}})
    return _chunked([tok] * n + [fin, usage, b"data: [DONE]\n\n"])


class Bench:
    def __init__(self, chunks: int, delay_ms: float) -> None:
        self.delay = delay_ms / 1000
        self.streams = {"/api/chat": (b"application/x-ndjson", render_ollama(chunks)),
                        "/v1/chat/completions": (b"text/event-stream", render_openai(chunks))}
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        streamed = False  # only connections that carry a chat stream count (not /stats)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *headers = head.decode("latin-1").split("\r\n")
                path = line.split(" ")[1]
                length = 0
                for h in headers:
                    if h.lower().startswith("content-length:"):
                        length = int(h.split(":")[1])
                if length:
                    await reader.readexactly(length)
                if path in self.streams:
                    self.requests += 1
                    if not streamed:
                        streamed = True
                        self.connections += 1
                await self.respond(path, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def respond(self, path: str, writer: asyncio.StreamWriter) -> None:
        if path in self.streams:
            ctype, pieces = self.streams[path]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype
                         + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            if self.delay:  # the pause comes before each later piece, never after the
                for i, piece in enumerate(pieces):  # last: the next request is read at once
                    if i:
                        await asyncio.sleep(self.delay)
                    writer.write(piece)
                    await writer.drain()
            else:
                writer.write(b"".join(pieces))
            await writer.drain()
            return
        status = b"200 OK"
        if path == "/stats":
            body = json.dumps({"connections": self.connections,
                               "requests": self.requests}).encode()
        elif path == "/api/version":
            body = b'{"version":"0.0.0-bench"}'
        elif path == "/v1/models":
            body = b'{"object":"list","data":[{"id":"m","object":"model"}]}'
        elif path == "/api/ps":
            body = b'{"models":[{"name":"m","model":"m","context_length":4096}]}'
        elif path == "/props":
            body = b'{"default_generation_settings":{"n_ctx":4096},"total_slots":1}'
        elif path == "/api/show":
            body = (b'{"model_info":{"general.architecture":"llama","llama.context_length":4096},'
                    b'"capabilities":["completion"]}')
        else:
            status = b"404 Not Found"
            body = b'{"error":"not found"}'
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()


async def serve(chunks: int, delay_ms: float, port: int) -> None:
    bench = Bench(chunks, delay_ms)
    server = await asyncio.start_server(bench.handle, "127.0.0.1", port, backlog=1024)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--chunks", type=int, default=500)
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    from ._common import pin_to_core

    pin_to_core(0)
    try:
        asyncio.run(serve(a.chunks, a.delay_ms, a.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
