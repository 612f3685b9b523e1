"""Prompt templates: Jinja2 over the ``prompts/`` folder (shipped as ``chatocr.prompts``), StrictUndefined.

Each prompt ``NAME`` has one template per language, ``NAME.en.j2`` and ``NAME.zh.j2``, with two
blocks, ``system`` and ``user`` (a template without blocks renders as the user message alone).

Document text, tables, questions, keys and chat history are *data*: templates pass them through
the ``data`` filter, which neutralises anything that looks like one of the data tags
(``<document>``, ``</document>``, ``<tables>``, …), so text from a document cannot close its
section and pose as instructions.  The system prompts say that text inside the tags is never an
instruction.

Override a template by path, ``PromptSet(overrides={"kie_text": "/path/my.j2"})`` (every
language) or ``{"kie_text.zh": ...}`` (one), or put ``NAME.LANG.j2`` files in a folder,
``PromptSet(folder="/path")``.  Overrides may ``{% include %}`` or ``{% extends %}`` the built-ins.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2

from ..errors import PromptError

__all__ = [
    "DATA_TAGS",
    "Lang",
    "Prompt",
    "PromptSet",
    "PROMPT_NAMES",
    "detect_language",
    "escape_data",
    "render_prompt",
    "resolve_lang",
]

log = logging.getLogger(__name__)

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = ("en", "zh")

#: The prompts chatocr ships, each as NAME.en.j2 and NAME.zh.j2.
PROMPT_NAMES = ("kie_text", "kie_table", "kie_vlm", "ensemble", "qa", "chat")

#: Tags that delimit data in the prompts; ``escape_data`` neutralises them inside data.
DATA_TAGS = ("document", "tables", "keys", "question", "history", "candidates", "turn")

_LT = "[<\uff1c\ufe64\u2039\u3008\u27e8]"  # < and its look-alikes: full-width, small, single angle, CJK
_TAG_OPEN = re.compile(rf"{_LT}(\s*[/\uff0f\\]?\s*)(?=(?:{'|'.join(DATA_TAGS)})\b)", re.IGNORECASE)


def escape_data(value: Any) -> str:
    """``value`` as text that cannot open or close a data tag: ``</document>`` becomes ``&lt;/document>``."""
    text = "" if value is None else str(value)
    return _TAG_OPEN.sub(lambda m: "&lt;" + m.group(1), text)


def _json_data(value: Any) -> str:
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()  # StrictUndefined: name the missing variable
    return escape_data(json.dumps(value, ensure_ascii=False, default=str))


# -- language --------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str, *, threshold: float = 0.3) -> Lang:
    """``"zh"`` when CJK ideographs are at least ``threshold`` of the letters in ``text``, else ``"en"``.

    Letters only: digits, amounts and punctuation (most of a receipt) do not vote.
    """
    sample = text[:20_000]
    cjk = len(_CJK.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cjk + latin == 0:
        return "en"
    # a Chinese character carries about as much as an English word: weigh latin letters by 1/4
    return "zh" if cjk / (cjk + latin / 4) >= threshold else "en"


def resolve_lang(lang: str | None, *texts: str) -> Lang:
    """``lang`` when it is ``en``/``zh``; for ``auto``/None, the language of ``texts``."""
    if lang in (None, "auto"):
        return detect_language("\n".join(t for t in texts if t))
    if lang not in LANGS:
        raise PromptError(f"unknown prompt language {lang!r}; use one of {', '.join(LANGS)} or 'auto'")
    return lang  # type: ignore[return-value]


# -- rendered prompts ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered prompt: a system message (may be empty) and a user message."""

    system: str
    user: str
    name: str = ""
    lang: str = ""

    def messages(self, images: list[dict] | None = None) -> list[dict]:
        """OpenAI chat messages; ``images`` are content parts (``vlm.image_part``) added after the text."""
        out: list[dict] = []
        if self.system:
            out.append({"role": "system", "content": self.system})
        if images:
            out.append({"role": "user", "content": [{"type": "text", "text": self.user}, *images]})
        else:
            out.append({"role": "user", "content": self.user})
        return out

    @property
    def text(self) -> str:
        return f"{self.system}\n\n{self.user}" if self.system else self.user


def _builtin_dir() -> Path:
    try:
        root = resources.files("chatocr.prompts")
        path = Path(str(root))
        if path.is_dir() and any(path.glob("*.j2")):
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    # a source checkout whose editable install predates the chatocr.prompts mapping
    return Path(__file__).resolve().parents[2] / "prompts"


@dataclass
class PromptSet:
    """The templates to render: built-ins, then a ``folder`` of overrides, then per-name ``overrides``."""

    overrides: dict[str, str | Path] = field(default_factory=dict)
    folder: str | Path | None = None

    def __post_init__(self) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if self.folder is not None:
            folder = Path(self.folder)
            if not folder.is_dir():
                raise PromptError(f"{folder}: prompt folder not found")
            loaders.append(jinja2.FileSystemLoader(str(folder)))
        loaders.append(jinja2.FileSystemLoader(str(_builtin_dir())))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["data"] = escape_data
        self._env.filters["json"] = _json_data
        for key, path in self.overrides.items():
            if not Path(path).is_file():
                raise PromptError(f"{path}: template file for prompt {key!r} not found")

    def _template(self, name: str, lang: str) -> jinja2.Template:
        path = self.overrides.get(f"{name}.{lang}") or self.overrides.get(name)
        try:
            if path is not None:
                return self._env.from_string(Path(path).read_text(encoding="utf-8"))
            return self._env.get_template(f"{name}.{lang}.j2")
        except jinja2.TemplateNotFound as e:
            raise PromptError(
                f"no prompt template {name}.{lang}.j2 (built-in prompts: {', '.join(PROMPT_NAMES)})"
            ) from e
        except jinja2.TemplateSyntaxError as e:
            raise PromptError(
                f"{path or f'{name}.{lang}.j2'}: template syntax error line {e.lineno}: {e.message}"
            ) from e

    def render(self, name: str, lang: str, **ctx: Any) -> Prompt:
        """Render prompt ``name`` in ``lang`` (``en``/``zh``) with ``ctx``; a missing variable is an error."""
        if lang not in LANGS:
            raise PromptError(f"unknown prompt language {lang!r}; use one of {', '.join(LANGS)}")
        tmpl = self._template(name, lang)
        try:
            context = tmpl.new_context(ctx)
            # rendering the root fills context.blocks along the {% extends %} chain (most derived first)
            full = "".join(tmpl.root_render_func(context))
            blocks = context.blocks
            if blocks.get("system") or blocks.get("user"):
                system = "".join(blocks["system"][0](context)) if blocks.get("system") else ""
                user = "".join(blocks["user"][0](context)) if blocks.get("user") else ""
            else:
                system, user = "", full
        except jinja2.UndefinedError as e:
            raise PromptError(f"prompt {name}.{lang}: {e.message}; pass it to render_prompt") from e
        except jinja2.TemplateError as e:
            raise PromptError(f"prompt {name}.{lang}: {e}") from e
        return Prompt(system=system.strip(), user=user.strip(), name=name, lang=lang)


_DEFAULT: PromptSet | None = None


def default_prompts() -> PromptSet:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = PromptSet()
    return _DEFAULT


def render_prompt(name: str, lang: str, *, prompts: PromptSet | None = None, **ctx: Any) -> Prompt:
    """Render a prompt from ``prompts`` (default: the built-ins)."""
    return (prompts or default_prompts()).render(name, lang, **ctx)
