"""The shape of the package: imports run down the stages and never in a loop.

Every import in ``backprop_cli`` is read with ``ast`` (imports inside functions included;
only imports under ``if TYPE_CHECKING:`` are left out, since they never run). The test fails on
an import cycle, on an import from a lower stage to a higher one, on the library importing
click or rich, and on one module taking another module's underscore names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "backprop_cli"

# The stages, lowest first: a module may import its own stage and the stages below it.
STAGES = ("base", "language", "gates", "graph", "engine", "inputs", "api", "analysis",
          "codegen", "render", "cli", "front")
BASE = {"errors", "limits", "numformat", "gcpause", "version"}
FRONT = {"__init__", "__main__"}
# third-party modules allowed only in some stages (the library never imports click or rich)
ALLOWED_ONLY_IN = {"click": {"cli"}, "rich": {"render", "cli"}}


def stage_of(module: str) -> str:
    """The stage of a module named relative to the package (``engine.trace``, ``errors``)."""
    head = module.split(".")[0]
    if head in BASE:
        return "base"
    if head in FRONT or module == "":
        return "front"
    if head == "api":
        return "api"
    assert head in STAGES, f"{module}: not in any stage; add its folder to STAGES"
    return head


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imports(module: str, path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(imported module relative to the package, or '!' + a third-party top name; the names
    taken; line) for every import that runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    known = modules()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "backprop_cli":
                    yield alias.name.partition(".")[2], [], node.lineno
                else:
                    yield "!" + top, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                name = node.module or ""
                if name.split(".")[0] != "backprop_cli":
                    yield "!" + name.split(".")[0], [], node.lineno
                    continue
                base = name.partition(".")[2]
            else:
                up = package[: len(package) - (node.level - 1)]
                base = ".".join([*up, *([node.module] if node.module else [])])
            names = [a.name for a in node.names]
            submodules = [f"{base}.{n}".strip(".") for n in names
                          if f"{base}.{n}".strip(".") in known]
            if submodules:
                for sub in submodules:
                    yield sub, [], node.lineno
            else:
                yield base, names, node.lineno


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        for target, _, _ in imports(module, path):
            if not target.startswith("!") and target in known and target != module:
                edges[module].add(target)
    return edges


def test_no_import_cycles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    for start in sorted(edges):  # iterative depth-first search
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycles.append([*path[path.index(child):], child])
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(edges[child]))))
                path.append(child)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_run_down_the_stages() -> None:
    wrong = []
    for module, path in modules().items():
        here = STAGES.index(stage_of(module))
        for target, _, line in imports(module, path):
            if target.startswith("!"):
                top = target[1:]
                if top in ALLOWED_ONLY_IN and stage_of(module) not in ALLOWED_ONLY_IN[top]:
                    wrong.append(f"{module}:{line} imports {top}")
            elif STAGES.index(stage_of(target)) > here:
                wrong.append(f"{module}:{line} ({stage_of(module)}) imports {target} "
                             f"({stage_of(target)})")
    assert not wrong, "\n".join(wrong)


def test_no_module_takes_another_modules_private_names() -> None:
    taken = [f"{module}:{line} takes {name} from {target}"
             for module, path in modules().items()
             for target, names, line in imports(module, path)
             for name in names
             if name.startswith("_") and not name.startswith("__") and target != module]
    assert not taken, "\n".join(taken)


def test_no_module_reaches_into_another_module_through_an_attribute() -> None:
    """``from . import reference`` then ``reference._kink(...)`` is the same reach."""
    known = modules()
    taken = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id in aliases and node.attr.startswith("_") and \
                    not node.attr.startswith("__"):
                taken.append(f"{module}:{node.lineno} {node.value.id}.{node.attr}")
    assert not taken, "\n".join(taken)


@pytest.mark.parametrize("folder", [p for p in STAGES if (PACKAGE / p).is_dir()])
def test_every_stage_folder_is_a_package_with_an_empty_face(folder: str) -> None:
    init = PACKAGE / folder / "__init__.py"
    assert init.exists()
    body = [n for n in ast.parse(init.read_text(encoding="utf-8")).body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    assert not body, f"{folder}/__init__.py holds code; modules hold code, faces hold none"


def test_at_most_twelve_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top


def test_the_checker_sees_a_cycle_and_a_wrong_direction(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above can fail: a small package with a loop and an upward import."""
    fake = tmp_path / "backprop_cli"
    (fake / "engine").mkdir(parents=True)
    (fake / "render").mkdir()
    for init in (fake / "__init__.py", fake / "engine" / "__init__.py",
                 fake / "render" / "__init__.py"):
        init.write_text("")
    (fake / "engine" / "a.py").write_text("def f():\n    from . import b\n")
    (fake / "engine" / "b.py").write_text("from .a import f\nfrom ..render.view import _x\n")
    (fake / "render" / "view.py").write_text("import click\n_x = 1\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", fake)
    with pytest.raises(AssertionError, match=re.escape("engine.a -> engine.b -> engine.a")):
        test_no_import_cycles()
    with pytest.raises(AssertionError, match=re.escape("imports render.view")):
        test_imports_run_down_the_stages()
    with pytest.raises(AssertionError, match="takes _x"):
        test_no_module_takes_another_modules_private_names()
