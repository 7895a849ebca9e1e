"""Routing across several real servers: does sending a conversation back to the server that
already holds its prefix save the prefill?

C conversations × T turns, each conversation with its own long system prompt (distinct from
its first word: no two share more than the chat template's opening tokens), go to fresh
embedded llama.cpp servers under each placement: ``affinity`` and ``least_busy`` (the
client's own routing) and ``random`` (a seeded random server per turn, sent through a
single-URL client). Turns are interleaved (turn 1 of
every conversation, then turn 2 …) and sent one at a time, in the same order for every
placement, so the servers' slot caches are contested as in real use. In the full run every
server answers a tiny warm-up request first, so no placement pays a server's first-request
cost on a timed turn. Per turn: the client-observed time to first token, the prompt tokens
the server really processed (``timings.prompt_n``: what it did not serve from its cache),
and the server and slot that took it (read from each server's ``/slots``).

``python -m benchmarks.routing [--quick] [--out DIR] [--placements random,affinity]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PLACEMENTS = ("affinity", "least_busy", "random")
RESULTS = Path(__file__).parent / "results"
OPENERS = ("Amber", "Basalt", "Cobalt", "Dune", "Ember", "Fjord", "Granite", "Harbor",
           "Indigo", "Juniper", "Kestrel", "Lagoon")
ADJECTIVES = ("quiet", "copper", "northern", "hollow", "bright", "ancient", "narrow", "golden",
              "frozen", "crooked", "silent", "painted", "distant", "tidal", "broken", "gentle")
NOUNS = ("lighthouse", "orchard", "bridge", "library", "windmill", "harbour", "observatory",
         "market", "canal", "chapel", "quarry", "vineyard", "garrison", "ferry", "mill", "forge")
PLACES = ("Arden", "Brisa", "Calder", "Dorne", "Elmira", "Falk", "Gorran", "Hale", "Istra",
          "Jorvik", "Kell", "Lorne", "Marrow", "Nesk", "Orrin", "Pell")
VERBS = ("was rebuilt", "was founded", "was abandoned", "was painted", "was flooded",
         "was sold", "was moved", "was renamed")


@dataclass(frozen=True)
class Workload:
    servers: int
    conversations: int
    turns: int
    facts: int  # lines in each system prompt (~26 tokens each)
    max_tokens: int
    warm_up: bool = True  # a tiny first request per server, untimed (~1 s each)
    seed: int = 1


FULL = Workload(servers=3, conversations=6, turns=4, facts=34, max_tokens=12)
QUICK = Workload(servers=2, conversations=1, turns=2, facts=2, max_tokens=4, warm_up=False)


def system_prompt(conv: int, w: Workload) -> str:
    """A numbered list of facts seeded by the conversation: long, distinct, deterministic."""
    rng = random.Random(f"routing-{w.seed}-{conv}")
    rounds, index = divmod(conv, len(OPENERS))
    opener = OPENERS[index] + (str(rounds) if rounds else "")
    lines = [f"{opener} archive, volume {conv + 1}. Answer from these facts only."]
    for i in range(1, w.facts + 1):
        lines.append(f"{i}. The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} of "
                     f"{rng.choice(PLACES)} {rng.choice(VERBS)} in {rng.randrange(1200, 2025)} "
                     f"and holds {rng.randrange(2, 999)} {rng.choice(NOUNS)}s.")
    return "\n".join(lines)


def user_turn(conv: int, turn: int, w: Workload) -> str:
    k = random.Random(f"routing-{w.seed}-{conv}-{turn}").randrange(1, w.facts + 1)
    return f"Question {turn}: in a few words, what does fact {k} say?"


def one_turn(client: Any, messages: list[Any], w: Workload, **routing: Any) -> dict[str, Any]:
    """Send one turn; the clock starts at the call, as a caller sees it. An empty answer (the
    model's first token was the end of its turn) counts its first token at the final delta."""
    first = timings = usage = None
    parts: list[str] = []
    start = time.perf_counter()
    for d in client.chat_stream(messages, max_tokens=w.max_tokens, temperature=0,
                                seed=w.seed, **routing):
        if first is None and d.is_output:
            first = time.perf_counter() - start
        parts.append(d.content)
        timings = d.timings or timings
        usage = d.usage or usage
    end = time.perf_counter() - start
    if timings is None or timings.prompt_n is None:
        raise RuntimeError("the server sent no timings: prompt tokens processed are unknown")
    return {"ttft_s": end if first is None else first, "total_s": end, "empty": first is None,
            "prompt_n": timings.prompt_n, "prompt_tokens": usage.prompt_tokens if usage else None,
            "text": "".join(parts)}


def _p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def summarise(turns: list[dict[str, Any]], wall_s: float, load: list[float]
              ) -> dict[str, Any]:
    later = [t for t in turns if t["turn"] >= 2]
    ttft = [t["ttft_s"] for t in later]
    served: dict[str, int] = {}
    for t in turns:
        served[str(t["server"])] = served.get(str(t["server"]), 0) + 1
    return {
        "later_ttft_mean_s": statistics.fmean(ttft), "later_ttft_p90_s": _p90(ttft),
        "later_ttft_max_s": max(ttft),
        "first_ttft_mean_s": statistics.fmean(t["ttft_s"] for t in turns if t["turn"] == 1),
        "prompt_tokens_processed": sum(t["prompt_n"] for t in turns),
        "later_prompt_tokens_processed": sum(t["prompt_n"] for t in later),
        "prompt_tokens_sent": sum(t["prompt_tokens"] or 0 for t in turns),
        # a later turn served from cache processes only what was added since its last turn
        "later_cache_hits": sum(t["prompt_n"] < (t["prompt_tokens"] or 0) / 2 for t in later),
        "later_turns": len(later), "empty_answers": sum(t["empty"] for t in turns),
        "requests_per_server": served, "wall_s": wall_s,
        # the 1-minute load average before and after: other work on the machine slows
        # prefill (TTFT), never the tokens processed
        "load_average": load,
        "turns": [{k: v for k, v in t.items() if k != "text"} for t in turns]}


def _warm(url: str, model: str) -> None:
    from localllm import Client

    with Client(url, backend="openai") as c:
        c.chat("Hello.", model=model, max_tokens=1, temperature=0, seed=1)


def run_placement(name: str, w: Workload) -> dict[str, Any]:
    """Fresh servers (no cache carried over from another placement), then the workload."""
    from localllm import Client, Message
    from localllm.server import EmbeddedServer

    servers: list[Any] = []
    clients: list[Any] = []
    try:
        for _ in range(w.servers):
            servers.append(EmbeddedServer(n_ctx=4096, n_parallel=2).start())
        urls, model = [s.url for s in servers], servers[0].model
        if w.warm_up:
            for url in urls:
                _warm(url, model)
        if name == "random":
            clients = [Client(u, backend="openai", timeout=300) for u in urls]
            rng = random.Random(f"routing-placement-{w.seed}")

            def send(conv: int, messages: list[Any]) -> dict[str, Any]:
                return one_turn(clients[rng.randrange(len(clients))], messages, w, model=model)
        else:
            clients = [Client(urls, backend="openai", timeout=300, routing=name)]
            run_id = time.monotonic_ns()  # the affinity table is process-wide: fresh names

            def send(conv: int, messages: list[Any]) -> dict[str, Any]:
                return one_turn(clients[0], messages, w, model=model,
                                session_id=f"{name}-{run_id}-conversation-{conv}")
        histories = [[Message.system(system_prompt(c, w))] for c in range(w.conversations)]
        turns = []
        slots = _slot_tasks(urls)
        load = [os.getloadavg()[0]]
        start = time.perf_counter()
        for turn in range(1, w.turns + 1):
            for conv, history in enumerate(histories):
                history.append(Message.user(user_turn(conv, turn, w)))
                result = send(conv, history)
                history.append(Message.assistant(result["text"]))
                before, slots = slots, _slot_tasks(urls)
                server, slot = _where(before, slots)
                turns.append({"conversation": conv, "turn": turn, "server": server,
                              "slot": slot, **result})
        wall = time.perf_counter() - start
        return summarise(turns, wall, [*load, os.getloadavg()[0]])
    finally:
        for c in clients:
            c.close()
        for s in servers:
            s.stop()


def _slot_tasks(urls: list[str]) -> list[dict[int, int]]:
    """Each server's ``/slots``: the last task id per slot, so a turn's server and slot are
    read from the servers themselves, whatever placed it."""
    out = []
    for url in urls:
        with urllib.request.urlopen(url + "/slots", timeout=10) as resp:
            slots = json.loads(resp.read())
        out.append({int(s["id"]): int(s.get("id_task", -1)) for s in slots})
    return out


def _where(before: list[dict[int, int]], after: list[dict[int, int]]) -> tuple[int, int]:
    moved = [(i, slot) for i, (b, a) in enumerate(zip(before, after, strict=True))
             for slot in a if a[slot] != b.get(slot)]
    if len(moved) != 1:
        raise RuntimeError(f"expected one slot to take the turn, saw {moved}")
    return moved[0]


def run(quick: bool, placements: Sequence[str] = PLACEMENTS) -> dict[str, Any]:
    w = QUICK if quick else FULL
    start = time.perf_counter()
    out: dict[str, Any] = {"workload": asdict(w), "placements": {}}
    for name in placements:
        out["placements"][name] = run_placement(name, w)
    p = out["placements"]
    if "random" in p:
        base = p["random"]
        out["ratios"] = {name: {
            "later_ttft_mean": e["later_ttft_mean_s"] / base["later_ttft_mean_s"],
            "later_ttft_p90": e["later_ttft_p90_s"] / base["later_ttft_p90_s"],
            "prompt_tokens": e["prompt_tokens_processed"] / base["prompt_tokens_processed"]}
            for name, e in p.items() if name != "random"}
    out["wall_s"] = time.perf_counter() - start
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness runs")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--placements", default=",".join(PLACEMENTS),
                   help=f"comma-separated, from {', '.join(PLACEMENTS)}")
    args = p.parse_args()
    placements = [x for x in args.placements.split(",") if x]
    unknown = set(placements) - set(PLACEMENTS)
    if unknown:
        p.error(f"unknown placements: {', '.join(sorted(unknown))}")
    from .report import routing_markdown, routing_plot
    from .run import machine
    from .targets import routing_targets

    results = {"machine": machine(), "quick": args.quick,
               "routing": run(args.quick, placements)}
    results["targets"] = routing_targets(results["routing"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "routing.json").write_text(json.dumps(results, indent=1))
    text = routing_markdown(results)
    (args.out / "routing.md").write_text(text)
    routing_plot(results["routing"], args.out / "routing.png")
    print(text)


if __name__ == "__main__":
    main()
