"""The speed targets, checked against one run's results (reported, never asserted in tests)."""

from __future__ import annotations

from typing import Any

CORE = ("localllm_sync", "localllm_async")
ADAPTERS = ("ChatLocalLLM", "ChatLocalLLM_async", "LocalLLM", "LocalLLM_async")
PROTOCOLS = ("ollama", "openai")


def _target(rows: list[dict[str, Any]], what: str, goal: str, measured: str, met: bool) -> None:
    rows.append({"what": what, "goal": goal, "measured": measured, "met": bool(met)})


def check(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cpu, ttft, conc = r["cpu"], r["ttft"], r["concurrent"]
    for name in CORE:
        for proto in PROTOCOLS:
            e = cpu[f"{name}/{proto}"]
            _target(rows, f"{name}/{proto} CPU per chunk", f"≤ 1.3× {e['floor']}",
                    f"{e['ratio']:.2f}× (medians {e['median_ratio']:.2f}×; {e['min']:.2f} µs)",
                    e["ratio"] <= 1.3)
    for name in ADAPTERS:
        for proto in PROTOCOLS:
            e = cpu[f"{name}/{proto}"]
            _target(rows, f"{name}/{proto} added over {e['framework_floor']}",
                    f"≤ 1.5× {e['floor']}",
                    f"{e['added_ratio']:.2f}× (medians {e['median_added_ratio']:.2f}×; "
                    f"{e['added_us']:+.2f} µs)", e["added_ratio"] <= 1.5)
            peers = {k: p["median"] for k, p in cpu.items() if p["group"] == "peer"
                     and p["async"] == e["async"] and "framework_floor" in p}
            if peers:
                fastest = min(peers, key=lambda k: peers[k])
                _target(rows, f"{name}/{proto} vs framework peers ({len(peers)})",
                        "below every peer",
                        f"{e['median']:.2f} µs vs fastest peer {fastest} "
                        f"{peers[fastest]:.2f} µs", e["median"] < peers[fastest])
    for name, limit in (("localllm_sync", 100), ("localllm_async", 150)):
        for proto in PROTOCOLS:
            e = ttft[f"{name}/{proto}"]
            _target(rows, f"{name}/{proto} time to first token", f"≤ +{limit} µs over floor",
                    f"{e['over_floor_us']:+.0f} µs (medians {e['median_over_floor_us']:+.0f} µs;"
                    f" {e['min']:.0f} µs vs {e['floor']})",
                    e["over_floor_us"] <= limit)
    streams = r["settings"]["streams"]
    for proto in PROTOCOLS:
        e = conc[f"localllm_async/{proto}"]
        _target(rows, f"{streams} concurrent streams/{proto}: wall", f"≤ 2× {e['floor']}",
                f"{e['wall_ratio']:.2f}× ({e['wall_s']['median']:.3f} s)", e["wall_ratio"] <= 2)
        _target(rows, f"{streams} concurrent streams/{proto}: peak RSS delta", "≤ 20 MiB",
                f"{e['rss_delta_mib']['median']:.1f} MiB", e["rss_delta_mib"]["median"] <= 20)
        _target(rows, f"{streams} concurrent streams/{proto}: TCP connections",
                f"{streams} in warm-up, 0 after",
                f"{e['warmup_connections']} then {e['new_connections']}",
                e["warmup_connections"] == streams and e["new_connections"] == 0)
    imports = r["imports"]
    e = imports["localllm"]
    _target(rows, "import localllm", "≤ 60 ms", f"{e['median']:.0f} ms", e["median"] <= 60)
    for adapter in ("ChatLocalLLM, after the framework", "LocalLLM, after the framework"):
        if adapter in imports:
            extra = imports[adapter]["median"]
            _target(rows, f"import {adapter.split(',')[0]}", "≤ framework + 40 ms",
                    f"framework + {extra:.0f} ms", extra <= 40)
    e2e = r.get("end_to_end")
    if e2e:
        _target(rows, "end to end on the real server: tokens/s", "within 1 % of the server's",
                f"{e2e['client_tokens_per_s']:.1f} vs {e2e['server_tokens_per_s']:.1f} "
                f"({(e2e['ratio'] - 1) * 100:+.2f} %)", abs(e2e["ratio"] - 1) <= 0.01)
    if r.get("routing"):
        rows += routing_targets(r["routing"])
    return rows


def routing_targets(routing: dict[str, Any]) -> list[dict[str, Any]]:
    """Affinity against random placement on the same workload (rows only for placements run)."""
    rows: list[dict[str, Any]] = []
    ratios, p = routing.get("ratios", {}), routing["placements"]
    if "affinity" not in ratios:
        return rows
    a, base = ratios["affinity"], p["random"]
    _target(rows, "routing: affinity later-turn TTFT", "≤ 0.35× random",
            f"{a['later_ttft_mean']:.2f}× ({p['affinity']['later_ttft_mean_s']:.2f} s vs "
            f"{base['later_ttft_mean_s']:.2f} s mean)", a["later_ttft_mean"] <= 0.35)
    _target(rows, "routing: affinity prompt tokens", "≤ 0.6× random",
            f"{a['prompt_tokens']:.2f}× ({p['affinity']['prompt_tokens_processed']} vs "
            f"{base['prompt_tokens_processed']} tokens processed)", a["prompt_tokens"] <= 0.6)
    return rows
