"""``localllm chat``: stream one answer to the terminal, then its speed."""

from __future__ import annotations

import argparse
import sys
import time

from ..client import Client


def run(args: argparse.Namespace) -> int:
    messages = ([{"role": "system", "content": args.system}] if args.system else [])
    messages.append({"role": "user", "content": args.prompt})
    started = time.monotonic()
    first = None
    timings = usage = None
    with Client(args.url) as client:
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
