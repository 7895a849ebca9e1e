"""``localllm`` command line: serve, chat, models, pull, doctor, demo — one module each."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from .. import __version__
from ..errors import LocalLLMError


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    """The command's ``run``, imported when it runs (``--help`` loads no client)."""
    def run(args: argparse.Namespace) -> int:
        return int(import_module(f"{__name__}.{name}").run(args) or 0)
    return run


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
    s.set_defaults(func=_command("serve"))

    c = sub.add_parser("chat", help="stream one answer to the terminal")
    c.add_argument("prompt")
    c.add_argument("--url", help="server URL (default: discovered)")
    c.add_argument("--model", help="model name (default: the server's)")
    c.add_argument("--system", help="system prompt")
    c.add_argument("--max-tokens", type=int, default=256)
    c.add_argument("--temperature", type=float, default=None)
    c.set_defaults(func=_command("chat"))

    m = sub.add_parser("models", help="list models: size, context window, capabilities")
    m.add_argument("--url")
    m.set_defaults(func=_command("models"))

    pl = sub.add_parser("pull", help="download a model into Ollama, with progress")
    pl.add_argument("model")
    pl.add_argument("--url")
    pl.set_defaults(func=_command("pull"))

    d = sub.add_parser("doctor", help="find local servers and say what is wrong")
    d.add_argument("--url", action="append", help="also check this URL (repeatable)")
    d.set_defaults(func=_command("doctor"))

    demo = sub.add_parser("demo", help="LangChain + LlamaIndex streaming demo, zero setup")
    demo.add_argument("--url", help="use this server instead of finding one")
    demo.set_defaults(func=_command("demo"))
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
