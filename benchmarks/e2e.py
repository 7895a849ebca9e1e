"""End to end on the real embedded llama.cpp server: does the client deliver tokens as fast
as the server makes them?

The server's ``predicted_per_second`` is its token count over the time from its first
generated token to its last. The client-observed rate is the same count over the time from
the first content delta's arrival to the final (finish) delta's arrival, as seen by the
caller of ``chat_stream``. The ratio of the two is 1.0 when the client adds no delay.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

PROMPT = "List the numbers from one to one hundred, one per line."
# A request-level stop replaces the template's end marker, so every run generates exactly
# max_tokens tokens (a window long enough that 1 % is tens of milliseconds).
NEVER = ["<no such stop string>"]


def one_stream(client: Any, max_tokens: int) -> dict[str, float] | None:
    first = last = None
    usage = timings = None
    for d in client.chat_stream(PROMPT, max_tokens=max_tokens, temperature=0, seed=1,
                                 stop=NEVER):
        now = time.perf_counter()
        if first is None and d.is_output:
            first = now
        if d.finish_reason:
            last = now
        usage = d.usage or usage
        timings = d.timings or timings
    if first is None or last is None or timings is None or not timings.predicted_ms:
        return None
    tokens = usage.completion_tokens if usage else timings.predicted_n
    return {"tokens": float(tokens or 0), "client_s": last - first,
            "server_tokens_per_s": timings.predicted_per_second or 0.0,
            "client_tokens_per_s": (tokens or 0) / (last - first)}


def end_to_end(quick: bool) -> dict[str, Any]:
    from localllm import Client
    from localllm.server import EmbeddedServer

    runs, max_tokens = (2, 32) if quick else (7, 128)
    with EmbeddedServer(n_parallel=1, n_ctx=2048, cache_prompt=False) as server, \
            Client(server.url) as client:
        one_stream(client, 8)  # warm-up
        samples = [s for s in (one_stream(client, max_tokens) for _ in range(runs)) if s]
    if not samples:
        raise RuntimeError("the embedded server returned no timings")
    ratios = [s["client_tokens_per_s"] / s["server_tokens_per_s"] for s in samples]
    return {"runs": len(samples), "max_tokens": max_tokens,
            "tokens": statistics.median(s["tokens"] for s in samples),
            "client_tokens_per_s": statistics.median(s["client_tokens_per_s"] for s in samples),
            "server_tokens_per_s": statistics.median(s["server_tokens_per_s"] for s in samples),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios),
            "ratio_max": max(ratios)}


if __name__ == "__main__":
    print(end_to_end(quick=False))
