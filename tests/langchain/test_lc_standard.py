"""langchain-tests standard suites for ChatLocalLLM and LocalLLMEmbeddings, run against the
REAL embedded llama.cpp server (gemma-3-270m, one server per test session)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import (
    ChatModelIntegrationTests,
    EmbeddingsIntegrationTests,
)
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from langchain_localllm import ChatLocalLLM, LocalLLMEmbeddings
from tests.support.embedded import session_server

MODEL = "gemma-3-270m"
NO_VISION = ("the embedded llama.cpp server runs gemma-3-270m without a vision projector "
             "(mmproj): it answers image input with HTTP 500 'image input is not supported'")


class _Capabilities:
    """What ChatLocalLLM offers on the embedded server, shared by both suites."""

    @property
    def chat_model_class(self) -> type[ChatLocalLLM]:
        return ChatLocalLLM

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True


class TestChatLocalLLMUnit(_Capabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "base_url": "http://127.0.0.1:9"}  # unit tests do no I/O

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"LOCALLLM_API_KEY": "sk-from-env"}, {"model": MODEL},
                {"api_key": "sk-from-env"})

    @pytest.mark.xfail(strict=True, reason=(
        "langchain-core >= 1.x load(allowed_objects='all') admits only classes in its own "
        "built-in registry (ALL_SERIALIZABLE_MAPPINGS), which no third-party package can "
        "join; the same round trip with allowed_objects=[ChatLocalLLM] passes in "
        "test_lc_behaviour.py::test_dumpd_loads_round_trip_keeps_no_key"))
    def test_serdes(self, model: Any, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)


class TestChatLocalLLMIntegration(_Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "base_url": session_server().url, "temperature": 0, "seed": 42,
                "max_tokens": 48}

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @pytest.mark.xfail(strict=False, reason=(
        "the served model (gemma-3-270m, a 270M base model) rambles in the free-text "
        "'description' argument and, for the Japanese prompt, writes the English gloss as "
        "the name; Unicode arguments themselves stream intact (the Chinese case passes)"))
    def test_unicode_tool_call_integration(self, model: Any, **kwargs: Any) -> None:
        super().test_unicode_tool_call_integration(model, **kwargs)


class TestLocalLLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[LocalLLMEmbeddings]:
        return LocalLLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "base_url": "http://127.0.0.1:9"}


class TestLocalLLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[LocalLLMEmbeddings]:
        return LocalLLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, "base_url": session_server().url, "batch_size": 2}

