"""The layers depend downward only: ocr → structure → index → agent → interfaces, never the reverse.

Every import in ``chatocr/`` and ``retrievers/`` (at the top of a module or inside a function) is
read with ``ast`` and checked against the layer of the module that makes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from chatocr_testkit import REPO

# the lower the number, the lower the layer; a module may import its own layer and those below
LAYERS = {
    # shared ground: errors, options, result types, geometry, model files, engines, loading
    "errors": 0, "options": 0, "types": 0, "geometry": 0, "_memory": 0, "_cache": 0, "_pool": 0, "models": 0, "engine": 0, "io": 0,
    "document": 0, "__init__": 0,
    "ocr": 1,
    "structure": 2,
    "index": 3,
    "llm": 4,
    "agent": 5, "prompts": 5,
    "retrievers": 6, "batch": 6, "cli": 6, "server": 6, "__main__": 6,
}
# the package's __init__ exposes the public API lazily (module __getattr__): it names every layer
EXEMPT = {"chatocr/__init__.py"}


def _modules():
    for root, package in ((REPO / "chatocr", "chatocr"), (REPO / "retrievers", "chatocr.retrievers")):
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"] if rel.parts[-1] == "__init__" else list(rel.parts)
            name = ".".join([package, *parts])
            yield path, name, path.name == "__init__.py"


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "chatocr":
        return None
    if len(parts) == 1:
        return LAYERS["__init__"]
    return LAYERS.get(parts[1])


def _imports(path: Path, name: str, is_package: bool) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from . import x" names a submodule: judge it by its own layer
            names = [f"{target}.{a.name}" for a in node.names] if not node.module else [target]
            out += [(node.lineno, t) for t in names]
    return out


def test_the_layer_table_covers_every_part_of_the_package():
    parts = {p.stem if p.is_file() else p.name for p in (REPO / "chatocr").iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").is_file()))}
    assert parts - set(LAYERS) == set(), "add the new module to LAYERS"


@pytest.mark.parametrize(("path", "name", "is_package"), [pytest.param(*m, id=m[1]) for m in _modules()])
def test_imports_point_downward(path, name, is_package):
    rel = path.relative_to(REPO).as_posix()
    if rel in EXEMPT:
        return
    own = _layer(name)
    assert own is not None, name
    upward = [
        f"{rel}:{line} imports {target} (layer {_layer(target)} > {own})"
        for line, target in _imports(path, name, is_package)
        if (_layer(target) or 0) > own
    ]
    assert not upward, "\n".join(upward)
