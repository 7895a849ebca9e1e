"""``localllm pull``: an Ollama model download with progress bars; Ctrl-C safe."""

from __future__ import annotations

import argparse
from typing import Any

from ..client import Client


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    with Client(args.url) as client:
        try:
            for status in client.pull(args.model):
                if status.digest and status.total:
                    bar = bars.get(status.digest)
                    if bar is None:
                        bar = bars[status.digest] = tqdm(
                            total=status.total, unit="B", unit_scale=True,
                            desc=status.digest.replace("sha256:", "")[:12])
                    bar.update((status.completed or 0) - bar.n)
                else:
                    tqdm.write(status.status)
        except KeyboardInterrupt:
            print("\nPull cancelled (run it again to resume).")
            return 130
        finally:
            for bar in bars.values():
                bar.close()
    return 0
