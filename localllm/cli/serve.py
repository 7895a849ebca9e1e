"""``localllm serve``: the embedded llama.cpp server in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading
import time


def run(args: argparse.Namespace) -> int:
    from ..server import EmbeddedServer

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
