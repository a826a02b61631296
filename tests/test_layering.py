"""The autograder package's layers: imports go one way, with no circles.

Layers, lowest first: ``settings``/``flags`` <- ``learner`` <- ``sandbox`` <-
``coursedir`` <- ``grading`` <- ``cluster`` <- ``__main__``. A module may import
its own layer and the ones below, never one above; nothing imports the CLI;
``learner`` imports nothing else of ``autograder`` (the student pack ships it
alone); the package imports neither ``examples`` nor ``benchmarks``. Imports
are read from the source with ``ast``, so a function-local import counts too.
"""

import ast
from pathlib import Path

from autograder.settings import REPO_ROOT

LAYERS = ["autograder.settings", "autograder.flags", "autograder.learner", "autograder.sandbox",
          "autograder.coursedir", "autograder.grading", "autograder.cluster", "autograder.__main__",
          "autograder.nbgrader_config"]
# settings and flags are one layer (shared vocabulary that imports nothing of
# ours); so are the CLI and nbgrader_config.py, the Jupyter configuration file
# `make lab` loads, at the top.
RANK = {name: min(max(0, i - 1), len(LAYERS) - 3) for i, name in enumerate(LAYERS)}
OUTSIDE = ("examples", "benchmarks", "tests")


def _module_name(path, root=REPO_ROOT):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root=REPO_ROOT, package="autograder"):
    """module -> {(imported module, line, function-local)} for every module of ``package``."""
    modules = {_module_name(path, root): path for path in (Path(root) / package).rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        top = {id(node) for node in tree.body}
        is_package = path.name == "__init__.py"
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(parts + ([base] if base else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules and target.split(".")[0] not in OUTSIDE:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add((target, node.lineno, id(node) not in top))
        graph[name] = edges
    return graph


def _layer(module):
    for name in sorted(RANK, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w, _, _ in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = import_graph()


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in GRAPH if m != "autograder" and _layer(m) is None)
    assert not unplaced, f"modules outside every layer (add them to LAYERS or move them): {unplaced}"


def test_imports_go_down_the_layers():
    upward = [f"{module}:{line} imports {target} ({_layer(target)} is above {_layer(module)})"
              for module, edges in GRAPH.items() for target, line, _ in edges
              if _layer(module) and _layer(target) and RANK[_layer(target)] > RANK[_layer(module)]]
    assert not upward, "\n".join(upward)


def test_learner_imports_nothing_else_of_the_package():
    outside = [f"{module}:{line} imports {target}" for module, edges in GRAPH.items()
               if _layer(module) == "autograder.learner" for target, line, _ in edges
               if target.startswith("autograder") and _layer(target) != "autograder.learner"
               and target != "autograder"]
    assert not outside, "\n".join(outside)


def test_nothing_imports_the_cli_examples_or_benchmarks():
    bad = [f"{module}:{line} imports {target}" for module, edges in GRAPH.items() for target, line, _ in edges
           if target in ("autograder.__main__", "autograder.nbgrader_config") or target.split(".")[0] in OUTSIDE]
    assert not bad, "\n".join(bad)


def test_no_import_circles():
    # Within a package, __init__ importing its own submodules is not a circle
    # unless a submodule imports the package back, which the graph shows.
    assert _cycles(GRAPH) == []


def test_function_local_imports_say_why():
    silent = []
    for module, edges in GRAPH.items():
        path = REPO_ROOT / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = REPO_ROOT / module.replace(".", "/") / "__init__.py"
        lines = path.read_text().splitlines()
        for _, line, local in edges:
            if not local:
                continue
            i = line - 2
            while i >= 0 and lines[i].strip().startswith(("from ", "import ")):
                i -= 1
            if not (i >= 0 and lines[i].strip().startswith("#")) and "#" not in lines[line - 1]:
                silent.append(f"{module}:{line}")
    assert not silent, f"function-local imports without a comment saying why: {sorted(set(silent))}"


def test_the_checks_catch_an_injected_circle():
    """The graph and the cycle finder are not vacuous: one added upward edge makes a circle they report."""
    graph = {module: set(edges) for module, edges in GRAPH.items()}
    assert "autograder.learner.checks" in {target for target, _, _ in graph["autograder.sandbox.remote"]}
    graph["autograder.learner.checks"].add(("autograder.sandbox.remote", 1, False))
    assert ["autograder.learner.checks", "autograder.sandbox.remote"] in _cycles(graph)


if __name__ == "__main__":
    # `python tests/test_layering.py [ROOT]`: the import graph of ROOT's autograder package
    # (default: this checkout), one module a line, then its circles; ROOT may be an old checkout.
    import sys

    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else REPO_ROOT
    graph = import_graph(root)
    for module in sorted(graph):
        local = sorted({target for target, _, is_local in graph[module] if is_local})
        print(f"{module} -> {', '.join(sorted({t for t, _, _ in graph[module]}))}"
              + (f"   [function-local: {', '.join(local)}]" if local else ""))
    circles = _cycles(graph)
    print(f"\nimport circles: {len(circles)}")
    for circle in circles:
        print("  " + " <-> ".join(circle))
