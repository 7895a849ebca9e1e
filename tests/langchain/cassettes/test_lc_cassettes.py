"""ChatLocalLLM replaying wire data RECORDED FROM THE REAL embedded llama.cpp server (vcrpy),
so the converter is checked on real bytes without starting a server.

Re-record (needs the ``server`` extra): ``LOCALLLM_RECORD_CASSETTES=1 python -m pytest
tests/cassettes``. Authorization headers are filtered out before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import vcr

from langchain_localllm import ChatLocalLLM

DATA = Path(__file__).parent / "data"
RECORD = os.environ.get("LOCALLLM_RECORD_CASSETTES") == "1"
SECRET = "sk-cassette-secret-42"
GREEDY = {"temperature": 0, "seed": 42, "max_tokens": 24}
RECORDER = vcr.VCR(
    cassette_library_dir=str(DATA),
    record_mode="all" if RECORD else "none",
    match_on=["method", "path", "body"],  # not host/port: the recording server's port varies
    filter_headers=["authorization"],
    decode_compressed_response=True,
)


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return city


@pytest.fixture
def llm(request: pytest.FixtureRequest) -> Iterator[ChatLocalLLM]:
    url = request.getfixturevalue("embedded_server").url if RECORD else "http://127.0.0.1:8080"
    yield ChatLocalLLM(model="gemma-3-270m", base_url=url, api_key=SECRET, backend="auto",
                       **GREEDY)


def test_replayed_text_stream(llm: ChatLocalLLM) -> None:
    with RECORDER.use_cassette("text_stream.yaml"):
        chunks = list(llm.stream("Say hello."))
    text = "".join(str(c.content) for c in chunks)
    assert text.strip() and len([c for c in chunks if c.content]) >= 2
    last = chunks[-1]
    assert last.chunk_position == "last" and last.usage_metadata
    assert last.usage_metadata["output_tokens"] <= 24
    assert last.response_metadata["timings"]["predicted_n"] == last.usage_metadata[
        "output_tokens"]


def test_replayed_tool_call(llm: ChatLocalLLM) -> None:
    with RECORDER.use_cassette("tool_call.yaml"):
        msg = llm.bind_tools([get_weather], tool_choice="required").invoke(
            "What is the weather in Paris?")
    assert msg.tool_calls[0]["name"] == "get_weather"
    assert msg.tool_calls[0]["args"] == {"city": "Paris"} and msg.tool_calls[0]["id"]


def test_cassettes_hold_no_secrets() -> None:
    files = sorted(DATA.glob("*.yaml"))
    assert len(files) >= 2
    for path in files:
        text = path.read_text()
        assert SECRET not in text and "authorization" not in text.lower()
        assert "llama.cpp" in text  # recorded from the real server (its Server header)
