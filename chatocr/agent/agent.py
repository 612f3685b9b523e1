"""``ChatOCR``: parse → retrieve → (LLM / VLM / built-in engine) → fields and answers with evidence.

PP-ChatOCRv4's pipeline, with every value mapped back to the page and box it
came from.  The default backend is the built-in engine: no model, no key, fully
offline.  Any OpenAI-compatible LLM (or VLM) is one spec string away:

>>> agent = ChatOCR()                                   # built-in engine
>>> agent = ChatOCR(llm="openai:gpt-4o-mini")           # OpenAI, key from OPENAI_API_KEY
>>> doc = agent.parse("invoice.pdf")                    # cached by content hash
>>> agent.extract(doc, ["Invoice number", "Total"])["Total"].value
>>> agent.ask(doc, "When is payment due?").text
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..document import Block, Document, Line
from ..geometry import union
from ..options import ParserOptions
from ..types import BBox
from .grounding import cell_lines, squash, value_box
from .results import Answer, Evidence, ExtractedField, Extraction

log = logging.getLogger(__name__)

__all__ = ["AgentOptions", "ChatOCR", "ChatSession", "BatchItem"]


class AgentOptions(BaseModel):
    """How the agent parses, retrieves and asks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    llm: str = Field("builtin", description="Backend spec: builtin, openai:MODEL, ernie:MODEL, MODEL@URL, …")
    vlm: str | None = Field(None, description="Optional VLM spec (vlm:MODEL[@URL]) that also reads page images")
    mode: Literal["integration", "llm_only", "vlm_only"] = Field(
        "integration", description="PP-ChatOCRv4's: merge LLM and VLM answers, or use one of them"
    )
    lang: Literal["auto", "en", "zh"] = Field("auto", description="Prompt language")
    min_characters: Annotated[int, Field(ge=0)] = Field(
        3500, description="Documents with less text than this are given whole (no retrieval)"
    )
    top_k: Annotated[int, Field(ge=1)] = Field(5, description="Chunks retrieved per key or question")
    parser: ParserOptions = Field(default_factory=ParserOptions)
    cache: bool = Field(True, description="Keep parsed documents (and their indexes) on disk by content hash")
    cache_dir: str | None = Field(None, description="Where; default $CHATOCR_CACHE_DIR or ~/.cache/chatocr")
    vlm_dpi: Annotated[int, Field(ge=36, le=300)] = Field(150, description="Page images sent to the VLM")


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One file of a batch run: its fields, or why it failed."""

    source: str
    extraction: Extraction | None
    error: str | None = None


class ChatOCR:
    """Talk to documents.  See the module docstring."""

    def __init__(
        self,
        llm: str | object | None = None,
        *,
        options: AgentOptions | None = None,
        parser=None,
        retriever=None,
        embedder=None,
        **option_updates,
    ) -> None:
        opts = options or AgentOptions()
        if isinstance(llm, str):
            option_updates["llm"] = llm
        if option_updates:
            opts = opts.model_copy(update=option_updates)
            AgentOptions.model_validate(opts.model_dump())  # validate the updates
        self.options = opts
        self._client = None if isinstance(llm, str) or llm is None else llm  # an LLMClient given directly
        self._client_made = self._client is not None
        self._vlm = None
        self._parser = parser
        self._embedder = embedder
        self._retriever = retriever
        self._indexes: dict[str, object] = {}
        self._sources: dict[str, object] = {}
        # PyMuPDF must not run on two threads at once (aparse and friends run in worker threads)
        self._render_lock = threading.RLock()
        self._builtin = None

    # -- parts, made on first use --------------------------------------------------------------
    @property
    def parser(self):
        if self._parser is None:
            from ..structure import DocumentParser

            self._parser = DocumentParser(self.options.parser)
        return self._parser

    @property
    def client(self):
        """The LLM client, or None for the built-in engine."""
        if not self._client_made:
            from ..llm.spec import create_llm

            self._client = create_llm(self.options.llm)
            self._client_made = True
        return self._client

    @property
    def vlm(self):
        if self._vlm is None and self.options.vlm:
            from ..llm.spec import create_llm

            self._vlm = create_llm(self.options.vlm)
        return self._vlm

    @property
    def builtin(self):
        if self._builtin is None:
            from .builtin import BuiltinEngine

            self._builtin = BuiltinEngine(embedder=self._embedder)
        return self._builtin

    def _cache(self):
        from ..structure import DocumentCache

        root = Path(self.options.cache_dir) / "documents" if self.options.cache_dir else None
        return DocumentCache(root)

    # -- parsing ---------------------------------------------------------------------------------
    def parse(self, source, *, progress=None) -> Document:
        """Parse a file (path or bytes) or image array; reused from the cache when parsed before."""
        if isinstance(source, Document):
            return source
        with self._render_lock:
            if self.options.cache and not hasattr(source, "shape"):
                doc = self._cache().parse(self.parser, source, progress=progress)
            else:
                doc = self.parser.parse(source, progress=progress)
        if isinstance(source, (str, os.PathLike, bytes)):  # the VLM's page images are rendered from it
            self._sources[doc.id] = source
        return doc

    def _doc(self, doc_or_source) -> Document:
        return doc_or_source if isinstance(doc_or_source, Document) else self.parse(doc_or_source)

    def forget(self, doc_id: str) -> None:
        """Drop what this agent keeps in memory for a document (its index, its source: path or bytes)."""
        self._indexes.pop(doc_id, None)
        self._sources.pop(doc_id, None)

    # -- retrieval -----------------------------------------------------------------------------
    def _index_for(self, doc: Document):
        """The hybrid index of ``doc`` (built once; kept next to the cached document)."""
        idx = self._indexes.get(doc.id)
        if idx is not None:
            return idx
        from ..errors import IndexCorrupt, IndexMismatch, IndexNotFound
        from ..index import HybridIndex

        folder = None
        if self.options.cache and doc.sha256:
            folder = self._cache().folder(doc.sha256) / "index"
            try:
                idx = HybridIndex.load(folder, embedder=self._embedder)
                if doc.id in idx.doc_ids:
                    self._indexes[doc.id] = idx
                    return idx
            except (IndexNotFound, IndexMismatch, IndexCorrupt) as e:
                log.debug("index of %s not reused: %s", doc.id, e)
        idx = HybridIndex(embedder=self._embedder)
        idx.add_document(doc)
        if folder is not None:
            try:
                idx.save(folder)
            except OSError as e:  # a read-only cache must not stop the answer
                log.warning("cannot save the index of %s (%s)", doc.id, e)
        self._indexes[doc.id] = idx
        return idx

    def retrieve(self, doc: Document, query: str, k: int | None = None) -> list[tuple[int, Block]] | None:
        """The blocks most relevant to ``query`` in reading order, or None when the document is short
        enough to be read whole (PP-ChatOCRv4's ``min_characters`` rule)."""
        from ..index import should_retrieve

        if not should_retrieve(doc, self.options.min_characters):
            return None
        k = k or self.options.top_k
        if self._retriever is not None:
            hits = self._retriever.retrieve(query, k=k, doc_ids=[doc.id])
        else:
            hits = self._index_for(doc).retrieve(query, k=k, doc_ids=[doc.id])
        wanted = {bid for h in hits for bid in h.chunk.block_ids}
        return [(p.page, b) for p, b in doc.blocks() if b.id in wanted]

    # -- extraction ------------------------------------------------------------------------------
    def extract(self, doc_or_source, keys: Sequence[str]) -> Extraction:
        """The value of each key, with page, box, confidence and source line; None where the
        document does not say."""
        keys = _clean_keys(keys)
        doc = self._doc(doc_or_source)
        if self.client is None and not (self.options.vlm and self.options.mode == "vlm_only"):
            return self._extract_builtin(doc, keys)
        return self._extract_llm(doc, keys)

    def _extract_builtin(self, doc: Document, keys: list[str]) -> Extraction:
        blocks = self._retrieved(doc, keys) if keys else None
        found = self.builtin.extract(doc, keys, blocks=blocks)
        return Extraction(fields={k: found.get(k) or ExtractedField(key=k) for k in keys})

    def _retrieved(self, doc: Document, queries: Sequence[str]) -> list[tuple[int, Block]] | None:
        """The blocks retrieved for any of ``queries``, in reading order; None for a short document."""
        from ..index import should_retrieve

        if not should_retrieve(doc, self.options.min_characters):
            return None
        seen: dict[str, tuple[int, Block]] = {}
        for q in queries:
            for page, b in self.retrieve(doc, q) or []:
                seen.setdefault(b.id, (page, b))
        order = {b.id: i for i, (_, b) in enumerate(doc.blocks())}
        return sorted(seen.values(), key=lambda pb: order[pb[1].id])

    def _context(self, doc: Document, queries: Sequence[str]) -> tuple[str, str | None, list[tuple[int, Block]]]:
        """(text context, table context, blocks used) for the LLM prompts."""
        blocks = self._retrieved(doc, queries)
        if blocks is None:
            blocks = [(p.page, b) for p, b in doc.blocks()]
        text_parts, table_parts, page = [], [], None
        for pno, b in blocks:
            if pno != page:
                text_parts.append(f"[page {pno}]")
                page = pno
            if b.table is not None:
                table_parts.append(f"[page {pno}]\n" + b.table.to_html())
                text_parts.append(b.table.to_markdown())
            elif b.text:
                text_parts.append(b.text)
        return "\n".join(text_parts), ("\n\n".join(table_parts) or None), blocks

    def _extract_llm(self, doc: Document, keys: list[str]) -> Extraction:
        from ..llm.steps import integrate, llm_extract, vlm_extract

        text, tables, blocks = self._context(doc, keys)
        mode = self.options.mode if self.options.vlm else "llm_only"
        text_vals: dict[str, str | None] = {}
        vlm_vals: dict[str, str | None] = {}
        if mode != "vlm_only" and self.client is not None:
            text_vals = llm_extract(self.client, keys, text, tables, self._lang(doc))
        if mode != "llm_only" and self.vlm is not None:
            vlm_vals = vlm_extract(self.vlm, keys, self._page_images(doc, blocks))
        if mode == "integration" and self.vlm is not None:
            values = integrate(text_vals, vlm_vals, "integration", client=self.client)
        else:
            values = vlm_vals if mode == "vlm_only" else text_vals
        fields = {}
        for key in keys:
            value = values.get(key)
            fields[key] = self._ground(doc, key, value, blocks, method="vlm" if mode == "vlm_only" else "llm")
        return Extraction(fields=fields)

    def _ground(self, doc: Document, key: str, value: str | None, blocks, *, method: str) -> ExtractedField:
        """Map an LLM's value back to the line (or cell) it came from; unsupported values become None."""
        if value is None or not str(value).strip():
            return ExtractedField(key=key, method=method)
        value = str(value).strip()
        hit = locate(doc, value, prefer=[b for _, b in blocks])
        if hit is None:
            log.info("%s: the model's value %r is not in the document; returning None", key, value)
            return ExtractedField(key=key, confidence=0.05, method=method)
        page, bbox, source, score = hit
        return ExtractedField(key=key, value=value, page=page, bbox=bbox, confidence=round(0.6 + 0.4 * score, 4),
                              source=source, method=method)

    def _lang(self, doc: Document) -> str:
        if self.options.lang != "auto":
            return self.options.lang
        from ..llm.prompts import detect_language

        return detect_language(doc.text[:4000])

    def _page_images(self, doc: Document, blocks) -> list[bytes]:
        """PNG images of the pages that hold the retrieved blocks (at most 3), for the VLM."""
        src = self._sources.get(doc.id)
        if src is None:
            from ..errors import InputError

            raise InputError(doc.name or doc.id, "the VLM needs the page images: parse the file with this agent")
        import cv2

        from ..geometry import scaled_warp
        from ..io import iter_pages
        from ..ocr.orientation import level, level_warped, upright

        pages = sorted({p for p, _ in blocks})[:3] or [doc.pages[0].page]
        read = {p.page: p for p in doc.pages}
        # the parser's loader (its password), only those pages, at the VLM's resolution
        loader = self.options.parser.ocr.loader.model_copy(update={"dpi": self.options.vlm_dpi, "pages": pages})
        out = []
        with self._render_lock:
            for img in iter_pages(src, loader):
                image, page = img.image, read.get(img.page)
                if page is not None:  # shown as it was read: a page on its side upright, one askew level
                    image = upright(image, page.orientation)
                    warped = None
                    if page.warp is not None:  # from the page's units to the image's pixels
                        k = image.shape[1] / (page.height if page.orientation in (90, 270) else page.width)
                        warped = level_warped(image, scaled_warp(page.warp, k))
                    if warped is not None:
                        image = warped[0]
                    elif page.skew:
                        image, _ = level(image, page.skew)
                ok, buf = cv2.imencode(".png", image)
                if ok:
                    out.append(buf.tobytes())
        return out

    # -- questions --------------------------------------------------------------------------------
    def ask(self, doc_or_source, question: str, *, history: Sequence[tuple[str, str | None]] = ()) -> Answer:
        """Answer ``question`` from the document; ``Answer.text`` is None when it does not say."""
        doc = self._doc(doc_or_source)
        question = (question or "").strip()
        if not question:
            return Answer(question="", text=None)
        if self.client is None:
            blocks = self.retrieve(doc, question)
            return self.builtin.answer(doc, question, blocks=blocks)
        from ..llm.steps import llm_answer

        text, _, blocks = self._context(doc, [question])
        answer, quote = llm_answer(self.client, question, text, list(history), self._lang(doc))
        if answer is None:
            return Answer(question=question, text=None, method="llm")
        hit = locate(doc, quote or answer, prefer=[b for _, b in blocks]) or (
            locate(doc, answer, prefer=[b for _, b in blocks]) if quote else None
        )
        if hit is None:
            log.info("answer %r has no support in the document; returning None", answer)
            return Answer(question=question, text=None, confidence=0.05, method="llm")
        page, bbox, source, score = hit
        return Answer(question=question, text=answer, evidence=(Evidence(page=page, bbox=bbox, text=source),),
                      confidence=round(0.6 + 0.4 * score, 4), method="llm")

    def chat(self, doc_or_source) -> ChatSession:
        """A multi-turn conversation about one document."""
        return ChatSession(self, self._doc(doc_or_source))

    # -- async and batch --------------------------------------------------------------------------
    async def aparse(self, source) -> Document:
        return await asyncio.to_thread(self.parse, source)

    async def aextract(self, doc_or_source, keys: Sequence[str]) -> Extraction:
        return await asyncio.to_thread(self.extract, doc_or_source, keys)

    async def aask(self, doc_or_source, question: str) -> Answer:
        return await asyncio.to_thread(self.ask, doc_or_source, question)

    def extract_many(self, sources: Iterable, keys: Sequence[str]) -> Iterator[BatchItem]:
        """Extract ``keys`` from each source in turn; a file that fails is reported, not raised."""
        from ..errors import ChatOCRError

        for src in sources:
            try:
                yield BatchItem(str(src), self.extract(src, keys))
            except ChatOCRError as e:
                yield BatchItem(str(src), None, str(e))


_FOLLOW_UP = re.compile(
    r"^(?:and|also|what about|how about|and what about|and the|那么?|还有|那)\s*(?:the\s+)?", re.IGNORECASE
)


_PRONOUN = re.compile(r"(?i)\b(?:it|that|this|them)\b(?=[^a-z]*$|\s+(?:cost|come to|charged)\b)")


def _day_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names a day ("12 Mar", "03/03/2025", "3月12日")."""
    from .builtin.tableqa import _DAY_MONTH, _DAY_MONTH_ZH
    from .builtin.validators import find_dates

    spans = [(sp.start, sp.end) for sp in find_dates(text)]
    spans += [m.span() for rx in (_DAY_MONTH_ZH, _DAY_MONTH) for m in rx.finditer(text)
              if not any(a <= m.start() < b for a, b in spans)]
    return sorted(spans)


def _subject(question: str) -> tuple[int, int] | None:
    """The span of what a question is about: its words that name no field, no column and no way of
    asking ("How much was paid to Octopus Energy?": "Octopus Energy"; "When was the rent paid?":
    "rent"), or None."""
    from .builtin.qa import _OWNER, _STOP, _VOCAB, _stem_match
    from .builtin.tableqa import _ASKING_WORDS, _COLUMNS, _DONE, _ROW_NOUNS

    field_words = set().union(*_VOCAB.values())
    field_words |= {w for words in _COLUMNS.values() for c in words for w in c.split()}
    days = _day_spans(question)
    hits = [m for m in re.finditer(r"[A-Za-z][\w'’&.-]*", question)
            if (w := m.group().lower().strip(".")) not in _STOP and not _stem_match(w, _DONE)
            and w not in _ASKING_WORDS and w not in _ROW_NOUNS
            and w not in field_words and w not in _OWNER and w not in ("out", "in", "up", "off", "back")
            and not any(a <= m.start() < b for a, b in days)]
    return (hits[0].start(), hits[-1].end()) if hits else None


class ChatSession:
    """Questions about one document, with the history kept (``chat.ask("and the tax?")`` works)."""

    def __init__(self, agent: ChatOCR, doc: Document) -> None:
        self.agent = agent
        self.doc = doc
        self.history: list[tuple[str, Answer]] = []

    def ask(self, question: str) -> Answer:
        question = (question or "").strip()
        if self.agent.client is not None:
            hist = [(q, a.text) for q, a in self.history]
            ans = self.agent.ask(self.doc, question, history=hist)
            asked = question
        else:
            ans = Answer(question=question, text=None)
            readings = self._standalone(question)
            asked = readings[0]
            # the follow-up read on the previous question, each reading in turn until one is answered;
            # the history keeps the reading answered, so that a follow-up on a follow-up builds on it
            for q in readings:
                ans = self.agent.ask(self.doc, q)
                if ans.text is not None:
                    ans, asked = ans.model_copy(update={"question": question}), q
                    break
        self.history.append((asked, ans))
        return ans

    def _standalone(self, question: str) -> list[str]:
        """The readings of a follow-up on the previous question, the likeliest first: another day for the
        same question ("What is the balance on 12 Mar?" → "And on 20 Mar?"), "it" for what the previous
        question was about ("When was the rent paid?" → "How much was it?"), another row or thing in its
        place ("How much was paid to Octopus Energy?" → "What about Tesco?"), or another field on its frame
        ("What is the total?" → "And the tax?")."""
        if not self.history:
            return [question]
        from .builtin.tableqa import days_named

        prev = self.history[-1][0]
        out: list[str] = []
        new_days = _day_spans(question)
        old_days = _day_spans(prev)
        if new_days and old_days and days_named(question)[0] != days_named(prev)[0]:
            (a, b), (c, d) = old_days[0], new_days[0]
            out.append(prev[:a] + question[c:d] + prev[b:])
        pronoun = _PRONOUN.search(question)
        subject = _subject(prev)
        if pronoun is not None and subject:
            out.append(question[: pronoun.start()] + "the " + prev[subject[0]:subject[1]] + question[pronoun.end():])
        if _FOLLOW_UP.match(question):
            rest = _FOLLOW_UP.sub("", question).rstrip("?？ ").strip()
            m = re.match(r"^(what(?:'s| is| was| are)|when is|who is|how much is|where is)\b", prev, re.IGNORECASE)
            readings = [f"{m.group(1) if m else 'what is'} the {rest}?"]
            if subject and rest:
                # another row of the table the previous answer came from (or counted); else another field first
                lead = re.match(r"(\w+)\s+", rest)
                if lead and prev[: subject[0]].lower().endswith(f" {lead.group(1).lower()} "):
                    rest = rest[lead.end():]  # "And to Octopus?" after "… paid to Tesco?": the "to" is there
                swap = prev[: subject[0]] + rest + prev[subject[1]:]
                readings.insert(0 if self.history[-1][1].method in ("table", "count") else 1, swap)
            out += readings
        return out or [question]

    def reset(self) -> None:
        self.history.clear()


# -- grounding: a value back to its line and box ------------------------------------------------

def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return re.sub(r"\s+", " ", s).strip()


def _lines_of(doc: Document, prefer: Sequence[Block]) -> Iterator[tuple[int, Block, Line, str, BBox]]:
    preferred = {b.id for b in prefer}
    seq = [(p, b) for p, b in doc.blocks() if b.id in preferred] + [
        (p, b) for p, b in doc.blocks() if b.id not in preferred
    ]
    for page, b in seq:
        if b.table is not None:
            for c, cl in zip(b.table.cells, cell_lines(b.table.cells, b.lines), strict=True):
                if cl is not None:
                    yield page.page, b, cl, c.text, cl.bbox  # the text's extent where its lines are known
        for ln in b.lines:
            yield page.page, b, ln, ln.text, ln.bbox


class _Places:
    """The lines and cells of a document, read once, to place values in (see ``locate``)."""

    def __init__(self, doc: Document, prefer: Sequence[Block]) -> None:
        self.doc = doc
        self.candidates = list(_lines_of(doc, prefer))
        self.squashed = {id(ln): squash(ln.text) for _, _, ln, _, _ in self.candidates}
        self._runs: list[tuple[int, str, BBox]] | None = None
        self._stacks: list[tuple[int, list[Line]]] | None = None

    def exact(self, value: str) -> tuple[int, BBox, str, float] | None:
        """In one line or cell; then spread over lines of one block, then over lines of a page in
        reading order (an address the layout cut into two blocks).  First where the value stands
        whole, not inside a number or a word ("2年" in "2022年")."""
        target = squash(value)
        lines_with = [c for c in self.candidates if target in self.squashed[id(c[2])]]
        spreads = [(pg.page, b.lines) for pg, b in self.doc.blocks()]
        if self._stacks is None:
            self._stacks = [(pg.page, stack) for pg in self.doc.pages for stack in _stacks(pg)]
        spreads += self._stacks
        spreads += [(pg.page, [ln for b in pg.blocks for ln in b.lines]) for pg in self.doc.pages]
        spreads = [(n, lines) for n, lines in spreads if target in "".join(self.squashed[id(ln)] for ln in lines)]
        for whole in (True, False):
            for page, _, ln, text, _box in lines_with:
                hit = value_box([ln], value, whole=whole)
                if hit is not None:
                    return page, hit[0], text, 1.0
            for number, lines in spreads:
                hit = value_box(lines, value, whole=whole)
                if hit is not None:
                    box, used = hit
                    return number, box, "\n".join(u.text for u in used), 0.95
        return None

    def fuzzy(self, value: str) -> tuple[int, BBox, str, float] | None:
        """A match of at least 90 with a line, a cell, or two or three lines of a block (a value
        over rows, misread somewhere); a text holding only part of the value scores by that part."""
        from rapidfuzz import fuzz

        if self._runs is None:
            self._runs = [(page, text, bbox) for page, _, _, text, bbox in self.candidates]
            for pg, b in self.doc.blocks():
                for n in (2, 3):
                    for i in range(len(b.lines) - n + 1):
                        run = b.lines[i : i + n]
                        self._runs.append((pg.page, "\n".join(ln.text for ln in run), union([ln.bbox for ln in run])))
        v = _norm(value)
        best = None
        for page, text, bbox in self._runs:
            t = _norm(text)
            if len(t) < 0.5 * len(v):
                continue
            al = fuzz.partial_ratio_alignment(v, t)
            s = al.score * ((al.src_end - al.src_start) / len(v) if len(t) < len(v) else 1.0)
            if s >= 90 and (best is None or s > 100 * best[3]):
                best = (page, bbox, text, s / 100.0)
        return best


def _stacks(page, depth: int = 4) -> list[list[Line]]:
    """Runs of up to ``depth`` lines one under the other, left-aligned, without a blank line between:
    an address block in a column, whose lines reading order interleaves with the column beside it
    ("Bill To" and "Ship To" side by side)."""
    lines = sorted((ln for b in page.blocks if b.table is None for ln in b.lines), key=lambda ln: ln.bbox[1])
    below: dict[int, Line] = {}
    for i, ln in enumerate(lines):
        h = ln.bbox[3] - ln.bbox[1]
        for nxt in lines[i + 1:]:
            if nxt.bbox[1] > ln.bbox[3] + 1.2 * h:
                break
            if nxt.bbox[1] > ln.bbox[1] + 0.5 * h and abs(nxt.bbox[0] - ln.bbox[0]) < h:
                below[id(ln)] = nxt
                break
    out = []
    for ln in lines:
        run = [ln]
        while len(run) < depth and id(run[-1]) in below:
            run.append(below[id(run[-1])])
        if len(run) > 1:
            out.append(run)
    return out


def locate(doc: Document, value: str, *, prefer: Sequence[Block] = ()) -> tuple[int, BBox, str, float] | None:
    """(page, bbox, source text, score) of where ``value`` is written, or None.

    Exact containment first (ignoring case, spaces and commas); then the value spread over
    consecutive lines of one block (multi-line addresses), then over lines stacked left-aligned in a
    column, then over the lines of a page in reading order; then
    several values joined by ";" (a contract's parties), each found, all on one page; then a
    fuzzy match of at least 90 with a line, a cell or two or three lines of a block.
    The box is the value's own: the words of the line (or lines) that hold it.
    """
    if not squash(value):
        return None
    places = _Places(doc, prefer)
    hit = places.exact(value)
    if hit is not None:
        return hit
    # several values ("Party A; Party B"): every one on the same page, boxed together
    parts = [p for p in re.split("[;；]", value) if squash(p)]
    if parts and parts != [value]:
        found = [h for h in (places.exact(p) or places.fuzzy(p) for p in parts) if h is not None]
        if len(found) == len(parts) and len({h[0] for h in found}) == 1:
            return found[0][0], union([h[1] for h in found]), "\n".join(h[2] for h in found), min(h[3] for h in found)
    return places.fuzzy(value)


def _clean_keys(keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        keys = [keys]
    out = []
    for k in keys:
        k = str(k).strip()
        if k and k not in out:
            out.append(k)
    return out
