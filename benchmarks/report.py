"""Render one run's results as markdown tables and a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"floor": "#9e9e9e", "framework floor": "#cfcfcf", "localllm": "#2a9d5c",
           "peer": "#d1603d"}


def _range(e: dict[str, Any], fmt: str = ".2f") -> str:
    return f"{e['min']:{fmt}}–{e['max']:{fmt}}"


def _targets(r: dict[str, Any]) -> list[str]:
    rows = r.get("targets") or []
    met = sum(t["met"] for t in rows)
    out = [f"### Targets: {met} of {len(rows)} met", "", "| target | goal | measured | met |",
           "|---|---|---|---|"]
    out += [f"| {t['what']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |"
            for t in rows]
    return out


def _cpu(r: dict[str, Any]) -> list[str]:
    out = ["### Client CPU per streamed chunk", "",
           "Ratios compare best with best (each client's least disturbed repetition with the "
           "floor's); the ratio of medians follows in brackets.", "",
           "| client | group | median | min–max | vs raw floor | added over framework floor |",
           "|---|---|---|---|---|---|"]
    for k, e in r["cpu"].items():
        ratio = (f"{e['ratio']:.2f}× ({e['median_ratio']:.2f}×) {e['floor']}"
                 if "ratio" in e else "—")
        added = (f"{e['added_us']:+.2f} µs = {e['added_ratio']:.2f}× "
                 f"({e['median_added_ratio']:.2f}×) raw floor" if "added_us" in e else "—")
        out.append(f"| {k} | {e['group']} | {e['median']:.2f} µs | {_range(e)} | {ratio} | "
                   f"{added} |")
    return out


def _ttft(r: dict[str, Any]) -> list[str]:
    out = ["### Time to first token, warm connection (paced server, 1 ms between chunks)", "",
           f"Each sample is the median of {r['settings'].get('ttft_requests', 40)} requests "
           f"in one process, {r['settings'].get('ttft_reps', 5)} processes per client; over "
           "the floor compares best with best, medians in brackets.", "",
           "| client | median | min–max | over raw floor |", "|---|---|---|---|"]
    out += [f"| {k} | {e['median']:.0f} µs | {_range(e, '.0f')} | {e['over_floor_us']:+.0f} µs "
            f"({e['median_over_floor_us']:+.0f} µs) {e['floor']} |" for k, e in r["ttft"].items()]
    return out


def _concurrent(r: dict[str, Any]) -> list[str]:
    s = r["settings"]
    out = [f"### {s['streams']} concurrent async streams × {s['chunks']} chunks", "",
           "| client | wall | vs raw floor | CPU | peak RSS delta | TCP conns: warm-up, then "
           "measured round |", "|---|---|---|---|---|---|"]
    out += [f"| {k} | {e['wall_s']['median']:.3f} s | "
            + (f"{e['wall_ratio']:.2f}×" if "wall_ratio" in e else "—") + " | "
            f"{e['cpu_s']['median']:.3f} s | {e['rss_delta_mib']['median']:.1f} MiB | "
            f"{e['warmup_connections']}, {e['new_connections']} |"
            for k, e in r["concurrent"].items()]
    return out


def _imports(r: dict[str, Any]) -> list[str]:
    out = ["### Import time (fresh interpreter)", "", "| import | median | min–max |",
           "|---|---|---|"]
    out += [f"| `{k}` | {e['median']:.0f} ms | {_range(e, '.0f')} |"
            for k, e in r["imports"].items()]
    return out


def _e2e(r: dict[str, Any]) -> list[str]:
    e = r.get("end_to_end")
    if not e:
        return []
    return ["### End to end, real embedded llama.cpp server (gemma-3-270m, 2 threads)", "",
            f"{e['runs']} streams of {e['tokens']:.0f} tokens: client-observed "
            f"{e['client_tokens_per_s']:.2f} tokens/s vs the server's own "
            f"{e['server_tokens_per_s']:.2f} tokens/s: ratio {e['ratio']:.4f} "
            f"(min {e['ratio_min']:.4f}, max {e['ratio_max']:.4f})."]


def _routing(r: dict[str, Any]) -> list[str]:
    g = r.get("routing")
    if not g:
        return []
    w, p, ratios = g["workload"], g["placements"], g.get("ratios", {})
    out = [f"### Routing over {w['servers']} real embedded servers (gemma-3-270m)", "",
           f"{w['conversations']} conversations × {w['turns']} turns, each with its own "
           f"{w['facts']}-fact system prompt, sent one at a time and interleaved (turn 1 of "
           f"every conversation, then turn 2 …); max_tokens {w['max_tokens']}, temperature 0; "
           "fresh servers for each placement. Later turns are turns 2 and on; prompt tokens "
           "are what the servers processed (`timings.prompt_n`), not what they served from "
           "their cache.", "",
           "| placement | later-turn TTFT mean | p90 | max | turn-1 TTFT mean | prompt tokens "
           "processed (later turns) | later turns from cache | vs random: mean, p90, tokens "
           "| requests per server | wall |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, e in p.items():
        x = ratios.get(name)
        vs = (f"{x['later_ttft_mean']:.2f}×, {x['later_ttft_p90']:.2f}×, "
              f"{x['prompt_tokens']:.2f}×" if x else "—")
        served = e.get("requests_per_server")
        out.append(
            f"| {name} | {e['later_ttft_mean_s']:.2f} s | {e['later_ttft_p90_s']:.2f} s | "
            f"{e['later_ttft_max_s']:.2f} s | {e['first_ttft_mean_s']:.2f} s | "
            f"{e['prompt_tokens_processed']} ({e['later_prompt_tokens_processed']}) of "
            f"{e['prompt_tokens_sent']} sent | {e['later_cache_hits']} of {e['later_turns']} | "
            f"{vs} | {', '.join(str(v) for _, v in sorted(served.items())) if served else '—'} "
            f"| {e['wall_s']:.0f} s |")
    return out


def routing_markdown(r: dict[str, Any]) -> str:
    """The routing benchmark alone (``python -m benchmarks.routing``)."""
    m = r["machine"]
    head = [f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}; "
            f"{m['date']}."]
    if r.get("quick"):
        head.append("\n**Quick smoke run: sizes too small for meaningful numbers.**")
    parts = [head, _targets(r) if r.get("targets") else [], _routing(r)]
    return "\n\n".join("\n".join(p) for p in parts if p) + "\n"


def markdown(r: dict[str, Any]) -> str:
    m, s = r["machine"], r["settings"]
    head = [f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}; "
            f"{m['date']}. {s['reps']} interleaved repetitions, each client in its own "
            f"process; {s['requests']} requests × {s['chunks']} chunks per CPU sample. "
            "Medians, with min–max over repetitions."]
    if r.get("quick"):
        head.append("\n**Quick smoke run: sizes too small for meaningful numbers.**")
    parts = [head, _targets(r), _cpu(r), _ttft(r), _concurrent(r), _imports(r), _e2e(r),
             _routing(r)]
    return "\n\n".join("\n".join(p) for p in parts if p) + "\n"


def plot(r: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the PNG is optional; the table and JSON are always written
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 8), width_ratios=(3, 2))
    _bars(left, r["cpu"], lambda e: e["median"], lambda e: (e["min"], e["max"]))
    left.set_xlabel("client CPU per streamed chunk, µs (median, min–max)")
    left.set_title("CPU per chunk, same run")
    _bars(right, r["concurrent"], lambda e: e["wall_s"]["median"],
          lambda e: (e["wall_s"]["min"], e["wall_s"]["max"]))
    s = r["settings"]
    right.set_xlabel("wall time, s")
    right.set_title(f"{s['streams']} concurrent streams × {s['chunks']} chunks")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    fig.legend(handles, list(COLOURS), loc="lower center", ncol=4)
    fig.suptitle(f"localllm benchmarks: {r['machine']['cpu']}, {r['machine']['cores']} cores")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _bars(ax: Any, entries: dict[str, Any], value: Any, span: Any) -> None:
    names = list(entries)
    values = [value(entries[k]) for k in names]
    lows = [max(0.0, v - span(entries[k])[0]) for k, v in zip(names, values, strict=True)]
    highs = [max(0.0, span(entries[k])[1] - v) for k, v in zip(names, values, strict=True)]
    ax.barh(names, values, xerr=[lows, highs], color=[COLOURS[entries[k]["group"]]
                                                      for k in names])
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)


def routing_plot(g: dict[str, Any], path: Path) -> None:
    """Later-turn TTFT (mean, p90) and prompt tokens processed, per placement."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    p, w = g["placements"], g["workload"]
    names = list(p)
    xs = range(len(names))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5))
    left.bar([x - 0.2 for x in xs], [p[n]["later_ttft_mean_s"] for n in names], 0.4,
             label="mean", color="#2a9d5c")
    left.bar([x + 0.2 for x in xs], [p[n]["later_ttft_p90_s"] for n in names], 0.4,
             label="p90", color="#8fd1a8")
    left.set_xticks(list(xs), names)
    left.set_ylabel("time to first token, s")
    left.set_title("later turns (2 and on): time to first token")
    left.legend()
    first = [p[n]["prompt_tokens_processed"] - p[n]["later_prompt_tokens_processed"]
             for n in names]
    later = [p[n]["later_prompt_tokens_processed"] for n in names]
    right.bar(list(xs), first, 0.6, label="turn 1", color="#9e9e9e")
    right.bar(list(xs), later, 0.6, bottom=first, label="later turns", color="#d1603d")
    sent = max(p[n]["prompt_tokens_sent"] for n in names)
    right.axhline(sent, color="black", ls="--", lw=1, label="prompt tokens sent (no cache)")
    right.set_ylim(0, sent * 1.3)
    left.set_ylim(0, max(p[n]["later_ttft_p90_s"] for n in names) * 1.15)
    for x, n in zip(xs, names, strict=True):
        ratio = g.get("ratios", {}).get(n)
        if ratio:
            left.annotate(f"mean {ratio['later_ttft_mean']:.2f}× random",
                          (x, p[n]["later_ttft_p90_s"]), ha="center", va="bottom", fontsize=8)
            right.annotate(f"{ratio['prompt_tokens']:.2f}× random",
                           (x, p[n]["prompt_tokens_processed"]), ha="center", va="bottom",
                           fontsize=8)
    right.set_xticks(list(xs), names)
    right.set_ylabel("prompt tokens processed by the servers")
    right.set_title("prefill work, all turns")
    right.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{w['conversations']} conversations × {w['turns']} turns over "
                 f"{w['servers']} embedded llama.cpp servers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
