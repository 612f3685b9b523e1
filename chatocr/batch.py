"""Many files in one run: ``chatocr ocr|parse|extract DIR_OR_GLOB …``.

Files run in order, in parallel worker processes when asked (each loads the
models once and gets its share of the cores), parsed documents come from the
on-disk cache when a file was seen before, and a file that fails is reported at
the end with its reason instead of stopping the run. Output files are written
under a temporary name and renamed when complete, so an interrupted run never
leaves a truncated result behind; with ``resume`` a run keeps the results an
earlier (or interrupted) run left in the output and reads only the other files.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ._pool import start_method
from .errors import InputError
from .io import detect_format

__all__ = ["find_files", "is_batch", "read_pages", "run_batch", "run_ocr_batch", "run_parse_batch", "worker_threads"]

_WORKER: Callable[[str], object] | None = None


def find_files(pattern: str) -> list[Path]:
    """The documents a folder (recursively) or a glob names, by content, in sorted order."""
    p = Path(pattern)
    if p.is_dir():
        candidates = [q for q in p.rglob("*") if q.is_file()]
    elif p.is_file():  # one file, even with glob characters in its name
        candidates = [p]
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


def is_batch(file: Path) -> bool:
    """Whether ``file`` names many documents: a folder, or a glob that is not itself a file's name."""
    return file.is_dir() or (any(c in str(file) for c in "*?[") and not file.exists())


def worker_threads(workers: int) -> int:
    """Inference threads for each of ``workers`` processes: the cores shared out, at most 4 each."""
    return max(1, min(4, (os.cpu_count() or 1) // max(1, workers)))


def _init(factory: Callable[..., Callable[[str], object]], args: tuple) -> None:
    global _WORKER
    _WORKER = factory(*args)


def _one(path: str) -> tuple[str, object, str | None]:
    from .errors import ChatOCRError

    try:
        return path, _WORKER(path), None  # type: ignore[misc]
    except ChatOCRError as e:
        return path, None, str(e)
    except Exception as e:  # one bad file must not end the run; its reason is reported
        return path, None, f"{path}: {type(e).__name__}: {e}"


def _results(files: list[Path], factory: Callable, args: tuple, workers: int) -> Iterator[tuple]:
    """``(path, result, error)`` for every file, in the order of ``files``."""
    paths = [str(f) for f in files]
    if not paths:  # nothing left to run: no models loaded
        return
    global _WORKER
    if workers <= 1:
        _init(factory, args)
        try:
            yield from map(_one, paths)
        finally:
            _WORKER = None  # the models go when the run ends
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(factory, args),
                             mp_context=start_method()) as pool:
        yield from pool.map(_one, paths)


def _drive(files: list[Path], factory: Callable, args: tuple, workers: int, label: str,
           take: Callable[[str, object, str | None], None]) -> list[tuple[str, str]]:
    """Run every file, handing each result to ``take`` in order; returns the failures."""
    failures: list[tuple[str, str]] = []
    show = sys.stderr.isatty()
    if show:
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task(label, total=len(files))
    try:
        for path, result, error in _results(files, factory, args, workers):
            if error:
                failures.append((path, error))
            take(path, result, error)
            if show:
                progress.update(task, advance=1)
    finally:
        if show:
            progress.stop()
    return failures


def _report(files: list[Path], failures: list[tuple[str, str]], where: str, kept: int = 0) -> int:
    import click

    earlier = f" ({kept} kept from an earlier run)" if kept else ""
    click.echo(f"{len(files) - len(failures)} of {len(files)} files done{where}{earlier}", err=True)
    for path, error in failures:
        click.echo(f"failed: {error if path in error else f'{path}: {error}'}", err=True)
    return 1 if failures else 0


def _files(pattern: str) -> list[Path]:
    files = find_files(pattern)
    if not files:
        raise InputError(pattern, "no PDF or image files found there")
    return files


def _earlier_rows(out: Path, files: list[Path], header: list[str] | None = None) -> dict[str, object]:
    """The rows of an earlier run to keep, by file: those of ``out`` and of the ``.part`` file an
    interrupted run left beside it for a file of ``files`` read without error (the newer where
    both hold one).  JSON lines come as their text; CSV rows (``header`` given: the columns, the
    file first and the error last; a file with other columns gives none) as their cells."""
    names = {str(f) for f in files}
    kept: dict[str, object] = {}
    for source in (out, out.with_name(out.name + ".part")):
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if header is None:
            rows = [(_json_done(line), line) for line in text.splitlines(keepends=True)
                    if line.endswith("\n")]  # not the last line of a run cut short
        else:
            cells = list(csv.reader(io.StringIO(text, newline="")))  # a value may hold a line break
            if not text.endswith("\n") and cells:
                cells.pop()  # a run cut short
            if not cells or cells[0] != header:
                continue
            rows = [(row[0] if len(row) == len(header) and not row[-1] else None, row) for row in cells[1:]]
        kept.update((name, row) for name, row in rows if name in names)
    return kept


def _json_done(line: str) -> str | None:
    try:
        row = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(row, dict) and row.get("error") is None and isinstance(row.get("file"), str)
    return row["file"] if ok else None


def _in_order(files: list[Path], kept: dict[str, object], write: Callable[[object], object],
              take: Callable[[str, object, str | None], None]):
    """``take`` wrapped so that the kept rows of the files before each file read are written first,
    keeping the order of ``files``; and the function that writes the kept rows left at the end."""
    names = [str(f) for f in files]
    at = 0

    def upto(path: str | None) -> None:
        nonlocal at
        while at < len(names) and names[at] != path:
            if names[at] in kept:
                write(kept[names[at]])
            at += 1
        at += 1

    def wrapped(path: str, result, error: str | None) -> None:
        upto(path)
        take(path, result, error)
    return wrapped, lambda: upto(None)


# -- extract ----------------------------------------------------------------------------


def _extractor(llm: str | None, keys: list[str], threads: int) -> Callable[[str], dict]:
    from .agent import AgentOptions, ChatOCR
    from .options import EngineOptions, OCROptions, ParserOptions

    options = AgentOptions(parser=ParserOptions(ocr=OCROptions(engine=EngineOptions(threads=threads))))
    agent = ChatOCR(llm, options=options)
    return lambda path: agent.extract(path, keys).to_dict()["fields"]


def run_batch(pattern: str, keys: list[str], out: Path | None, *, llm: str | None = None, workers: int = 1,
              resume: bool = False) -> int:
    """Extract ``keys`` from every file; returns the exit code (0: all files done, 1: some failed).
    ``resume`` keeps the rows without error that ``out`` (or the ``.part`` file of a run cut
    short) holds for these files and these keys, and reads only the others.

    A pattern that names no document, or a missing or wrong ``--out``, raises ``InputError``.
    """
    files = _files(pattern)
    if out is None:
        raise InputError(pattern, "a folder or glob needs --out results.csv or results.jsonl")
    if out.suffix.lower() not in (".csv", ".jsonl"):
        raise InputError(str(out), "--out must end in .csv or .jsonl")
    jsonl = out.suffix.lower() == ".jsonl"
    header = ["file", *keys, *(f"{k} page" for k in keys), "error"]
    kept = _earlier_rows(out, files, None if jsonl else header) if resume else {}
    if jsonl and kept:  # rows for other keys are read again
        kept = {k: line for k, line in kept.items() if set(json.loads(line)["fields"] or {}) == set(keys)}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        if jsonl:
            write: Callable[[object], object] = f.write

            def take(path: str, fields, error: str | None) -> None:
                f.write(json.dumps({"file": path, "fields": fields, "error": error}, ensure_ascii=False) + "\n")
                f.flush()  # a run cut short leaves every row done in the .part file
        else:
            w = csv.writer(f)
            w.writerow(header)
            write = w.writerow

            def take(path: str, fields, error: str | None) -> None:
                fields = fields or {}
                w.writerow([path, *((fields.get(k) or {}).get("value") or "" for k in keys),
                            *((fields.get(k) or {}).get("page") or "" for k in keys), error or ""])
                f.flush()
        pending = [x for x in files if str(x) not in kept]
        take, rest = _in_order(files, kept, write, take)
        failures = _drive(pending, _extractor, (llm, keys, worker_threads(workers)), workers, "extracting", take)
        rest()
    tmp.replace(out)
    return _report(files, failures, f" → {out}", len(kept))


# -- ocr --------------------------------------------------------------------------------


def _reader(options, pdf_targets: dict[str, Path] | None = None) -> Callable[[str], list]:
    """Reads a file's pages; with ``pdf_targets``, also writes its searchable PDF there."""
    from .io import iter_pages
    from .ocr import OCREngine

    engine = OCREngine(options)

    def read(path: str) -> list:
        if not pdf_targets:
            return [engine.read_page(image) for image in iter_pages(Path(path), options.loader)]
        from .io.searchable import SearchablePDF

        pdf, pages = SearchablePDF(Path(path), options.loader), []
        for image in iter_pages(Path(path), options.loader):
            pages.append(engine.read_page(image))
            pdf.add(image, pages[-1])
        pdf.save(pdf_targets[path])
        return pages
    return read


def _page_reader(options) -> Callable[[tuple[str, tuple[int, ...]]], object]:
    """Reads some pages of a file: ``(path, page numbers)`` → the ``OCRPage``s read and the
    ``ChatOCRError`` that stopped the run, if one did."""
    from ._pool import until_failure
    from .io import iter_pages
    from .ocr import OCREngine

    engine = OCREngine(options)

    def read(task: tuple[str, tuple[int, ...]]):
        path, numbers = task
        loader = options.loader.model_copy(update={"pages": numbers})
        return until_failure(lambda: (engine.read_page(image) for image in iter_pages(Path(path), loader)))
    return read


def _page_task(task: tuple[str, tuple[int, ...]]):
    return _WORKER(task)  # type: ignore[misc]


def read_pages(path: Path, numbers: list[int], options, workers: int) -> Iterator:
    """The ``OCRPage``s of pages ``numbers`` (1-based, in this order) of the file at ``path``,
    read by ``workers`` processes side by side, each with the models loaded once and
    ``options.engine.threads`` threads; they come in order, each as soon as it and those
    before it are read.  A page that cannot be read raises its error here, typed, after the
    pages before it."""
    from ._pool import in_order, page_runs

    runs = [(str(path), run) for run in page_runs(numbers, workers)]
    yield from in_order(workers, _init, (_page_reader, (options,)), _page_task, runs)


def _targets(files: list[Path], root: Path, out: Path, suffix: str) -> dict[str, Path]:
    """One output file per input under ``out``, mirroring the folders below ``root``.

    ``scan.pdf`` gives ``scan.txt``; where two inputs would share a name (``a.pdf`` and
    ``a.png``), each keeps its own extension (``a.pdf.txt``, ``a.png.txt``).
    """
    rel = {str(f): Path(os.path.abspath(f)).relative_to(root) for f in files}
    plain = {k: r.with_suffix(suffix) for k, r in rel.items()}
    taken: dict[Path, int] = {}
    for p in plain.values():
        taken[p] = taken.get(p, 0) + 1
    return {k: out / (plain[k] if taken[plain[k]] == 1 else r.with_name(r.name + suffix)) for k, r in rel.items()}


def _write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)


def page_text(page, options=None) -> str:
    """What ``chatocr ocr`` prints for a page: its text, or with recognition off (``options``,
    ``OCROptions``) its boxes."""
    return page.boxes_text if options is not None and not options.rec.enabled else page.text


def run_ocr_batch(pattern: str, out: Path | None, options, *, as_json: bool = False, words: bool = False,
                  workers: int = 1, resume: bool = False, pdf: Path | None = None) -> int:
    """Read every file that ``pattern`` (a folder or a glob) names; returns the exit code.

    ``out`` is where the results go: ``None`` prints them (``--json``: one JSON object
    per file and line; else each file's text under a ``==> FILE <==`` header), a
    ``.jsonl`` path gets one row per file, and any other path is a folder that gets
    one ``.txt`` (``--json``: ``.json``) per file, in the input's folder layout.
    A row is ``{"file": …, "pages": [...], "error": …}`` with the pages of ``chatocr ocr
    FILE --json``, and a ``.json`` file is what that command prints.  ``resume`` keeps what
    ``out`` holds already: a file's output written after the file last changed, or its row
    without error (in the ``.jsonl``, or the ``.part`` file of a run cut short).  ``pdf`` is a
    folder that gets each file's searchable PDF (``io.searchable``), in the input's folder
    layout; resumed, a file is read again where its PDF is missing or older than it.
    """
    import click

    files = _files(pattern)
    if out is not None and out.suffix.lower() != ".jsonl" and out.exists() and not out.is_dir():
        raise InputError(str(out), "--out must be a folder or end in .jsonl")
    if pdf is not None and pdf.exists() and not pdf.is_dir():
        raise InputError(str(pdf), "--pdf must be a folder for a folder or glob")
    pdf_targets = None if pdf is None else _targets(files, _root(pattern, files), pdf, ".pdf")
    factory_args = (options, pdf_targets)
    if resume and pdf_targets:  # a file without its PDF is read again, whatever the text output holds
        stale = {str(f) for f in files if not _newer(pdf_targets[str(f)], f)}
    else:
        stale = set()

    def row(path: str, pages, error: str | None) -> str:
        pages = None if pages is None else [p.to_dict(words=words) for p in pages]
        return json.dumps({"file": path, "pages": pages, "error": error}, ensure_ascii=False)

    def text(pages) -> str:  # as ``chatocr ocr FILE`` prints it: pages apart by a form feed
        return "".join(("\f" if i else "") + page_text(p, options) + "\n" for i, p in enumerate(pages))

    if out is None:
        first = True
        if resume:  # only the PDFs are kept
            files_read = [f for f in files if str(f) in stale]
            skipped = len(files) - len(files_read)
        else:
            files_read, skipped = files, 0

        def take(path: str, pages, error: str | None) -> None:
            nonlocal first
            if as_json:
                click.echo(row(path, pages, error))
            elif error is None:
                click.echo(("" if first else "\n") + f"==> {path} <==\n" + text(pages), nl=False)
                first = False
        failures = _drive(files_read, _reader, factory_args, workers, "reading", take)
        return _report(files, failures, "" if pdf is None else f" → {pdf}/", skipped)
    if out.suffix.lower() == ".jsonl":
        kept = _earlier_rows(out, files) if resume else {}
        kept = {k: v for k, v in kept.items() if k not in stale}
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        with tmp.open("w", encoding="utf-8") as f:
            def write_row(path: str, pages, error: str | None) -> None:
                f.write(row(path, pages, error) + "\n")
                f.flush()  # a run cut short leaves every row done in the .part file
            take, rest = _in_order(files, kept, f.write, write_row)
            failures = _drive([x for x in files if str(x) not in kept], _reader, factory_args, workers, "reading",
                              take)
            rest()
        tmp.replace(out)
        return _report(files, failures, f" → {out}", len(kept))

    def render(pages) -> str:
        if as_json:  # what ``chatocr ocr FILE --json`` prints
            return json.dumps({"pages": [p.to_dict(words=words) for p in pages]}, ensure_ascii=False) + "\n"
        return text(pages)
    return _to_folder(files, pattern, out, ".json" if as_json else ".txt", _reader, factory_args, workers,
                      "reading", render, resume, stale)


def _to_folder(files: list[Path], pattern: str, out: Path, suffix: str, factory: Callable, args: tuple,
               workers: int, label: str, render: Callable[[object], str], resume: bool = False,
               stale: frozenset[str] | set[str] = frozenset()) -> int:
    """Run the files, writing each one's ``render``ed result into ``out`` in the input's folder layout;
    ``resume``: not those whose output is there already, written after the file last changed
    (unless ``stale``)."""
    targets = _targets(files, _root(pattern, files), out, suffix)
    done = {str(f) for f in files if resume and str(f) not in stale and _newer(targets[str(f)], f)}

    def write(path: str, result, error: str | None) -> None:
        if error is None:
            _write(targets[path], render(result))
    failures = _drive([f for f in files if str(f) not in done], factory, args, workers, label, write)
    return _report(files, failures, f" → {out}/", len(done))


def _root(pattern: str, files: list[Path]) -> Path:
    """The folder the outputs' layout starts from: the folder named, or the one the glob's files share."""
    p = Path(pattern)
    return Path(os.path.abspath(p if p.is_dir() else os.path.commonpath([os.path.abspath(f.parent) for f in files])))


def _newer(target: Path, source: Path) -> bool:
    try:
        return target.stat().st_mtime >= source.stat().st_mtime
    except OSError:
        return False


# -- parse ------------------------------------------------------------------------------


def _parser(options, markdown: bool, words: bool, cache: bool,
            pdf_targets: dict[str, Path] | None = None) -> Callable[[str], str]:
    """Parses a file; with ``pdf_targets``, also writes its searchable PDF there (from the parse)."""
    from .structure import DocumentCache, DocumentParser

    parser = DocumentParser(options)
    store = DocumentCache() if cache else None

    def parse(path: str) -> str:
        doc = store.parse(parser, Path(path)) if store else parser.parse(Path(path))
        if pdf_targets:
            from .io.searchable import SearchablePDF

            SearchablePDF.of_document(Path(path), doc.pages, options.ocr.loader).save(pdf_targets[path])
        return doc.to_markdown() if markdown else doc.to_json(indent=None, words=words) + "\n"
    return parse


def run_parse_batch(pattern: str, out: Path | None, options, *, markdown: bool = True, words: bool = False,
                    cache: bool = True, workers: int = 1, resume: bool = False, pdf: Path | None = None) -> int:
    """Parse every file that ``pattern`` names into ``out``: one ``.md`` (or ``.json``, what
    ``chatocr parse FILE --format json`` prints) per file, in the input's folder layout;
    returns the exit code.  ``resume``: not the files whose output was written after they last
    changed.  ``pdf`` is a folder that gets each file's searchable PDF, made from its parse, in the
    input's folder layout; resumed, a file is parsed again where its PDF is missing or older than it."""
    files = _files(pattern)
    if out is None:
        raise InputError(pattern, "a folder or glob needs --out FOLDER")
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "--out must be a folder")
    if pdf is not None and pdf.exists() and not pdf.is_dir():
        raise InputError(str(pdf), "--pdf must be a folder for a folder or glob")
    pdf_targets = None if pdf is None else _targets(files, _root(pattern, files), pdf, ".pdf")
    stale = {str(f) for f in files if not _newer(pdf_targets[str(f)], f)} if resume and pdf_targets else set()
    return _to_folder(files, pattern, out, ".md" if markdown else ".json", _parser,
                      (options, markdown, words, cache, pdf_targets), workers, "parsing", str, resume, stale)
