"""Admission: a request may be sent once its server has a free slot (``max_concurrency``).

``"auto"`` asks the server how many requests it runs at once, once per server and process:
llama.cpp says so in ``/props`` (``total_slots``); the others do not say over HTTP, so they
get a documented default (``DEFAULT_SLOTS``).
"""

from __future__ import annotations

from ..protocols import ollama, openai
from ..routing import Endpoints
from ..routing.lease import Lease
from ..types import Timeouts
from .clock import Clock
from .commands import Acquire, Flow, exchange

#: ``max_concurrency="auto"`` where the server does not tell: Ollama runs
#: ``OLLAMA_NUM_PARALLEL`` requests per model at once, 1 unless set (since v0.10.0,
#: ollama/ollama#11330); LM Studio's "Max Concurrent Predictions" is 4 unless set. vLLM
#: and SGLang batch hundreds: give them an int.
DEFAULT_SLOTS = {ollama.NAME: 1, openai.NAME: 4}


def admit(endpoints: Endpoints, lease: Lease, url: str, backend: str, timeouts: Timeouts,
          clock: Clock) -> Flow:
    """Take a slot at the lease's server, waiting in its queue; no slot under no cap."""
    slots = lease.server.slots
    if slots is None and endpoints.max_concurrency == "auto":
        capacity = yield from server_slots(url, backend, timeouts)
        slots = endpoints.set_capacity(lease.server, capacity)
    if slots is not None and not slots.try_take():
        limit, kind = clock.queue_wait()
        if not (yield Acquire(slots, limit)):
            error = clock.expired(kind)
            if slots.capacity:
                error.message += f" ({slots.capacity} at once, {slots.waiting} waiting)"
            raise error
        clock.new_attempt()  # the wait for a slot does not count against first_token
    lease.admit(slots)


def server_slots(url: str, backend: str, timeouts: Timeouts) -> Flow:
    """How many requests the server runs at once (``/props`` ``total_slots``)."""
    if backend == openai.NAME:
        resp = yield from exchange(openai.props_request(url), timeouts.connect,
                                   timeouts.first_token)
        props = openai.parse_props(resp.json_or_none())
        if props is not None and props.slots:
            return props.slots
    return DEFAULT_SLOTS.get(backend, DEFAULT_SLOTS[openai.NAME])
