"""``BuiltinEngine``: key-information extraction and extractive QA with no model and no key."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Annotated, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ...document import Block, Document
from ...geometry import union
from ...types import BBox
from ..grounding import value_box
from ..results import Answer, Evidence, ExtractedField
from . import heuristics as H
from .extract import (
    Candidate,
    column_total_candidates,
    kv_candidates,
    labelled_candidates,
    party_blocks,
    says_whose,
    table_candidates,
)
from .labels import LabelHit, LabelMatcher, any_label_score, split_label
from .layout import View
from .prose import prose_candidates
from .synonyms import KeySpec, resolve_key
from .validators import repair_confusions

__all__ = ["BuiltinOptions", "BuiltinEngine", "Embedder"]

log = logging.getLogger(__name__)

_Boxed = TypeVar("_Boxed", ExtractedField, Evidence)
_FREE_TEXT = frozenset({"org", "name", "address"})  # value types read as words, not codes

# A callable texts → vectors, or an object with ``embed_documents`` (``chatocr.index.Embedder``).
Embedder = Callable[[list[str]], np.ndarray]


class BuiltinOptions(BaseModel):
    """Thresholds of the built-in engine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_confidence: Annotated[float, Field(ge=0.0, le=1.0, description="A field below this is None")] = 0.35
    min_label: Annotated[float, Field(ge=0.0, le=1.0, description="Weakest label match that counts")] = 0.7
    answer_threshold: Annotated[float, Field(ge=0.0, le=1.0, description="An answer below this is None")] = 0.4
    semantic_threshold: Annotated[
        float, Field(ge=0.0, le=1.0, description="Cosine a label needs with the key when an embedder is given")
    ] = 0.78
    layout_rules: bool = Field(True, description="Use document-level rules (company, address, total, date) "
                                                 "for keys the document does not label")


class BuiltinEngine:
    """Extracts fields and answers questions from a parsed ``Document`` with rules, fuzzy labels and types.

    >>> engine = BuiltinEngine()
    >>> engine.extract(doc, ["company", "date", "total"])["total"].value
    '9.00'
    >>> engine.answer(doc, "When is payment due?").text
    """

    def __init__(self, options: BuiltinOptions | None = None, *, embedder: Embedder | object | None = None) -> None:
        self.options = options or BuiltinOptions()
        self.embedder = embedder
        self._view: tuple[Document, View] | None = None
        self._uprighted: tuple[Document, Document] | None = None
        self._matchers: dict[KeySpec, LabelMatcher] = {}
        self._emb_cache: dict[str, np.ndarray] = {}

    # -- public ----------------------------------------------------------------------------
    def extract(self, doc: Document, keys: Sequence[str], *,
                blocks: Sequence[tuple[int, Block]] | None = None) -> dict[str, ExtractedField]:
        """One ``ExtractedField`` per key, in order; ``value`` None when the document does not say."""
        up = self._upright(doc)
        if up is not doc:  # pages read turned or askew: rows found upright and level, boxes given as stored
            return {k: _on_page(f, doc) for k, f in self.extract(up, keys, blocks=blocks).items()}
        view = self._get_view(doc)
        subset = _subset(blocks)
        out: dict[str, ExtractedField] = {}
        memo: dict[str, Candidate | None] = {}
        for key in keys:
            spec = _key_spec(key)
            cand = self._best(doc, view, spec, subset, memo)
            out[key] = _field(key, cand, view, free_text=spec.vtype in _FREE_TEXT)
            log.debug("%s → %r (%s)", key, out[key].value, out[key].method)
        return out

    def answer(self, doc: Document, question: str, *,
               blocks: Sequence[tuple[int, Block]] | None = None) -> Answer:
        """An extractive answer with evidence, or ``Answer(text=None)`` when the document does not say."""
        from .qa import answer_question

        up = self._upright(doc)
        if up is not doc:
            ans = answer_question(self, up, question, blocks=blocks)
            return ans.model_copy(update={"evidence": tuple(_on_page(e, doc) for e in ans.evidence)})
        return answer_question(self, doc, question, blocks=blocks)

    # -- internals -------------------------------------------------------------------------
    def _upright(self, doc: Document) -> Document:
        """``doc`` with its pages read turned, askew or in perspective (``Page.orientation``,
        ``Page.skew``, ``Page.warp``) upright
        and level (``Page.upright``), as the parser analysed them; ``doc`` itself where none is."""
        if not any(p.orientation or p.skew or p.warp is not None for p in doc.pages):
            return doc
        cached = self._uprighted
        if cached is not None and cached[0] is doc:
            return cached[1]
        up = doc.model_copy(update={"pages": tuple(p.upright() for p in doc.pages)})
        self._uprighted = (doc, up)
        return up

    def _get_view(self, doc: Document) -> View:
        cached = self._view  # read once: another thread may replace it meanwhile
        if cached is not None and cached[0] is doc:
            return cached[1]
        view = View(doc)
        self._view = (doc, view)
        return view

    def _matcher(self, spec: KeySpec) -> LabelMatcher:
        # by the whole spec: a question's "party a address" (the address family, of Party A) and a key of
        # that name made of its words alone have other labels
        m = self._matchers.get(spec)
        if m is None:
            m = self._matchers[spec] = LabelMatcher(spec)
        return m

    def candidates(self, doc: Document, view: View, spec: KeySpec) -> list[Candidate]:
        """Every labelled candidate for ``spec`` (key–value pairs, tables, label lines, semantic labels)."""
        o = self.options
        m = self._matcher(spec)
        cands = labelled_candidates(view, spec, m, min_label=o.min_label)
        pairs = kv_candidates(doc, view, spec, m, min_label=o.min_label) + table_candidates(doc, spec, m,
                                                                                           min_label=o.min_label)
        if spec.owner:
            # a pair whose label does not say whose: not from another party's block of lines ("地址：…"
            # under 甲方 for 乙方's address); with ``owner_only``, from the owner's block alone
            whose, held = resolve_key(spec.owner).family, party_blocks(view)
            pairs = [c for c in pairs if says_whose(c.label, whose) or (
                all(held.get(i) == whose for i in c.lines) if spec.owner_only
                else not any(held.get(i, whose) != whose for i in c.lines))]
        cands += pairs
        cands += prose_candidates(view, spec)
        if self.embedder is not None and spec.fallback is None and not any(c.score >= o.min_confidence for c in cands):
            hits = self._semantic_hits(view, spec)
            if hits:
                cands += labelled_candidates(view, spec, m, min_label=0.0, hits=hits)
        if spec.family == "tax rate":
            cands += H.rate_in_tax_label(view)
        if spec.vtype == "money":
            cands += column_total_candidates(view, spec, m, min_label=o.min_label)
        if spec.family == "buyer address" and not spec.owner:
            # "地址：" in the buyer's part of the form (under "购买方", "Customer:")
            generic = replace(resolve_key("address"), owner="buyer", owner_only=True)
            cands += labelled_candidates(view, generic, self._matcher(generic), min_label=o.min_label)
        if spec.family == "total":
            H.rerank_totals(view, cands)
        return cands

    def _best(self, doc: Document, view: View, spec: KeySpec, subset: set[tuple[int, str]] | None,
              memo: dict[str, Candidate | None]) -> Candidate | None:
        if spec.key in memo:
            return memo[spec.key]
        o = self.options
        if spec.fallback == "parties":  # several values: never one labelled line
            best = self._fallback(doc, view, spec, subset, memo)
            memo[spec.key] = best
            return best
        cands = [c for c in self.candidates(doc, view, spec) if c.score >= o.min_confidence]
        best = _pick(cands, view, subset)
        # the issuer's name and address come from the letterhead: not when another party's are asked
        issuer = not spec.owner or resolve_key(spec.owner).family == "seller" or spec.fallback not in ("company", "address")
        if o.layout_rules and spec.family in ("seller", "buyer") and H.issued_by_buyer(view):
            # a purchase order's letterhead is the buyer's: the buyer by it, the seller by a label alone
            if best is None and spec.family == "buyer":
                best = self._fallback(doc, view, replace(spec, fallback="company"), subset, memo)
            issuer = False
        if best is None and o.layout_rules and spec.family in ("start date", "end date"):
            # no date labelled as the start or the end: the first or last day of a labelled period
            bounds = H.period_bounds(view, end=spec.family == "end date")
            best = _pick([c for c in bounds if c.score >= o.min_confidence], view, subset)
        if best is None and o.layout_rules and H.issuer_by_title(view, spec.key.strip().lower()):
            # "Who is the employer?" on a payslip, "the bank" on a statement: whoever heads the letterhead
            best = self._fallback(doc, view, replace(spec, fallback="company"), subset, memo)
        if best is None and o.layout_rules and spec.family == "buyer" and H.issuer_by_title(view, "bank"):
            # a bank statement's customer is its account holder
            best = self._best(doc, view, _ACCOUNT_HOLDER, subset, memo)
        if best is None and o.layout_rules and spec.fallback and issuer:
            best = self._fallback(doc, view, spec, subset, memo)
        elif best is not None and o.layout_rules and spec.fallback == "address" and issuer:
            # "address" is the issuer's: the block under its name beats a labelled address far below it
            # (a customer's or a delivery address)
            layout = self._fallback(doc, view, spec, subset, memo)
            page = view.pages.get(best.page)
            if (layout is not None and page is not None and layout.score >= 0.7 and best.page == layout.page
                    and best.bbox[1] > layout.bbox[3] + 6 * page.line_h):
                best = layout
        memo[spec.key] = best
        return best

    def _fallback(self, doc: Document, view: View, spec: KeySpec, subset, memo) -> Candidate | None:
        o = self.options
        fb = spec.fallback
        if fb == "company":
            cands = H.company_candidates(view)
        elif fb == "address":
            company = self._best(doc, view, resolve_key("company"), None, memo)
            if company is not None and company.method != "layout":
                company = None if not company.lines else company
            cands = H.address_candidates(view, company)
        elif fb in ("buyer_address", "shipping_address"):
            # the block under "Bill To" / "Ship to": the name, then the address
            m = self._matcher(resolve_key("buyer" if fb == "buyer_address" else "recipient"))
            cands = []
            for ln in view.lines:
                hit = split_label(ln.text, m)
                if hit is not None and hit.score >= 0.9 and (hit.colon or not hit.rest.strip()):
                    cands += H.block_address(view, ln, name_after=bool(hit.rest.strip()))
        elif fb in ("email", "url"):
            cands = H.issuers_contact(view, fb)
        elif fb == "total":
            cands = H.total_fallback(view)
        elif fb == "first_date":
            cands = H.first_date(view, spec)
        elif fb == "parties":
            def one(k: str) -> Candidate | None:
                return self._best(doc, view, resolve_key(k), subset, memo)
            cands = H.parties_candidates(view, one)
        else:
            cands = []
        cands = [c for c in cands if c.score >= o.min_confidence]
        return _pick(cands, view, subset)

    def _semantic_hits(self, view: View, spec: KeySpec) -> dict[int, LabelHit]:
        """Label-like pieces of lines whose embedding is close to the key's."""
        assert self.embedder is not None
        pieces: list[tuple[int, str, str, int, bool]] = []
        for ln in view.lines:
            m = re.search(r"[:：]", ln.text)
            if m is not None and 0 < m.start() <= 40:
                pieces.append((ln.idx, ln.text[:m.start()], ln.text[m.end():], m.end(), True))
            elif len(ln.text.split()) <= 5 and not any(ch.isdigit() for ch in ln.text):
                pieces.append((ln.idx, ln.text, "", len(ln.text), False))
        # a piece that is lexically another field's label names that field, whatever the embedder says
        pieces = [p for p in pieces if any_label_score(p[1])[1] in ("", spec.family) or any_label_score(p[1])[0] < 0.9]
        if not pieces:
            return {}
        texts = [p[1].strip() for p in pieces]
        todo = [t for t in {*texts, spec.key} if t not in self._emb_cache]
        if todo:
            embed = getattr(self.embedder, "embed_documents", self.embedder)  # an index Embedder, or a callable
            vecs = np.asarray(embed(todo), dtype=np.float32)
            for t, v in zip(todo, vecs, strict=True):
                self._emb_cache[t] = v / (np.linalg.norm(v) or 1.0)
        kv = self._emb_cache[spec.key]
        thr = self.options.semantic_threshold
        cos = {t: float(self._emb_cache[t] @ kv) for t in set(texts)}
        ranked = sorted(cos.items(), key=lambda x: -x[1])
        if not ranked or ranked[0][1] < thr:
            return {}
        # one label, clearly closer than any other: a model that cannot tell the labels apart (an English
        # model on Chinese text) finds nothing rather than the wrong field
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 0.05:
            return {}
        best_text, c = ranked[0]
        hits: dict[int, LabelHit] = {}
        for (idx, label, rest, start, colon), t in zip(pieces, texts, strict=True):
            if t == best_text:
                hits[idx] = LabelHit(0.7 + 0.25 * (c - thr) / max(1e-6, 1 - thr), label, rest, start, colon)
        return hits


def _key_spec(key: str) -> KeySpec:
    """How to find ``key``: its family, or, for a key that names a party and one of its fields ("乙方地址",
    "Party B phone"), that field of that party, as a question asks it."""
    spec = resolve_key(key)
    if spec.family == "custom":
        from .qa import question_key

        owned, _ = question_key(key)
        if owned is not None and owned.owner:
            return replace(owned, key=key)
    return spec


def _on_page(found: _Boxed, doc: Document) -> _Boxed:
    """A field or a piece of evidence found on ``doc`` upright (``BuiltinEngine._upright``) with its
    box on the page as stored."""
    if found.page is None or found.bbox is None:
        return found
    page = next((p for p in doc.pages if p.page == found.page), None)
    return found.model_copy(update={"bbox": page.box_on_page(found.bbox)}) if page is not None else found


def _subset(blocks: Sequence[tuple[int, Block]] | None) -> set[tuple[int, str]] | None:
    if not blocks:
        return None
    return {(int(p), b.id) for p, b in blocks}


def _in_subset(c: Candidate, view: View, subset: set[tuple[int, str]]) -> bool:
    if c.lines:
        return any((view.lines[i].page, view.lines[i].block) in subset for i in c.lines)
    # kv / table candidates: the block that holds the value's box
    for (p, bid) in subset:
        if p != c.page:
            continue
        for pg, b in view.doc.blocks():
            if pg.page == p and b.id == bid and _overlaps(b.bbox, c.bbox):
                return True
    return False


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


_ACCOUNT_HOLDER = KeySpec(key="account holder", family="custom", vtype="name",
                          labels=(("account holder", 1.0), ("account name", 0.9), ("name of account holder", 1.0),
                                  ("户名", 1.0), ("账户名称", 1.0)))


def _pick(cands: list[Candidate], view: View, subset) -> Candidate | None:
    if not cands:
        return None
    if subset is not None:
        inside = [c for c in cands if _in_subset(c, view, subset)]
        if inside:
            cands = inside
    return max(cands, key=lambda c: (c.score, -c.bbox[1]))


def _field(key: str, c: Candidate | None, view: View | None = None, *, free_text: bool = False) -> ExtractedField:
    if c is None:
        return ExtractedField(key=key, value=None, confidence=0.0, method="none")
    # names and addresses lose the digit/letter confusions of OCR; ``source`` keeps the line as read
    value = repair_confusions(c.value) if free_text else c.value
    return ExtractedField(key=key, value=value, page=c.page, bbox=tuple(float(v) for v in _value_box(c, view)),
                          confidence=round(min(0.99, max(0.0, c.score)), 4), source=c.source, method=c.method)


def _value_box(c: Candidate, view: View | None) -> BBox:
    """The value's own box: the words of its lines that hold it as read (the candidate's box, its
    line or cell, when they do not)."""
    if view is None or not c.lines:
        return c.bbox
    lines = [view.lines[i].line for i in sorted(c.lines) if view.lines[i].page == c.page]
    lines = [ln for ln in lines if ln is not None]
    hit = value_box(lines, c.value)
    if hit is not None:
        return hit[0]
    # a value joined from pieces ("Party A; Party B"): every piece's box
    hits = [value_box(lines, part) for part in c.value.split(";")] if ";" in c.value else [None]
    if all(h is not None for h in hits):
        return union([h[0] for h in hits])  # type: ignore[index]
    return c.bbox
