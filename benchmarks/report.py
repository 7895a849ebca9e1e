"""Render benchmark results as a markdown table and a bar chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _row(label: str, e: dict[str, Any], unit: str = "µs") -> str:
    ratio = f"{e['ratio']:.2f}× {e['floor']}" if "ratio" in e else "floor"
    return (f"| {label} | {e['median']:.2f} {unit} | {e['min']:.2f}–{e['max']:.2f} | "
            f"{ratio} |")


def markdown(r: dict[str, Any]) -> str:
    lines = [f"Machine: {r['machine']}; {r['chunks']} chunks per stream.", "",
             "### Client CPU per streamed chunk", "",
             "| client / protocol | median | min–max | vs floor (same run) |",
             "|---|---|---|---|"]
    lines += [_row(k, e) for k, e in r["cpu"].items()]
    cpu = r["cpu"]
    for adapter, floor, raw in (("langchain_sync/ollama", "langchain_floor/ollama",
                                 "raw_requests/ollama"),
                                ("llamaindex_sync/ollama", "llamaindex_floor/ollama",
                                 "raw_requests/ollama")):
        if adapter in cpu and floor in cpu:
            added = cpu[adapter]["median"] - cpu[floor]["median"]
            lines.append(f"\n{adapter}: adds {added:.2f} µs/chunk on top of its framework's "
                         f"own machinery = {added / cpu[raw]['median']:.2f}× the raw floor.")
    lines += ["", "### Time to first token, warm connection", "", "| client | median | min–max |",
              "|---|---|---|"]
    lines += [f"| {k} | {e['median']:.0f} µs | {e['min']:.0f}–{e['max']:.0f} |"
              for k, e in r["ttft"].items()]
    n = r.get("concurrent_streams")
    lines += ["", f"### {n} concurrent async streams", "",
              "| client | wall | CPU | peak RSS delta | new TCP conns after warm-up |",
              "|---|---|---|---|---|"]
    lines += [f"| {k} | {e['wall_s']:.3f} s | {e['cpu_s']:.3f} s | {e['rss_delta_mib']:.1f} MiB"
              f" | {e['new_connections_after_warmup']} (warm-up opened "
              f"{e['warm_connections']}) |" for k, e in r["concurrent"].items()]
    lines += ["", "### Import time", "", "| import | median | min–max |", "|---|---|---|"]
    lines += [f"| `{k}` | {e['median']:.0f} ms | {e['min']:.0f}–{e['max']:.0f} |"
              for k, e in r["imports"].items()]
    e2e = r.get("end_to_end")
    if e2e:
        lines += ["", "### End to end, real embedded llama.cpp server", "",
                  f"Client-observed {e2e['client_tokens_per_s']:.1f} tokens/s vs the server's "
                  f"own {e2e['server_tokens_per_s']:.1f} tokens/s (ratio {e2e['ratio']:.3f})."]
    return "\n".join(lines) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the PNG is optional; the table and JSON are always written
        return
    names = list(r["cpu"])
    values = [r["cpu"][k]["median"] for k in names]
    lows = [r["cpu"][k]["median"] - r["cpu"][k]["min"] for k in names]
    highs = [r["cpu"][k]["max"] - r["cpu"][k]["median"] for k in names]
    fig, ax = plt.subplots(figsize=(9, 5))
    colors = ["#888" if k.startswith("raw") or "floor" in k else "#2a7" for k in names]
    ax.barh(names, values, xerr=[lows, highs], color=colors)
    ax.invert_yaxis()
    ax.set_xlabel("client CPU per streamed chunk (µs, median, min–max)")
    ax.set_title("localllm vs raw floors (grey) — same run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
