"""The test session's one real embedded llama.cpp server, with the settings every test uses."""

from __future__ import annotations

import os

from localllm.server import EmbeddedServer, shared_server


def session_server() -> EmbeddedServer:
    """The process-wide shared server, so ``Client("embedded")`` in tests reuses it. The prompt
    cache is off: a cache hit changes the greedy output of this tiny model. Safe to call at
    collection time (langchain-tests 1.0 reads its suites' parameters then)."""
    threads = int(os.environ.get("LOCALLLM_TEST_THREADS", "2"))
    return shared_server(n_threads=threads, cache_prompt=False)
