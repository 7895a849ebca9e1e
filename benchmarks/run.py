"""Run every benchmark and write ``results/results.{json,md,png}``.

``python -m benchmarks.run`` (full) or ``python -m benchmarks.run --quick`` (CI smoke: tiny N).
Each client runs in its own process; repetitions are interleaved across clients; results are
medians with min–max, and ratios to the raw floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
CPU_CLIENTS = [  # (client, protocol, floor it is compared with)
    ("raw_requests", "ollama", None), ("raw_requests", "openai", None),
    ("raw_aiohttp", "ollama", None), ("raw_aiohttp", "openai", None),
    ("localllm_sync", "ollama", "raw_requests"), ("localllm_sync", "openai", "raw_requests"),
    ("localllm_async", "ollama", "raw_aiohttp"), ("localllm_async", "openai", "raw_aiohttp"),
    ("langchain_floor", "ollama", "raw_requests"), ("llamaindex_floor", "ollama", "raw_requests"),
    ("langchain_sync", "ollama", "raw_requests"), ("langchain_async", "ollama", "raw_aiohttp"),
    ("llamaindex_sync", "ollama", "raw_requests"), ("llamaindex_async", "ollama", "raw_aiohttp"),
]
TTFT_CLIENTS = [("raw_requests", "ollama"), ("localllm_sync", "ollama"),
                ("raw_aiohttp", "ollama"), ("localllm_async", "ollama")]
CONCURRENT_CLIENTS = [("raw_aiohttp", "ollama"), ("localllm_async", "ollama")]
IMPORTS = {"localllm": "import localllm",
           "langchain_core (framework)": "import langchain_core.language_models.chat_models",
           "langchain_localllm": "import langchain_localllm",
           "llama_index.core (framework)": "import llama_index.core.llms",
           "llamaindex_localllm": "import llamaindex_localllm"}


def start_server(chunks: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.fake_server", "--chunks",
                             str(chunks)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    return proc, f"http://127.0.0.1:{line.split()[1]}"


def client_run(name: str, mode: str, url: str, protocol: str, n: int, chunks: int
               ) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.clients", name, mode, url,
                          protocol, str(n), str(chunks)], capture_output=True, text=True,
                         check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def import_time(stmt: str, reps: int) -> dict[str, float]:
    code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
    return summary([float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                         text=True, check=True).stdout) * 1000
                    for _ in range(reps)])


def end_to_end() -> dict[str, float]:
    """Client-observed tokens/s vs the server's own timings, real embedded server."""
    from localllm import Client
    from localllm.server import EmbeddedServer

    with EmbeddedServer(n_parallel=1, n_ctx=2048, cache_prompt=False) as server, \
            Client(server.url) as client:
        ratios, client_rates, server_rates = [], [], []
        for _ in range(3):
            stamps, timings = [], None
            for d in client.chat_stream("Count from one to fifty.", max_tokens=64,
                                        temperature=0, seed=1):
                if d.content:
                    stamps.append(time.perf_counter())
                timings = d.timings or timings
            if timings is None or len(stamps) < 3 or not timings.predicted_per_second:
                continue
            observed = (len(stamps) - 1) / (stamps[-1] - stamps[0])
            client_rates.append(observed)
            server_rates.append(timings.predicted_per_second)
            ratios.append(observed / timings.predicted_per_second)
    return {"client_tokens_per_s": statistics.median(client_rates),
            "server_tokens_per_s": statistics.median(server_rates),
            "ratio": statistics.median(ratios)}


def run(quick: bool) -> dict[str, Any]:
    reps, chunks, requests = (1, 50, 2) if quick else (5, 500, 10)
    server, url = start_server(chunks)
    results: dict[str, Any] = {"machine": f"{platform.processor() or platform.machine()}, "
                               f"Python {platform.python_version()}", "chunks": chunks,
                               "cpu": {}, "ttft": {}, "concurrent": {}, "imports": {}}
    try:
        samples: dict[str, list[float]] = {}
        for _ in range(reps):  # interleaved repetitions
            for name, protocol, _floor in CPU_CLIENTS:
                r = client_run(name, "cpu", url, protocol, requests, chunks)
                samples.setdefault(f"{name}/{protocol}", []).append(r["cpu_us_per_chunk"])
            for name, protocol in TTFT_CLIENTS:
                r = client_run(name, "ttft", url, protocol, 5 if quick else 50, chunks)
                samples.setdefault(f"ttft:{name}", []).append(r["ttft_us"])
        for name, protocol, floor in CPU_CLIENTS:
            entry = summary(samples[f"{name}/{protocol}"])
            if floor:
                entry["floor"] = f"{floor}/{protocol}"
                entry["ratio"] = entry["median"] / statistics.median(
                    samples[f"{floor}/{protocol}"])
            results["cpu"][f"{name}/{protocol}"] = entry
        for name, _ in TTFT_CLIENTS:
            results["ttft"][name] = summary(samples[f"ttft:{name}"])
        n_conc = 4 if quick else 64
        server.terminate()
        server, url = start_server(chunks)
        for name, protocol in CONCURRENT_CLIENTS:
            results["concurrent"][name] = client_run(name, "concurrent", url, protocol, n_conc,
                                                     chunks)
        results["concurrent_streams"] = n_conc
    finally:
        server.terminate()
    for label, stmt in IMPORTS.items():
        results["imports"][label] = import_time(stmt, 2 if quick else 7)
    results["end_to_end"] = end_to_end()
    return results


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    results = run(args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    from .report import markdown, plot

    (args.out / "results.md").write_text(markdown(results))
    plot(results, args.out / "results.png")
    print(markdown(results))


if __name__ == "__main__":
    main()
