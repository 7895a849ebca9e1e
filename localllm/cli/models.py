"""``localllm models``: name, size, context window and capabilities of each model."""

from __future__ import annotations

import argparse

from ..client import Client
from ..errors import LocalLLMError


def _size(n: int | None) -> str:
    if not n:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.0f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n:.0f} PB"


def run(args: argparse.Namespace) -> int:
    with Client(args.url) as client:
        rows = []
        for info in client.models():
            try:
                detail = client.show(info.name)
            except LocalLLMError:
                detail = info
            rows.append((info.name, _size(info.size or detail.size),
                         str(detail.context_window or "-"),
                         ",".join(detail.capabilities) or "-"))
    header = ("NAME", "SIZE", "CONTEXT", "CAPABILITIES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
