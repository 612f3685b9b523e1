"""``chatocr extract DIR_OR_GLOB -k … --out results.csv|jsonl``: many files, one row each.

Files run in parallel worker processes (each loads the models once), parsed
documents come from the on-disk cache when a file was seen before, and a file
that fails is reported at the end with its reason instead of stopping the run.
"""

from __future__ import annotations

import csv
import glob
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .errors import InputError
from .io import detect_format

__all__ = ["find_files", "run_batch"]

_AGENT = None


def find_files(pattern: str) -> list[Path]:
    """The documents a folder (recursively) or a glob names, by content, in sorted order."""
    p = Path(pattern)
    if p.is_dir():
        candidates = [q for q in p.rglob("*") if q.is_file()]
    else:
        candidates = [Path(q) for q in glob.glob(pattern, recursive=True) if Path(q).is_file()]
    out = []
    for q in sorted(candidates):
        try:
            with q.open("rb") as f:
                if detect_format(f.read(1024)) is not None:
                    out.append(q)
        except OSError:
            continue
    return out


def _init(llm: str | None) -> None:
    global _AGENT
    from .agent import ChatOCR

    _AGENT = ChatOCR(llm) if llm else ChatOCR()


def _one(path: str, keys: list[str]) -> tuple[str, dict | None, str | None]:
    from .errors import ChatOCRError

    try:
        res = _AGENT.extract(path, keys)  # type: ignore[union-attr]
        return path, res.to_dict()["fields"], None
    except ChatOCRError as e:
        return path, None, str(e)
    except Exception as e:  # one bad file must not end the run; its reason is reported
        return path, None, f"{path}: {type(e).__name__}: {e}"


def _results(files: list[Path], keys: list[str], llm: str | None, workers: int) -> Iterator[tuple]:
    if workers <= 1:
        _init(llm)
        for f in files:
            yield _one(str(f), keys)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(llm,)) as pool:
        futures = [pool.submit(_one, str(f), keys) for f in files]
        for fut in as_completed(futures):
            yield fut.result()


def run_batch(pattern: str, keys: list[str], out: Path | None, *, llm: str | None = None, workers: int = 1) -> int:
    """Run the batch; returns the exit code (0: all files done, 1: some failed, 2: nothing to do)."""
    import click

    files = find_files(pattern)
    if not files:
        raise InputError(pattern, "no PDF or image files found there")
    if out is None:
        raise InputError(pattern, "a folder or glob needs --out results.csv or results.jsonl")
    if out.suffix.lower() not in (".csv", ".jsonl"):
        raise InputError(str(out), "--out must end in .csv or .jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    rows: dict[str, tuple[dict | None, str | None]] = {}
    show = sys.stderr.isatty()
    if show:
        from rich.progress import Progress

        progress = Progress(transient=True)
        progress.start()
        task = progress.add_task("extracting", total=len(files))
    try:
        for path, fields, error in _results(files, keys, llm, workers):
            rows[path] = (fields, error)
            if error:
                failures.append((path, error))
            if show:
                progress.update(task, advance=1)
    finally:
        if show:
            progress.stop()
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        if out.suffix.lower() == ".jsonl":
            for path in map(str, files):
                fields, error = rows[path]
                f.write(json.dumps({"file": path, "fields": fields, "error": error}, ensure_ascii=False) + "\n")
        else:
            w = csv.writer(f)
            w.writerow(["file", *keys, *(f"{k} page" for k in keys), "error"])
            for path in map(str, files):
                fields, error = rows[path]
                fields = fields or {}
                w.writerow([path, *((fields.get(k) or {}).get("value") or "" for k in keys),
                            *((fields.get(k) or {}).get("page") or "" for k in keys), error or ""])
    tmp.replace(out)
    click.echo(f"{len(files) - len(failures)} of {len(files)} files done → {out}", err=True)
    for path, error in failures:
        click.echo(f"failed: {error if path in error else f'{path}: {error}'}", err=True)
    return 1 if failures else 0
