"""``ChatLocalLLM``: a LangChain chat model on the localllm core client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.utils import secret_from_env
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from localllm import Timeouts
from localllm.integration import ClientHolder, chat_arguments

from ._convert import PROVIDER, ChunkConverter, to_core_messages
from .errors import langchain_errors

if TYPE_CHECKING:  # parsers and tools load with bind_tools / with_structured_output
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool


class ChatLocalLLM(ClientHolder, BaseChatModel):
    """Chat model for local servers: Ollama, llama.cpp, vLLM, LM Studio, OpenAI-compatible.

    Example:
        ```python
        from langchain_localllm import ChatLocalLLM

        llm = ChatLocalLLM(model="llama3.2", base_url="http://localhost:11434")
        for chunk in llm.stream("Hi"):
            print(chunk.text, end="")
        ```
    """

    model: str | None = None
    """Model name; None lets a single-model server (llama.cpp) use its own."""
    base_url: str | list[str] | None = None
    """Server root, ``"embedded"``, or several URLs to fail over between. None: core default
    (``LOCALLLM_BASE_URL``, ``OLLAMA_HOST``, then Ollama's port)."""
    backend: Literal["auto", "ollama", "openai"] = "auto"
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("LOCALLLM_API_KEY", default=None))
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    stop: list[str] | None = None
    timeout: float | Timeouts | None = None
    """Seconds for every phase, or ``Timeouts(connect, first_token, idle, total)``."""
    max_retries: int = 2
    """Retries before the first token only (never after output started)."""
    routing: Literal["failover", "least_busy", "affinity"] = "failover"
    """Several base URLs: where each request goes first (see ``localllm.Client``)."""
    max_concurrency: int | Literal["auto"] | None = None
    """Requests at once per server for the whole process; ``"auto"``: the server's slots."""
    session_header: str | None = "X-Session-ID"
    """The header carrying a call's ``session_id`` (``invoke(..., session_id=...)``)."""
    stream_usage: bool = True
    """Put token usage on the last streamed chunk."""
    reasoning: bool | None = None
    """Ask for (True) or switch off (False) the model's thinking; None: server default."""
    keep_alive: str | int | None = None
    """Ollama: how long the model stays loaded after the call."""
    num_ctx: int | None = None
    """Ollama: context length to load the model with."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other options sent with every call (Ollama ``options``, OpenAI body fields)."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    _client: Any = PrivateAttr(default=None)  # localllm.Client, built on first use
    _aclient: Any = PrivateAttr(default=None)  # localllm.AsyncClient

    # -- LangChain metadata --------------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return "localllm-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_localllm", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "LOCALLLM_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url, "backend": self.backend,
                "temperature": self.temperature, "max_tokens": self.max_tokens,
                "seed": self.seed, "reasoning": self.reasoning, "num_ctx": self.num_ctx}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider=PROVIDER, ls_model_type="chat",
                                 ls_model_name=kwargs.get("model") or self.model or "default")
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    # -- one call --------------------------------------------------------------------------------
    def _begin(self, messages: list[BaseMessage], stop: list[str] | None,
               kwargs: dict[str, Any]
               ) -> tuple[ChunkConverter, list[dict[str, Any]], dict[str, Any]]:
        """A call's converter and core ``chat_stream`` arguments: model defaults, then
        per-call overrides."""
        stream_usage = kwargs.pop("stream_usage", self.stream_usage)
        values: dict[str, Any] = {**self.model_kwargs}
        for key in ("temperature", "max_tokens", "seed", "reasoning", "keep_alive", "num_ctx"):
            value = getattr(self, key)
            if value is not None:
                values[key] = value
        values["stop"] = stop if stop is not None else self.stop
        # ls_* keys are LangChain tracing hints (e.g. from with_structured_output), not options
        values.update({k: v for k, v in kwargs.items() if not k.startswith("ls_")})
        values["model"] = values.get("model") or self.model
        options = chat_arguments(values)
        return (ChunkConverter(options.get("model"), stream_usage), to_core_messages(messages),
                options)

    # -- generation ----------------------------------------------------------------------------
    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
                ) -> Iterator[ChatGenerationChunk]:
        converter, core_messages, options = self._begin(messages, stop, kwargs)
        with langchain_errors():  # token callbacks: BaseChatModel.stream() reports each chunk
            for delta in self.client.chat_stream(core_messages, **options):
                if (chunk := converter.convert(delta)) is not None:
                    yield chunk
        yield converter.final()

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any
                       ) -> AsyncIterator[ChatGenerationChunk]:
        converter, core_messages, options = self._begin(messages, stop, kwargs)
        with langchain_errors():
            async for delta in self.async_client.chat_stream(core_messages, **options):
                if (chunk := converter.convert(delta)) is not None:
                    yield chunk
        yield converter.final()

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any
                  ) -> ChatResult:
        """The same stream, merged: one code path for streaming and non-streaming."""
        kwargs["stream_usage"] = True
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        kwargs["stream_usage"] = True
        return await agenerate_from_stream(
            self._astream(messages, stop, run_manager, **kwargs))

    # -- tools and structured output -------------------------------------------------------------
    def bind_tools(self, tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
                   *, tool_choice: dict[str, Any] | str | bool | None = None, **kwargs: Any
                   ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools. ``tool_choice``: "auto", "any"/"required"/True, "none", or a tool name
        (or OpenAI dict) — a named choice is enforced client-side, so it also holds on
        llama.cpp, which ignores named choices."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = tool_choice
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type | None = None, *, include_raw: bool = False,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        strict: bool | None = None, **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Structured output. ``json_schema`` (default) has the server constrain the output
        to the schema (llama.cpp, vLLM, Ollama grammars); ``function_calling`` forces a call
        of a tool shaped like the schema; ``json_mode`` asks for a JSON object — and, when a
        schema is given, has the server hold it to that schema too, since small local models
        rarely keep to keys named only in the prompt."""
        if kwargs:
            raise ValueError(f"unexpected arguments: {sorted(kwargs)}")
        if method not in ("json_schema", "function_calling", "json_mode"):
            raise ValueError(f"unknown method {method!r}: use json_schema, function_calling "
                             "or json_mode")
        if schema is None and method != "json_mode":
            raise ValueError(f"method={method!r} needs a schema")
        from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
        from langchain_core.output_parsers.openai_tools import (
            JsonOutputKeyToolsParser,
            PydanticToolsParser,
        )
        from langchain_core.runnables import RunnableMap, RunnablePassthrough

        is_model = isinstance(schema, type) and is_basemodel_subclass(schema)
        json_schema = convert_to_json_schema(schema) if schema is not None else None
        trace = {"ls_structured_output_format": {
            "kwargs": {"method": method, "strict": strict}, "schema": json_schema}}
        if method == "function_calling":
            tool = convert_to_openai_tool(schema, strict=strict)  # type: ignore[arg-type]
            name = tool["function"]["name"]
            llm = self.bind_tools([tool], tool_choice=name, **trace)
            parser: Runnable[Any, Any] = (
                PydanticToolsParser(tools=[schema], first_tool_only=True) if is_model  # type: ignore[list-item]
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True))
        else:
            fmt: dict[str, Any] = {"type": "json_object"}
            if json_schema is not None:
                fmt = {"type": "json_schema", "json_schema": {
                    "name": json_schema.get("title", "response"), "schema": json_schema,
                    **({"strict": strict} if strict is not None else {})}}
            llm = self.bind(response_format=fmt, **trace)
            parser = (PydanticOutputParser(pydantic_object=schema) if is_model  # type: ignore[arg-type]
                      else JsonOutputParser())
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser,
                                            parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error")
