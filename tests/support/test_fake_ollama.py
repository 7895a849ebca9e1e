"""Self-checks of the fake Ollama server (tests/ollama/fake_ollama.py) with plain ``requests``."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from tests.support.fake_ollama import (
    FakeOllama,
    error_mid_stream,
    http_error,
    text_reply,
    thinking_reply,
    tool_call_reply,
    truncated,
)

CHAT = {"model": "llama3.2:1b", "messages": [{"role": "user", "content": "hi there"}]}
DURATIONS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


@pytest.fixture
def fake():
    with FakeOllama() as f:
        yield f


def lines(resp: requests.Response) -> list[dict]:
    assert resp.headers["Content-Type"] == "application/x-ndjson"
    assert resp.headers["Transfer-Encoding"] == "chunked"
    return [json.loads(x) for x in resp.iter_lines() if x]


def test_root_version_and_unknown_path(fake):
    r = requests.get(fake.url + "/")
    assert (r.status_code, r.text) == (200, "Ollama is running")
    assert requests.get(fake.url + "/api/version").json() == {"version": "0.12.3"}
    r = requests.get(fake.url + "/v2/nothing")
    assert (r.status_code, r.text) == (404, "404 page not found")
    assert r.headers["Content-Type"].startswith("text/plain")


def test_default_streaming_chat(fake):
    r = requests.post(fake.url + "/api/chat", json=CHAT, stream=True)
    objs = lines(r)
    assert all(o["model"] == "llama3.2:1b" and "created_at" in o for o in objs)
    assert [o["done"] for o in objs] == [False] * (len(objs) - 1) + [True]
    text = "".join(o["message"]["content"] for o in objs)
    assert text == "Hello from fake Ollama"
    final = objs[-1]
    assert final["done_reason"] == "stop" and final["prompt_eval_count"] == 2
    assert final["eval_count"] == 4
    assert all(isinstance(final[k], int) and final[k] > 1000 for k in DURATIONS)
    assert fake.requests[-1] == ("POST", "/api/chat", CHAT)


def test_non_streaming_chat(fake):
    fake.enqueue(text_reply("One two three"))
    r = requests.post(fake.url + "/api/chat", json={**CHAT, "stream": False})
    assert r.headers["Content-Type"].startswith("application/json")
    obj = r.json()
    assert obj["message"] == {"role": "assistant", "content": "One two three"}
    assert obj["done"] is True and obj["done_reason"] == "stop"


@pytest.mark.parametrize("with_ids", [False, True])
def test_tool_call_line_shape(fake, with_ids):
    fake.enqueue(tool_call_reply("get_weather", {"city": "Paris"}, with_ids=with_ids))
    objs = lines(requests.post(fake.url + "/api/chat", json=CHAT, stream=True))
    assert len(objs) == 2 and objs[0]["done"] is False and objs[1]["done"] is True
    (call,) = objs[0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert call["function"]["arguments"] == {"city": "Paris"}
    if with_ids:
        assert call["id"].startswith("call_") and call["function"]["index"] == 0
    else:
        assert set(call) == {"function"} and set(call["function"]) == {"name", "arguments"}


def test_thinking_error_truncated_and_http_error(fake):
    fake.enqueue(thinking_reply("let me see", "ok"), error_mid_stream("a b", "boom"),
                 truncated("cut here"), http_error(500, "kaput"))
    body = {**CHAT, "model": "qwen3", "think": True}
    r = requests.post(fake.url + "/api/chat", json={**body, "model": "qwen3:0.6b"}, stream=True)
    objs = lines(r)
    assert "".join(o["message"].get("thinking", "") for o in objs) == "let me see"
    assert "".join(o["message"]["content"] for o in objs) == "ok"
    r = requests.post(fake.url + "/api/chat", json=CHAT, stream=True)
    objs = lines(r)
    assert r.status_code == 200 and objs[-1] == {"error": "boom"}
    objs = lines(requests.post(fake.url + "/api/chat", json=CHAT, stream=True))
    assert objs and not any(o["done"] for o in objs)
    r = requests.post(fake.url + "/api/chat", json=CHAT)
    assert (r.status_code, r.json()) == (500, {"error": "kaput"})
    r = requests.post(fake.url + "/api/chat", json={**CHAT, "model": "llama3.2:1b", "think": True})
    assert r.status_code == 400 and "does not support thinking" in r.json()["error"]


def test_unknown_model_404(fake):
    for path in ("/api/chat", "/api/generate", "/api/show", "/api/embed"):
        r = requests.post(fake.url + path, json={**CHAT, "model": "nope", "input": "x"})
        assert (r.status_code, r.json()) == (404, {"error": "model 'nope' not found"})


def test_chat_missing_falls_back_to_generate():
    with FakeOllama(chat_missing=True) as fake:
        fake.enqueue(text_reply("old server"))
        r = requests.post(fake.url + "/api/chat", json=CHAT)
        assert (r.status_code, r.text) == (404, "404 page not found")
        gen = {"model": "llama3.2:1b", "prompt": "hi"}
        objs = lines(requests.post(fake.url + "/api/generate", json=gen, stream=True))
        assert "".join(o["response"] for o in objs) == "old server"
        assert objs[-1]["done"] and objs[-1]["context"] and "message" not in objs[-1]


def test_tags_show_ps(fake):
    tags = requests.get(fake.url + "/api/tags").json()["models"]
    names = {m["name"] for m in tags}
    assert {"llama3.2:1b", "qwen3:0.6b", "nomic-embed-text:latest"} <= names
    assert {"name", "model", "size", "digest", "details"} <= set(tags[0])
    show = requests.post(fake.url + "/api/show", json={"model": "qwen3:0.6b"}).json()
    assert show["capabilities"] == ["completion", "tools", "thinking"]
    assert show["model_info"]["general.architecture"] == "qwen3"
    assert show["model_info"]["qwen3.context_length"] == 40960
    assert "template" in show and show["details"]["family"] == "qwen3"
    (ps,) = requests.get(fake.url + "/api/ps").json()["models"]
    assert ps["name"] == "llama3.2:1b" and ps["context_length"] == 4096
    assert {"model", "size", "digest", "details", "expires_at", "size_vram"} <= set(ps)


def test_embed_and_pull(fake):
    body = {"model": "nomic-embed-text", "input": ["a", "b", "a"]}
    obj = requests.post(fake.url + "/api/embed", json=body).json()
    vecs = obj["embeddings"]
    assert len(vecs) == 3 and all(len(v) == 8 for v in vecs)
    assert vecs[0] == vecs[2] != vecs[1] and obj["model"] == "nomic-embed-text"
    assert isinstance(obj["total_duration"], int) and obj["prompt_eval_count"] >= 3
    r = requests.post(fake.url + "/api/embed", json={"model": "llama3.2:1b", "input": "x"})
    assert r.status_code == 400
    objs = lines(requests.post(fake.url + "/api/pull", json={"model": "tiny:1b"}, stream=True))
    assert objs[0] == {"status": "pulling manifest"} and objs[-1] == {"status": "success"}
    dl = [o for o in objs if o["status"].startswith("downloading")]
    assert len(dl) >= 3 and all(o["digest"].startswith("sha256:") for o in dl)
    assert dl[-1]["completed"] == dl[-1]["total"]
    assert {"status": "verifying sha256 digest"} in objs
    assert "tiny:1b" in {m["name"] for m in requests.get(fake.url + "/api/tags").json()["models"]}


def test_keep_alive_and_close(fake):
    with requests.Session() as s:
        for _ in range(2):
            assert s.post(fake.url + "/api/chat", json={**CHAT, "stream": False}).ok
        assert lines(s.post(fake.url + "/api/chat", json=CHAT, stream=True))
        assert s.get(fake.url + "/nothing").status_code == 404
        assert s.get(fake.url + "/api/tags").ok
    assert fake.connections == 1
    port = fake.port
    fake.close()
    fake.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_abort_and_non_stream_truncation_break_the_body(fake):
    fake.enqueue(truncated("a b c", abort=True), truncated("x y"))
    r = requests.post(fake.url + "/api/chat", json=CHAT, stream=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        list(r.iter_lines())
    # urllib3 2 raises on a body shorter than its Content-Length; urllib3 1.26 returns it short
    try:
        cut = requests.post(fake.url + "/api/chat", json={**CHAT, "stream": False})
    except requests.exceptions.RequestException:
        return
    assert len(cut.content) < int(cut.headers["Content-Length"])


def test_load_unload_and_generate_non_stream(fake):
    body = {"model": "qwen3:0.6b", "messages": []}
    (obj,) = lines(requests.post(fake.url + "/api/chat", json=body, stream=True))
    assert obj["done"] and obj["done_reason"] == "load" and obj["message"]["content"] == ""
    names = [m["name"] for m in requests.get(fake.url + "/api/ps").json()["models"]]
    assert "qwen3:0.6b" in names
    obj = requests.post(fake.url + "/api/generate",
                        json={"model": "qwen3:0.6b", "keep_alive": 0, "stream": False}).json()
    assert obj["done_reason"] == "unload" and obj["response"] == ""
    fake.enqueue(text_reply("gen text"), endpoint="generate")
    obj = requests.post(fake.url + "/api/generate",
                        json={"model": "llama3.2:1b", "prompt": "p", "stream": False}).json()
    assert obj["response"] == "gen text" and obj["done"] and obj["eval_count"] == 2


def test_delay_and_aiohttp_keep_alive():
    import asyncio
    import time

    import aiohttp

    async def run(url: str) -> list[str]:
        out = []
        async with aiohttp.ClientSession() as s:
            for _ in range(3):
                async with s.post(url + "/api/chat", json=CHAT) as r:
                    parts = [json.loads(x)["message"]["content"]
                             async for x in r.content if x.strip()]
                    out.append("".join(parts))
        return out

    with FakeOllama(delay=0.02) as fake:
        t0 = time.monotonic()
        assert asyncio.run(run(fake.url)) == ["Hello from fake Ollama"] * 3
        assert time.monotonic() - t0 >= 3 * 5 * 0.02
        assert fake.connections == 1
