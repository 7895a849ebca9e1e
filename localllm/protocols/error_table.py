"""The error table: per server family, which answers mean which typed error.

A row claims an error only where status and family agree: each row lists the statuses it
may claim (``STREAM`` = an error record inside a 200 stream that carries no status of its
own), the family's own ``type``/``code`` values or message patterns, and the class it means.
Numbers in the message (named groups ``n_prompt_tokens`` and ``n_ctx``) are parsed into the
error. Ollama's native API gets the Ollama rows; an OpenAI-compatible server gets the rows of
every OpenAI-compatible family (the family is rarely known, and their messages do not
overlap). Anything no row claims is classified by status alone (``protocols.errors``). Each
row names its evidence; ``tests/conformance`` exercises every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import (
    AuthenticationError,
    BadRequest,
    ContextOverflow,
    LocalLLMError,
    ModelNotFound,
    ServerError,
)

#: The status of an error inside a 2xx answer (a stream record, or a whole body) that states
#: none of its own (a record that says ``"code": 400`` counts as a 400).
IN_2XX = 0


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    statuses: frozenset[int]
    error: type[LocalLLMError]
    hint: str
    evidence: str
    #: ``type`` or ``code`` values of the error object, any of which identifies the row.
    kinds: frozenset[str] = frozenset()
    #: Searched in the message (any may match); with ``kinds`` as well, both must hold.
    patterns: tuple[re.Pattern[str], ...] = ()

    def matches(self, status: int, message: str, kinds: tuple[str, ...]
                ) -> re.Match[str] | bool:
        if status not in self.statuses:
            return False
        if self.kinds and not self.kinds.intersection(kinds):
            return False
        if not self.patterns:
            return True
        for pattern in self.patterns:
            found = pattern.search(message)
            if found:
                return found
        return False


def _rule(id: str, statuses: set[int] | int, error: type[LocalLLMError], hint: str,
          evidence: str, *patterns: str, kinds: tuple[str, ...] = ()) -> Rule:
    return Rule(id, frozenset({statuses} if isinstance(statuses, int) else statuses), error,
                hint, evidence, frozenset(kinds),
                tuple(re.compile(p, re.I | re.S) for p in patterns))


_4XX = set(range(400, 500))
_ANY = {IN_2XX, *range(400, 600)}
_PULL = "Pull it first (ollama pull <model>), or use one of the server's models."
_LOAD = "Load the model in the server first (or use one of the listed models)."
_SHORTEN = ("Shorten the conversation, lower max_tokens, or serve a larger context "
            "(llama.cpp -c / --parallel, Ollama num_ctx, vLLM --max-model-len).")
_LOG = "The server failed; check its log."
_MEMORY = "The server has too little (GPU) memory for this model: use a smaller model or quant."
_UNSUPPORTED = "The model or server cannot do what was asked; change the request or the model."

OLLAMA: tuple[Rule, ...] = (
    _rule("ollama-model-not-found", {404, IN_2XX}, ModelNotFound, _PULL,
          "ollama/ollama server/routes.go v0.1.14-v0.32.15 (ChatHandler, ShowHandler, "
          "EmbedHandler, handleScheduleError): model 'm' not found[, try pulling it first]",
          r"^model ['\"]?.*?['\"]? not found"),
    _rule("ollama-out-of-memory", {500, IN_2XX}, ServerError, _MEMORY,
          "ollama/ollama llm/server.go v0.3.0-v0.12.0; "
          "https://github.com/ollama/ollama/issues/13556",
          r"model requires more system memory", r"out of memory",
          r"failed to allocate memory for model", r"memory layout cannot be allocated"),
    _rule("ollama-runner-terminated", {500, IN_2XX}, ServerError,
          "The model is installed but Ollama could not run it: an Ollama older than the model "
          "(upgrade Ollama) or too little memory. See the server log.",
          "https://github.com/ollama/ollama/issues/5379; llm/server.go v0.3.0-v0.12.0; "
          "llm/llama_server.go v0.32.15",
          r"(llama runner|llama-server) process (has terminated|(is )?no longer running)",
          r"model runner has unexpectedly stopped", r"unknown model architecture"),
    _rule("ollama-runner-error", {500, IN_2XX}, ServerError, _LOG,
          "ollama/ollama llm/server.go v0.1.32-v0.12.0, llm/llama_server.go v0.32.15; "
          "https://github.com/ollama/ollama/issues/7441",
          r"an (unknown )?error was encountered while running the model", r"POST predict: ",
          r"error reading (llm|llama-server) response", r"mlx runner failed"),
    _rule("ollama-runner-timeout", 500, ServerError,
          "The model took too long to load; retry, or raise OLLAMA_LOAD_TIMEOUT.",
          "https://github.com/ollama/ollama/issues/8470",
          r"timed out waiting for (llama runner|llama-server) to start"),
    _rule("ollama-model-outdated", 500, ServerError,
          "The installed model needs another Ollama version: upgrade Ollama or pull the "
          "model again.", "ollama/ollama server/sched.go v0.7.0+; "
          "https://github.com/ollama/ollama/issues/11953",
          r"(no longer |may be in)compatible with your version of Ollama"),
    _rule("ollama-server-busy", 503, ServerError,
          "Ollama's queue is full (OLLAMA_MAX_QUEUE); retried automatically.",
          "ollama/ollama server/sched.go: server busy, please try again.  maximum pending "
          "requests exceeded", r"server busy, please try again"),
    _rule("ollama-capability-missing", {400, IN_2XX}, BadRequest, _UNSUPPORTED,
          "ollama/ollama server/routes.go v0.3.0-v0.32.15 (\"%s does not support tools\", "
          "thinking, chat, generate, insert, vision); "
          "https://github.com/ollama/ollama/issues/11439",
          r"\bdoes not support (tools|thinking|chat|generate|insert|vision|audio|completion|"
          r"embedding|image generation)\b"),
    _rule("ollama-embed-unsupported", 500, BadRequest, _UNSUPPORTED,
          "https://github.com/ollama/ollama/issues/9739 (the runner's 501 becomes a 500)",
          r"this model does not support embeddings"),
    _rule("ollama-context-length", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "ollama/ollama server/routes.go EmbedHandler v0.2.6-v0.32.15, llm/llama_server.go "
          "v0.30.9+, x/mlxrunner/pipeline.go v0.17.5+",
          r"input length \((?P<n_prompt_tokens>\d+) tokens\) exceeds the model's maximum "
          r"context length \((?P<n_ctx>\d+) tokens\)",
          r"prompt is longer than the context length",
          r"input (length )?exceeds (the|maximum) context length",
          r"input after truncation exceeds maximum context length",
          r"cannot be truncated further"),
    _rule("ollama-cloud-signin", 401, AuthenticationError,
          "This model runs on ollama.com: sign in with `ollama signin` on the server.",
          "ollama/ollama server/routes.go v0.12.1+ (error unauthorized with signin_url)",
          r"^unauthorized$"),
    _rule("ollama-cloud-disabled", 403, AuthenticationError,
          "Cloud models are switched off on this server (OLLAMA_NO_CLOUD); use a local model.",
          "ollama/ollama server/routes.go v0.16.2+", r"^ollama cloud is disabled"),
)

OPENAI_COMPATIBLE: tuple[Rule, ...] = (
    # -- Ollama's /v1 layer (openai/openai.go NewError: type api_error up to v0.17.x)
    _rule("ollama-v1-model-not-found", 404, ModelNotFound, _PULL,
          "ollama/ollama openai/openai.go + server/routes.go v0.1.24-v0.32.15",
          r"^model ['\"][^'\"]+['\"] not found"),
    _rule("ollama-v1-context-length", 400, ContextOverflow, _SHORTEN,
          "ollama/ollama llm/llama_server.go v0.30.9+ through openai/openai.go",
          r"prompt is longer than the context length currently available",
          r"the input length exceeds the context length"),
    # -- llama.cpp (tools/server: format_error_response, error_type)
    _rule("llamacpp-context-size", {400, 500, IN_2XX}, ContextOverflow, _SHORTEN,
          "ggml-org/llama.cpp PR #15780 (exceed_context_size_error with n_prompt_tokens and "
          "n_ctx); tools/server/server-task.cpp",
          r"request \((?P<n_prompt_tokens>\d+) tokens\) exceeds the available context size "
          r"\((?P<n_ctx>\d+) tokens\)",
          r"input \((?P<n_prompt_tokens>\d+) tokens\) is larger than the max context size "
          r"\((?P<n_ctx>\d+) tokens\)", r"", kinds=("exceed_context_size_error",)),
    _rule("llamacpp-context-exceeded", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "ggml-org/llama.cpp examples/server/server.cpp b4000-b4747 update_slots",
          r"the request exceeds the available context size"),
    _rule("llamacpp-input-too-large", {500, IN_2XX}, ContextOverflow, _SHORTEN,
          "ggml-org/llama.cpp examples/server/server.cpp b3500, b4500 update_slots",
          r"input (\((?P<n_prompt_tokens>\d+) tokens\) )?is too large to process"),
    _rule("llamacpp-kv-cache-full", {500, IN_2XX}, ServerError,
          "The server ran out of KV cache while generating (all slots together); retry, or "
          "start it with a larger -c or fewer --parallel slots.",
          "ggml-org/llama.cpp server.cpp b3500-b4747 decode(); "
          "https://github.com/ggml-org/llama.cpp/issues/19774",
          r"Context size has been exceeded", r"Input prompt is too big compared to KV size"),
    _rule("llamacpp-not-supported", 501, BadRequest,
          "The server was started without this feature (e.g. --embeddings, or an embedding "
          "server asked to chat).", "ggml-org/llama.cpp format_error_response "
          "ERROR_TYPE_NOT_SUPPORTED", kinds=("not_supported_error",)),
    _rule("llamacpp-request-unsupported", 500, BadRequest, _UNSUPPORTED,
          "ggml-org/llama.cpp examples/server/utils.hpp b4747 "
          "oaicompat_completion_params_parse",
          r"Cannot use tools with stream", r"tools param requires --jinja flag"),
    _rule("llamacpp-router-model-not-found", 400, ModelNotFound, _LOAD,
          "ggml-org/llama.cpp tools/server/server-models.cpp router_validate_model",
          r"^model not found$"),
    _rule("llamacpp-router-model-not-loaded", 400, BadRequest, _LOAD,
          "ggml-org/llama.cpp tools/server/server-models.cpp router_validate_model",
          r"^model is not loaded$"),
    _rule("llamacpp-file-not-found", 404, BadRequest,
          "The server does not serve this path; check the base URL and backend.",
          "ggml-org/llama.cpp tools/server/server-http.cpp error handler",
          r"^File Not Found$"),
    # -- vLLM (entrypoints/openai serving_engine.py, renderers/params.py, v1/engine)
    _rule("vllm-max-tokens-too-large", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "vllm-project/vllm serving_engine.py v0.10.1-v0.14; renderers/params.py v0.33",
          r"max_completion_tokens' is too large: \d+\. This model's maximum context length "
          r"is (?P<n_ctx>\d+) tokens and your request has (?P<n_prompt_tokens>\d+) input",
          r"(max_tokens|max_completion_tokens)=\d+ cannot be greater than "
          r"max_model_len=(?P<n_ctx>\d+)"),
    _rule("vllm-context-length", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "vllm-project/vllm serving_engine.py _validate_input v0.2.7-v0.14, "
          "renderers/params.py v0.18-v0.33, v1/engine/processor.py v0.8.5-v0.33",
          r"(decoder|encoder) prompt \(length (?P<n_prompt_tokens>\d+)\)( plus the number of "
          r"requested output tokens \(at least 1\))? is longer than the maximum model length "
          r"of (?P<n_ctx>\d+)",
          r"maximum context length is (?P<n_ctx>\d+) tokens.*?\((?P<n_prompt_tokens>\d+) in "
          r"the messages",
          r"maximum context length is (?P<n_ctx>\d+) tokens.*?requested "
          r"(?P<n_prompt_tokens>\d+) tokens in the (messages|input)",
          r"maximum context length is (?P<n_ctx>\d+) tokens.*?(your request has|your prompt "
          r"contains) (?P<n_prompt_tokens>\d+) input tokens",
          r"maximum context length is (?P<n_ctx>\d+) tokens"),
    _rule("vllm-model-not-found", 404, ModelNotFound, _LOAD,
          "vllm-project/vllm serving_engine.py _check_model v0.4.3-v0.33 (NotFoundError)",
          r"The model `[^`]*` does not exist"),
    _rule("vllm-engine-dead", _ANY, ServerError,
          "vLLM's engine died; the server must be restarted. See its log.",
          "vllm-project/vllm v1/engine/exceptions.py EngineDeadError v0.8.5-v0.14 (written "
          "in-stream with code 400)", r"EngineCore encountered an issue"),
    # -- SGLang (srt/managers/tokenizer_manager.py, managers/utils.py)
    _rule("sglang-context-length", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "sgl-project/sglang python/sglang/srt/managers/tokenizer_manager.py "
          "_validate_one_request",
          r"The input \((?P<n_prompt_tokens>\d+) tokens\) is longer than the model's context "
          r"length \((?P<n_ctx>\d+) tokens\)"),
    _rule("sglang-context-length-total", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "sgl-project/sglang python/sglang/srt/managers/tokenizer_manager.py",
          r"maximum context length of (?P<n_ctx>\d+) tokens\. You requested a total of \d+ "
          r"tokens: (?P<n_prompt_tokens>\d+) tokens from the input messages"),
    _rule("sglang-input-length", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "sgl-project/sglang python/sglang/srt/managers/utils.py validate_input_length; "
          "https://github.com/sgl-project/sglang/pull/19357",
          r"Input length \((?P<n_prompt_tokens>\d+) tokens\) exceeds the maximum allowed "
          r"length \((?P<n_ctx>\d+) tokens\)"),
    # -- LM Studio (closed source: its docs and bug reports with raw answers)
    _rule("lmstudio-model-not-found", _4XX, ModelNotFound, _LOAD,
          "https://github.com/assafelovic/gpt-researcher/issues/1556; "
          "https://github.com/QwenLM/qwen-code/issues/10065", kinds=("model_not_found",)),
    _rule("lmstudio-no-models-loaded", 400, ModelNotFound, _LOAD,
          "https://github.com/assafelovic/gpt-researcher/issues/1556; "
          "lmstudio-ai/lmstudio-bug-tracker#1730", r"^No models loaded\b"),
    _rule("lmstudio-context-keep-first", {400, IN_2XX}, ContextOverflow, _SHORTEN,
          "lmstudio-ai/lmstudio-bug-tracker#237, #546",
          r"Trying to keep the first (?P<n_prompt_tokens>\d+) tokens when context (the )?"
          r"overflows.*?context length of only (?P<n_ctx>\d+) tokens"),
    _rule("lmstudio-context-n-keep", 400, ContextOverflow, _SHORTEN,
          "https://github.com/Gitlawb/openclaude/issues/353",
          r"n_keep: (?P<n_prompt_tokens>\d+)\s*>=\s*n_ctx: (?P<n_ctx>\d+)"),
    _rule("lmstudio-prompt-template", {400, IN_2XX}, BadRequest,
          "The model's chat template failed on this conversation; try another model build.",
          "https://github.com/zed-industries/zed/issues/45379; "
          "lmstudio-ai/lmstudio-bug-tracker#2233",
          r"^Error rendering prompt with jinja template"),
    _rule("lmstudio-unexpected-endpoint", IN_2XX, BadRequest,
          "LM Studio does not serve this path (it answers 200 to unknown paths); check the "
          "base URL and the server version.", "lmstudio-ai/lmstudio-bug-tracker#618, #2085",
          r"^Unexpected endpoint or method"),
)

TABLES: dict[str, tuple[Rule, ...]] = {"ollama": OLLAMA, "openai": OPENAI_COMPATIBLE}

__all__ = ["IN_2XX", "OLLAMA", "OPENAI_COMPATIBLE", "TABLES", "Rule"]
