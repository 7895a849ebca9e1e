"""The fault matrix: each fault × sync/async × Ollama/OpenAI × driver (the core client, and
the LangChain and LlamaIndex adapters: see drivers.py).

Each cell checks the typed error (or success), that it arrived within its timeout + 1 s,
the number of chat requests the server saw (retries only before the first token), that a
mid-stream failure carries exactly what streamed in ``.partial`` and never a finish_reason,
and that the server saw every connection closed within 1 s. ``fault_server`` checks open
fds and sockets before and after the module.
"""

from __future__ import annotations

import pytest

from .drivers import DRIVERS, Driver, driver_id
from .fault_server import OLLAMA, OPENAI, FaultServer
from .faults import AUTO_IDS, BY_ID, CASES, Case
from .matrix import run_cell


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_fault(server: FaultServer, driver: Driver, backend: str, case: Case) -> None:
    run_cell(server, driver, case, backend)


@pytest.mark.parametrize("case", [BY_ID[i] for i in AUTO_IDS], ids=lambda c: c.id)
@pytest.mark.parametrize("flavour", [OLLAMA, OPENAI], ids=lambda f: f"auto={f}")
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_fault_auto_detected(server: FaultServer, driver: Driver, flavour: str,
                             case: Case) -> None:
    run_cell(server, driver, case, "auto", flavour)
