"""The prompts ship inside the wheel as chatocr.prompts, every prompt in both languages."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from chatocr.llm.prompts import LANGS, PROMPT_NAMES, _builtin_dir

ROOT = Path(__file__).resolve().parents[3]


def test_every_prompt_exists_in_every_language():
    folder = _builtin_dir()
    for name in PROMPT_NAMES:
        for lang in LANGS:
            assert (folder / f"{name}.{lang}.j2").is_file(), f"{name}.{lang}.j2"


def test_pyproject_maps_prompts_into_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert {"chatocr.llm", "chatocr.prompts"} <= set(config["packages"])
    assert config["package-dir"]["chatocr.prompts"] == "prompts"
    assert "*.j2" in config["package-data"]["chatocr.prompts"]


def test_installed_package_finds_the_templates():
    files = {p.name for p in resources.files("chatocr.prompts").iterdir()}
    assert "kie_text.en.j2" in files and "qa.zh.j2" in files
