"""``LocalLLM``: a LlamaIndex ``FunctionCallingLLM`` on the localllm core client.

Every method streams from the core and hands each delta to ``_convert.ChatStream``; the
non-streaming methods fold the same stream. The sync and async methods differ only in which
core client they iterate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import PydanticProgramMode

from localllm import LocalLLMError, ModelInfo, Timeouts
from localllm.integration import ClientHolder, chat_arguments

from . import _convert as cv

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

dispatcher = get_dispatcher(__name__)
log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class LocalLLM(ClientHolder, FunctionCallingLLM):
    """Chat, tools, reasoning and structured output from a local server (Ollama, llama.cpp,
    vLLM, LM Studio) or ``base_url="embedded"`` (the bundled llama.cpp server).

    ``metadata.context_window`` is what the server serves per request (llama.cpp's per-slot
    ``n_ctx``, Ollama's loaded context), asked once, lazily. Inside a running event loop it is
    never fetched with a blocking call: until an async call (or ``await aget_metadata()``) has
    asked, configured values or conservative defaults are reported.
    """

    model: str = Field(default="", description="Model name; empty = the server's only model.")
    base_url: str | list[str] | None = Field(
        default=None, description="Server URL, a list to fail over between, or 'embedded'. "
        "None reads LOCALLLM_BASE_URL / OLLAMA_HOST.")
    backend: Literal["auto", "ollama", "openai"] = Field(default="auto")
    api_key: str | None = Field(default=None, exclude=True, repr=False)
    temperature: float | None = Field(default=None, description="None = server default.")
    max_tokens: int | None = Field(default=None, description="None = server default.")
    seed: int | None = Field(default=None)
    timeout: Timeouts | float | None = Field(
        default=None, description="localllm.Timeouts, or seconds for every phase.")
    max_retries: int = Field(default=2, description="Retries before the first token only.")
    routing: Literal["failover", "least_busy", "affinity"] = Field(
        default="failover", description="Several base URLs: where each request goes first.")
    max_concurrency: int | Literal["auto"] | None = Field(
        default=None, description="Requests at once per server for the whole process; "
        "'auto' = the server's slots.")
    session_header: str | None = Field(
        default="X-Session-ID", description="The header carrying a call's session_id.")
    context_window: int | None = Field(
        default=None, description="None = ask the server. Set, it is also sent to Ollama as "
        "num_ctx so the server really serves it.")
    is_function_calling_model: bool | None = Field(
        default=None, description="None = from the server's capabilities.")
    reasoning: bool | None = Field(
        default=None, description="Ask for thinking (Ollama think, enable_thinking).")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Sent with every request (server options).")

    _client: Any = PrivateAttr(default=None)  # localllm.Client, built on first use
    _aclient: Any = PrivateAttr(default=None)  # localllm.AsyncClient
    _info: ModelInfo | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "LocalLLM"

    # -- metadata -------------------------------------------------------------------------------
    def _needs_info(self) -> bool:
        return self._info is None and (self.context_window is None
                                       or self.is_function_calling_model is None)

    def _settle_info(self, info: ModelInfo | None, error: LocalLLMError | None) -> None:
        """Keep what the server said; a failed look-up (an old Ollama's ``/api/show``, a proxy
        that serves only the chat path) leaves the defaults, warned about once, and never
        stops the chat that needed it."""
        if error is not None:
            log.warning("Could not ask the server about model %r (%s); using configured values "
                        "or defaults for context window and tool support.", self.model, error)
            info = ModelInfo(name=self.model, backend="")
        self._info = info

    @property
    def metadata(self) -> LLMMetadata:
        if self._needs_info() and not _in_event_loop():
            try:
                self._settle_info(self.client.show(self.model, num_ctx=self.context_window),
                                  None)
            except LocalLLMError as exc:
                self._settle_info(None, exc)
        return cv.metadata(model=self.model, info=self._info, context_window=self.context_window,
                           max_tokens=self.max_tokens,
                           function_calling=self.is_function_calling_model)

    async def _ainfo(self) -> None:
        if self._needs_info():
            try:
                self._settle_info(
                    await self.async_client.show(self.model, num_ctx=self.context_window), None)
            except LocalLLMError as exc:
                self._settle_info(None, exc)

    async def aget_metadata(self) -> LLMMetadata:
        """``metadata`` as the server reports it, asked without blocking the event loop."""
        await self._ainfo()
        return self.metadata


    # -- the one request path --------------------------------------------------------------------
    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
                 ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Per-call keyword arguments override the fields; None means "server default"."""
        options = {"model": self.model or None, "temperature": self.temperature,
                   "max_tokens": self.max_tokens, "seed": self.seed, "reasoning": self.reasoning,
                   "num_ctx": self.context_window, **self.additional_kwargs, **kwargs}
        return cv.to_core_messages(messages), chat_arguments(options)

    def _chat(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatResponse:
        stream = cv.ChatStream()
        msgs, kw = self._request(messages, kwargs)
        for delta in self.client.chat_stream(msgs, **kw):
            stream.add(delta)
        return stream.response()

    def _stream(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
                ) -> ChatResponseGen:
        stream = cv.ChatStream()
        msgs, kw = self._request(messages, kwargs)
        deltas = self.client.chat_stream(msgs, **kw)
        try:
            for delta in deltas:
                yield stream.chunk(delta)
        finally:
            deltas.close()  # type: ignore[attr-defined]  # a generator: closes the response

    async def _achat(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
                     ) -> ChatResponse:
        await self._ainfo()
        stream = cv.ChatStream()
        msgs, kw = self._request(messages, kwargs)
        async for delta in self.async_client.chat_stream(msgs, **kw):
            stream.add(delta)
        return stream.response()

    async def _astream(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
                       ) -> ChatResponseAsyncGen:
        await self._ainfo()
        stream = cv.ChatStream()
        msgs, kw = self._request(messages, kwargs)
        deltas = self.async_client.chat_stream(msgs, **kw)
        try:
            async for delta in deltas:
                yield stream.chunk(delta)
        finally:
            await deltas.aclose()

    # -- LlamaIndex chat and completion endpoints ------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream(messages, kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any
                           ) -> ChatResponseAsyncGen:
        """An ``async def`` returning an async generator, as LlamaIndex agents expect."""
        return self._astream(messages, kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                 ) -> CompletionResponse:
        return cv.to_completion(self._chat(_user(prompt), kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                        ) -> CompletionResponseGen:
        return (cv.to_completion(r) for r in self._stream(_user(prompt), kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any
                        ) -> CompletionResponse:
        return cv.to_completion(await self._achat(_user(prompt), kwargs))

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                               ) -> CompletionResponseAsyncGen:
        return _amap(cv.to_completion, self._astream(_user(prompt), kwargs))

    # -- tools -----------------------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """``tool_choice`` (``"auto"``, ``"required"``, ``"none"`` or a tool name) wins over
        ``tool_required``; a named choice is enforced client-side by the core."""
        messages = list(chat_history or [])  # never append to the caller's history
        if user_msg is not None:
            messages += _user(user_msg) if isinstance(user_msg, str) else [user_msg]
        specs = cv.tool_specs(tools)
        choice = kwargs.pop("tool_choice", None) or ("required" if tool_required else None)
        return {"messages": messages, "tools": specs or None,
                "tool_choice": choice if specs else None, **kwargs}

    def _validate_chat_with_tools_response(
        self, response: ChatResponse, tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False, **kwargs: Any,
    ) -> ChatResponse:
        return response if allow_parallel_tool_calls else cv.keep_first_tool_call(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any,
    ) -> list[ToolSelection]:
        """Works on every streamed chunk: each carries the calls accumulated so far."""
        calls = cv.tool_selections(response.message)
        if not calls and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but the model answered: "
                             f"{(response.message.content or '')[:200]!r}")
        return calls

    # -- structured output -------------------------------------------------------------------------
    def _json_schema_mode(self) -> bool:
        """DEFAULT uses the server's schema-constrained output (llama.cpp, vLLM, LM Studio,
        Ollama >= 0.5); FUNCTION / LLM modes keep LlamaIndex's tool or text programs."""
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT

    def _structured_request(self, output_cls: type[BaseModel], prompt: BasePromptTemplate,
                            llm_kwargs: dict[str, Any] | None, prompt_args: dict[str, Any]
                            ) -> tuple[list[ChatMessage], dict[str, Any]]:
        messages = self._extend_messages(prompt.format_messages(llm=self, **prompt_args))
        return messages, {**(llm_kwargs or {}),
                          "response_format": cv.json_schema_format(output_cls)}

    def _structured_result(self, output_cls: type[BaseModel], response: ChatResponse) -> Any:
        result = cv.parse_structured(output_cls, response.message.content or "")
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_start(self, output_cls: type[BaseModel], prompt: BasePromptTemplate,
                          prompt_args: dict[str, Any]) -> None:
        dispatcher.event(LLMStructuredPredictStartEvent(
            output_cls=output_cls, template=prompt, template_args=prompt_args))

    def structured_predict(self, output_cls: type[Any], prompt: Any,
                           llm_kwargs: dict[str, Any] | None = None, **prompt_args: Any
                           ) -> Any:
        if not self._json_schema_mode():
            return super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
        self._structured_start(output_cls, prompt, prompt_args)
        messages, kw = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        return self._structured_result(output_cls, self.chat(messages, **kw))

    async def astructured_predict(self, output_cls: type[Any], prompt: Any,
                                  llm_kwargs: dict[str, Any] | None = None,
                                  **prompt_args: Any) -> Any:
        if not self._json_schema_mode():
            return await super().astructured_predict(output_cls, prompt, llm_kwargs,
                                                     **prompt_args)
        self._structured_start(output_cls, prompt, prompt_args)
        messages, kw = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        return self._structured_result(output_cls, await self.achat(messages, **kw))

    def _structured_stream_call(self, output_cls: type[Any], prompt: Any,
                                llm_kwargs: dict[str, Any] | None = None,
                                **prompt_args: Any) -> Any:
        if not self._json_schema_mode():
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs,
                                                   **prompt_args)
        messages, kw = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        parser = cv.StructuredStream(output_cls)
        return (parser.update(r) for r in self.stream_chat(messages, **kw))

    async def _structured_astream_call(self, output_cls: type[Any], prompt: Any,
                                       llm_kwargs: dict[str, Any] | None = None,
                                       **prompt_args: Any) -> Any:
        if not self._json_schema_mode():
            return await super()._structured_astream_call(output_cls, prompt, llm_kwargs,
                                                          **prompt_args)
        messages, kw = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        parser = cv.StructuredStream(output_cls)
        return _amap(parser.update, await self.astream_chat(messages, **kw))


def _user(prompt: str) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=prompt)]


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _amap(fn: Callable[[T], R], items: AsyncIterator[T]) -> AsyncGenerator[R, None]:
    async for item in items:
        yield fn(item)
