"""The tree keeps the shape the README's architecture section draws: imports point down,
only ``transport/`` touches sockets and HTTP libraries, the pure layers import no I/O, the
adapters use only public core modules, and no module imports itself in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("localllm", "langchain_localllm", "llamaindex_localllm")
IO_LIBRARIES = {"socket", "http.client", "urllib.request", "requests", "urllib3", "aiohttp"}
PURE = ("localllm.flows", "localllm.protocols", "localllm.wire", "localllm.routing",
        "localllm.request", "localllm.accumulate", "localllm.messages", "localllm.types",
        "localllm.errors", "localllm.http", "localllm.settings")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str, *, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (relative imports resolved); with ``top_level_only``, only
    those that run at import time (not inside functions, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if top_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if top_level_only and isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(
                    child.test):
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                found.add(base)
                found.update(f"{base}.{a.name}" for a in child.names)
            visit(child)

    visit(tree)
    return found


MODULES = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _known(names: set[str]) -> set[str]:
    return {n for n in names if n in MODULES}


def test_no_import_cycles_at_import_time() -> None:
    graph = {m: _known(_imports(p, m, top_level_only=True)) - {m} for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is not a cycle of concern
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not m.startswith(d + ".")}
    state: dict[str, int] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in graph[node]:
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, dep]))
            if dep not in state:
                walk(dep, [*trail, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            walk(module, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_transport_touches_sockets(module: str) -> None:
    if module.startswith("localllm.transport"):
        return
    used = {n for n in _imports(MODULES[module], module, top_level_only=False)
            if n.split(".")[0] in {i.split(".")[0] for i in IO_LIBRARIES}}
    assert not {n for n in used if n in IO_LIBRARIES or n.split(".")[0] in
                ("requests", "urllib3", "aiohttp")}, f"{module} imports {used}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(PURE)))
def test_pure_layers_import_no_client_transport_or_server(module: str) -> None:
    imported = _imports(MODULES[module], module, top_level_only=False)
    upper = {n for n in imported if n.startswith(("localllm.client", "localllm.transport",
                                                   "localllm.server", "localllm.cli"))}
    # routing resolves "embedded" by starting the shared server, lazily, inside resolve()
    if module == "localllm.routing.endpoints":
        upper -= {"localllm.server", "localllm.server.shared_server"}
    assert not upper, f"{module} imports {upper}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("localllm")))
def test_adapters_use_only_public_core_modules(module: str) -> None:
    imported = _imports(MODULES[module], module, top_level_only=False)
    private = {n for n in imported if n.startswith("localllm")
               and any(part.startswith("_") for part in n.split(".")[1:2])}
    assert not private, f"{module} imports private core modules {private}"
