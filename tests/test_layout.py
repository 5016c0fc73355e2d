"""The package's shape: imports run one way (model -> routes -> information ->
sweep/figure -> CLI), with no cycles and nothing below the CLI importing it."""

import ast
import pathlib

import qutip_mmi

PACKAGE = pathlib.Path(qutip_mmi.__file__).parent


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """Modules of the package imported by ``path`` (all imports, lazy ones too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("qutip_mmi"):
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("qutip_mmi"))
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    return {m for m in out if m in modules and m != name}


def _graph():
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_no_library_module_imports_the_cli():
    for mod, deps in _graph().items():
        if mod.startswith("qutip_mmi.cli") or mod == "qutip_mmi.__main__":
            continue
        assert not any(d.startswith("qutip_mmi.cli") for d in deps), mod


def test_no_import_cycles_below_the_package_namespace():
    # the package __init__ files re-export their children; every other edge
    # must form an acyclic graph
    graph = {m: {d for d in deps if d not in ("qutip_mmi",)}
             for m, deps in _graph().items() if m != "qutip_mmi"}
    for m in graph:
        graph[m] = {d for d in graph[m] if not (m.startswith(d + "."))}
    state = {}

    def visit(node, path):
        state[node] = "open"
        for dep in graph.get(node, ()):
            if state.get(dep) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [dep]))
            if dep not in state:
                visit(dep, path + [dep])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_bottom_floor_imports_nothing_of_ours():
    graph = _graph()
    for mod in ("qutip_mmi._validation", "qutip_mmi._resources"):
        assert graph[mod] == set(), (mod, graph[mod])


def test_models_import_no_route():
    deps = _graph()["qutip_mmi.models"]
    assert not any(d.startswith(("qutip_mmi.steadystate", "qutip_mmi.meanfield",
                                 "qutip_mmi.sweep", "qutip_mmi.evolve",
                                 "qutip_mmi.spectrum")) for d in deps), deps
