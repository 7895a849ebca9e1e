"""Run every benchmark; write ``results/results.{json,md,png}``.

``python -m benchmarks.run`` (full, ~15 min on 2 cores, plus ~5 min of routing over real
servers) or ``--quick`` (CI smoke: tiny N).
Each client runs in its own process; repetitions are interleaved across clients (rep 1 of
every client, then rep 2 …), so a slow minute of the machine hits all of them alike;
results are medians with min–max, and every ratio is to a floor measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import floors, ours, peers  # noqa: F401  (they fill the registry)
from ._common import REGISTRY, ClientSpec
from .measure import available

RESULTS = Path(__file__).parent / "results"
LANGCHAIN = "from langchain_core.language_models.chat_models import BaseChatModel"
LLAMAINDEX = "from llama_index.core.llms.function_calling import FunctionCallingLLM"
IMPORTS = {  # label: (set-up, not timed; what a user writes, timed)
    "localllm": ("", "import localllm"),
    "localllm.Client": ("", "from localllm import Client"),
    "LangChain BaseChatModel (framework)": ("", LANGCHAIN),
    "ChatLocalLLM, after the framework": (LANGCHAIN, "from langchain_localllm import ChatLocalLLM"),
    "ChatOllama, after the framework": (LANGCHAIN, "from langchain_ollama import ChatOllama"),
    "LlamaIndex FunctionCallingLLM (framework)": ("", LLAMAINDEX),
    "LocalLLM, after the framework": (LLAMAINDEX, "from llamaindex_localllm import LocalLLM"),
    "LlamaIndex Ollama, after the framework":
        (LLAMAINDEX, "from llama_index.llms.ollama import Ollama"),
}
PACKAGES = ("localllm", "langchain_localllm", "llamaindex_localllm")


@contextmanager
def fake_server(chunks: int, delay_ms: float = 0.0) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.fake_server", "--chunks",
                             str(chunks), "--delay-ms", str(delay_ms)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{line.split()[1]}"
    finally:
        proc.terminate()
        proc.wait()


def client_run(name: str, mode: str, url: str, protocol: str, n: int, chunks: int
               ) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.measure", name, mode, url,
                          protocol, str(n), str(chunks)], capture_output=True, text=True,
                         timeout=900)
    if out.returncode:
        raise RuntimeError(f"{name}/{protocol} {mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def summary(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "samples": values}


def cases(async_only: bool = False) -> list[tuple[ClientSpec, str]]:
    return [(spec, proto) for spec in REGISTRY.values() if available(spec.name)
            and (spec.is_async or not async_only) for proto in spec.protocols]


def key(spec: ClientSpec, protocol: str) -> str:
    return spec.name if protocol == "none" else f"{spec.name}/{protocol}"


def raw_floor(spec: ClientSpec, protocol: str) -> str:
    return f"{'raw_aiohttp' if spec.is_async else 'raw_requests'}/{protocol}"


def framework_floor(spec: ClientSpec) -> str | None:
    if spec.framework is None:
        return None
    return f"{spec.framework}_floor" + ("_async" if spec.is_async else "")


def interleaved(todo: list[tuple[ClientSpec, str]], reps: int, run: Any) -> dict[str, list[Any]]:
    samples: dict[str, list[Any]] = {}
    for _ in range(reps):
        for spec, proto in todo:
            samples.setdefault(key(spec, proto), []).append(run(spec, proto))
    return samples


def cpu_mode(reps: int, chunks: int, requests: int) -> dict[str, Any]:
    todo = cases()
    with fake_server(chunks) as url:
        samples = interleaved(todo, reps, lambda s, p: client_run(
            s.name, "cpu", url, p, requests, chunks)
            ["cpu_us_per_chunk"])
    out: dict[str, Any] = {}
    for spec, proto in todo:
        k = key(spec, proto)
        entry = {**summary(samples[k]), "group": spec.group, "async": spec.is_async}
        if proto != "none":
            floor = raw_floor(spec, proto)
            entry.update(floor=floor, ratio=entry["min"] / min(samples[floor]),
                         median_ratio=entry["median"] / statistics.median(samples[floor]))
        fw = framework_floor(spec)
        if fw is not None:
            added = entry["min"] - min(samples[fw])
            entry.update(framework_floor=fw, added_us=added,
                         added_ratio=added / min(samples[entry["floor"]]),
                         median_added_ratio=(entry["median"] - statistics.median(samples[fw]))
                         / statistics.median(samples[entry["floor"]]))
        out[k] = entry
    return out


def ttft_mode(reps: int, requests: int) -> dict[str, Any]:
    todo = [(s, p) for s, p in cases() if p != "none"]
    with fake_server(20, delay_ms=1.0) as url:  # paced: the first chunk arrives alone
        samples = interleaved(todo, reps, lambda s, p: client_run(
            s.name, "ttft", url, p, requests, 20)["ttft_us"])
    out = {}
    for spec, proto in todo:
        k = key(spec, proto)
        entry = {**summary(samples[k]), "group": spec.group, "floor": raw_floor(spec, proto)}
        # best with best, as for CPU: each sample is already a median of many requests
        entry["over_floor_us"] = entry["min"] - min(samples[entry["floor"]])
        entry["median_over_floor_us"] = entry["median"] - statistics.median(
            samples[entry["floor"]])
        out[k] = entry
    return out


def concurrent_mode(reps: int, streams: int, chunks: int) -> dict[str, Any]:
    todo = cases(async_only=True)  # framework floors too: what the framework itself holds
    with fake_server(chunks) as url:
        samples = interleaved(todo, reps, lambda s, p: client_run(
            s.name, "concurrent", url, p, streams, chunks))
    out = {}
    for spec, proto in todo:
        k = key(spec, proto)
        runs = samples[k]
        entry: dict[str, Any] = {"group": spec.group}
        for field in ("wall_s", "cpu_s", "rss_delta_mib"):
            entry[field] = summary([r[field] for r in runs])
        entry["warmup_connections"] = max(r["warmup_connections"] for r in runs)
        entry["new_connections"] = max(r["new_connections"] for r in runs)
        if proto != "none":
            entry["floor"] = raw_floor(spec, proto)
            floor_wall = statistics.median(r["wall_s"] for r in samples[entry["floor"]])
            entry["wall_ratio"] = entry["wall_s"]["median"] / floor_wall
        out[k] = entry
    return out


def import_mode(reps: int) -> dict[str, Any]:
    """Fresh interpreters. An adapter's cost is timed in the same interpreter right after its
    framework's import: two separate ~1 s imports differ by more than that cost from noise."""
    def once(setup: str, stmt: str) -> float:
        code = "; ".join(filter(None, ["import time", setup, "t = time.perf_counter()", stmt,
                                       "print(time.perf_counter() - t)"]))
        return float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True).stdout) * 1000
    # As installed: pip byte-compiles packages, an editable checkout may not have.
    root = Path(__file__).parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(root / p) for p in PACKAGES)],
                   check=True)
    todo = {label: pair for label, pair in IMPORTS.items() if subprocess.run(
        [sys.executable, "-c", "; ".join(filter(None, pair))], capture_output=True).returncode == 0}
    samples: dict[str, list[float]] = {}
    for _ in range(reps):
        for label, (setup, stmt) in todo.items():
            samples.setdefault(label, []).append(once(setup, stmt))
    return {label: summary(values) for label, values in samples.items()}


def machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                         "")
    except OSError:
        pass
    return {"cpu": model or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "system": platform.platform(terse=True),
            "date": datetime.date.today().isoformat()}


def run(quick: bool, with_e2e: bool = True, with_routing: bool = True) -> dict[str, Any]:
    from . import routing
    from .e2e import end_to_end
    from .targets import check

    reps, chunks, requests, streams = (1, 20, 2, 4) if quick else (5, 500, 10, 64)
    # wall time on a paced server swings more than CPU time: more processes, more requests
    ttft_reps, ttft_requests = (1, 3) if quick else (7, 80)
    results: dict[str, Any] = {
        "machine": machine(), "quick": quick,
        "settings": {"reps": reps, "chunks": chunks, "requests": requests, "streams": streams,
                     "ttft_reps": ttft_reps, "ttft_requests": ttft_requests}}
    results["cpu"] = cpu_mode(reps, chunks, requests)
    results["ttft"] = ttft_mode(ttft_reps, ttft_requests)
    results["concurrent"] = concurrent_mode(1 if quick else 3, streams, chunks)
    results["imports"] = import_mode(1 if quick else 7)
    if with_e2e:
        results["end_to_end"] = end_to_end(quick)
    if with_routing:
        results["routing"] = routing.run(quick)
    results["targets"] = check(results)
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")
    p.add_argument("--no-e2e", action="store_true", help="skip the real embedded server run")
    p.add_argument("--no-routing", action="store_true",
                   help="skip the routing run over several embedded servers")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    results = run(args.quick, with_e2e=not args.no_e2e, with_routing=not args.no_routing)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    from .report import markdown, plot, routing_plot

    (args.out / "results.md").write_text(markdown(results))
    plot(results, args.out / "results.png")
    if "routing" in results:
        routing_plot(results["routing"], args.out / "routing.png")
    print(markdown(results))


if __name__ == "__main__":
    main()
