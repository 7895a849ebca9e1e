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


def markdown(r: dict[str, Any]) -> str:
    m, s = r["machine"], r["settings"]
    head = [f"Machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['system']}; "
            f"{m['date']}. {s['reps']} interleaved repetitions, each client in its own "
            f"process; {s['requests']} requests × {s['chunks']} chunks per CPU sample. "
            "Medians, with min–max over repetitions."]
    if r.get("quick"):
        head.append("\n**Quick smoke run: sizes too small for meaningful numbers.**")
    parts = [head, _targets(r), _cpu(r), _ttft(r), _concurrent(r), _imports(r), _e2e(r)]
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
