"""Every chatocr subpackage is listed in pyproject.toml, so a wheel ships all of them."""

from __future__ import annotations

import tomllib
from chatocr_testkit import REPO


def test_every_subpackage_is_listed():
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "chatocr").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    missing = found - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    for name, folder in conf.get("package-dir", {}).items():
        assert name in listed and (REPO / folder / "__init__.py").is_file()
