"""Notebooks are committed without outputs (CI executes them with nbmake)."""

from __future__ import annotations

import json
from pathlib import Path

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_three_notebooks_with_outputs_stripped() -> None:
    assert len(NOTEBOOKS) >= 3
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert code, path.name
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
