"""``localllm`` command line: serve, chat, models, pull, doctor, demo."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import LocalLLMError


def _client(url: str | None, **kw: Any) -> Any:
    from .client import Client

    return Client(url, **kw)


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import EmbeddedServer

    print("Starting the embedded llama.cpp server (first run prepares the bundled model)…",
          flush=True)
    server = EmbeddedServer(model=args.model, n_ctx=args.ctx, n_parallel=args.parallel,
                            port=args.port, host=args.host, n_threads=args.threads,
                            reasoning=args.reasoning, verbose=args.verbose)
    started = time.monotonic()
    stop = threading.Event()
    with server:
        # Our own handlers, set after llama.cpp started (it may install its own): a clean
        # stop on Ctrl-C or SIGTERM wherever the main thread happens to be.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        print(f"Serving {server.model} at {server.url} (OpenAI-compatible: {server.url}/v1), "
              f"{server.n_ctx_per_slot} tokens per request × {args.parallel} slots; "
              f"ready in {time.monotonic() - started:.1f} s. Ctrl-C stops.", flush=True)
        while not stop.wait(0.5):
            pass
        print("\nStopping.", flush=True)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    messages = ([{"role": "system", "content": args.system}] if args.system else [])
    messages.append({"role": "user", "content": args.prompt})
    started = time.monotonic()
    first = None
    timings = usage = None
    with _client(args.url) as client:
        try:
            for delta in client.chat_stream(messages, model=args.model,
                                            max_tokens=args.max_tokens,
                                            temperature=args.temperature):
                if delta.content:
                    first = first or time.monotonic()
                    sys.stdout.write(delta.content)
                    sys.stdout.flush()
                timings, usage = delta.timings or timings, delta.usage or usage
        except KeyboardInterrupt:
            print("\n[cancelled]")
            return 130
    elapsed = time.monotonic() - (first or started)
    tokens = usage.completion_tokens if usage else None
    rate = timings.predicted_per_second if timings else None
    if rate is None and tokens and elapsed > 0:
        rate = tokens / elapsed
    ttft = f", first token after {(first - started):.2f} s" if first else ""
    print(f"\n[{tokens if tokens is not None else '?'} tokens, "
          f"{rate:.1f} tokens/s{ttft}]" if rate else f"\n[done{ttft}]")
    return 0


def _size(n: int | None) -> str:
    if not n:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n:.0f} PB"


def cmd_models(args: argparse.Namespace) -> int:
    with _client(args.url) as client:
        rows = []
        for info in client.models():
            try:
                detail = client.show(info.name)
            except LocalLLMError:
                detail = info
            rows.append((info.name, _size(info.size or detail.size),
                         str(detail.context_window or "-"),
                         ",".join(detail.capabilities) or "-"))
    header = ("NAME", "SIZE", "CONTEXT", "CAPABILITIES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    with _client(args.url) as client:
        try:
            for status in client.pull(args.model):
                if status.digest and status.total:
                    bar = bars.get(status.digest)
                    if bar is None:
                        bar = bars[status.digest] = tqdm(
                            total=status.total, unit="B", unit_scale=True,
                            desc=status.digest.replace("sha256:", "")[:12])
                    bar.update((status.completed or 0) - bar.n)
                else:
                    tqdm.write(status.status)
        except KeyboardInterrupt:
            print("\nPull cancelled (run it again to resume).")
            return 130
        finally:
            for bar in bars.values():
                bar.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="localllm", description=(
        "Stream from local LLM servers (Ollama, llama.cpp, vLLM, LM Studio) or the bundled "
        "embedded llama.cpp server."))
    p.add_argument("--version", action="version", version=f"localllm {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the embedded llama.cpp server (OpenAI-compatible)")
    s.add_argument("--model", help="path to any GGUF file (default: bundled gemma-3-270m)")
    s.add_argument("--ctx", type=int, default=4096, help="total context, split across slots")
    s.add_argument("--parallel", type=int, default=2, help="concurrent request slots")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--threads", type=int, default=None)
    s.add_argument("--reasoning", action="store_true", help="<think> template variant")
    s.set_defaults(func=cmd_serve)

    c = sub.add_parser("chat", help="stream one answer to the terminal")
    c.add_argument("prompt")
    c.add_argument("--url", help="server URL (default: discovered)")
    c.add_argument("--model", help="model name (default: the server's)")
    c.add_argument("--system", help="system prompt")
    c.add_argument("--max-tokens", type=int, default=256)
    c.add_argument("--temperature", type=float, default=None)
    c.set_defaults(func=cmd_chat)

    m = sub.add_parser("models", help="list models: size, context window, capabilities")
    m.add_argument("--url")
    m.set_defaults(func=cmd_models)

    pl = sub.add_parser("pull", help="download a model into Ollama, with progress")
    pl.add_argument("model")
    pl.add_argument("--url")
    pl.set_defaults(func=cmd_pull)

    d = sub.add_parser("doctor", help="find local servers and say what is wrong")
    d.add_argument("--url", action="append", help="also check this URL (repeatable)")
    d.set_defaults(func=lambda a: __import__("localllm._doctor", fromlist=["run"]).run(a))

    demo = sub.add_parser("demo", help="LangChain + LlamaIndex streaming demo, zero setup")
    demo.add_argument("--url", help="use this server instead of finding one")
    demo.set_defaults(func=lambda a: __import__("localllm._demo", fromlist=["run"]).run(a))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    try:
        return int(args.func(args) or 0)
    except LocalLLMError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
