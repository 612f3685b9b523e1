"""Yes/no questions: "Does the agreement renew automatically?", "Is there a late payment fee?", "合同是否自动续期？".

- A question whether the document has a field ("Is there a due date?", "Does the contract include a
  liability cap?") is answered "Yes" where the field is found, with the field's evidence.
- Otherwise the first sentence that says every content word of the question (by stem, as
  ``qa._from_sentences``) answers it: "Yes", or "No" where a negation stands before what it says
  ("shall not renew automatically"; "不自动续期").  The sentence is the evidence.
- Nothing found → ``None``: the document does not say, and "no" is never assumed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...document import Block, Document
from ..results import Answer, Evidence
from . import validators as V

if TYPE_CHECKING:
    from .engine import BuiltinEngine

__all__ = ["is_yes_no", "answer_yes_no"]

_AUX = re.compile(r"(?i)^\s*(?:does|do|did|is|are|was|were|can|could|will|would|shall|should|has|have|had|must|may)\b"
                  r"(?!\s+you\b)(?!.*\b(?:what|which|who|whom|whose|when|where|how|why)\b)")  # "Can you give me …" asks for a value
_ZH_ASK = re.compile(r"是否|有没有|有无|能否|可否|会不会|是不是|吗\s*[？?]?\s*$")


def is_yes_no(question: str) -> bool:
    """Whether ``question`` asks for a yes or a no rather than a value."""
    return bool(_AUX.match(question) or _ZH_ASK.search(question))


# "Is there a late fee?", "Does the contract include a liability cap?": whether a field is there
_EXISTS = re.compile(
    r"(?i)^\s*(?:(?:is|are|was|were)\s+there|(?:does|do|did)\s+(?:the\s+|this\s+|it\s*)?(?:\w+\s+)?"
    r"(?:have|include|contain|mention|specify|state|give|show|list|set\s+out))\s+"
    r"(?:an?\s+|any\s+|the\s+)?(?P<what>[^?]+?)\s*\??\s*$")
_ZH_EXISTS = re.compile(r"(?:有没有|是否(?:有|约定了?|规定了?|写明了?|载明了?|包含)|有无)(?P<what>[^？?吗]+)"
                        r"|有(?P<what2>[^？?吗]+)吗")
# words that name a part of a contract, not what it says ("a non-compete clause")
_PARTS = {"clause", "clauses", "provision", "provisions", "section", "article", "requirement", "mention"}

# a negation before what the sentence says; "no later than", "not less than" bound a value instead
_NEGATION = re.compile(r"(?i)\b(?:not|never|neither|nor|cannot|can't|won't|shan't|isn't|aren't|doesn't|don't|"
                       r"didn't|no)\b(?!\s*(?:later|earlier|less|more|fewer|greater|sooner|exceed|\.|\d))")
# a question of permission, and how a sentence gives it or withholds it
_PERMISSION = {"allowed", "permitted", "allow", "permit", "authorised", "authorized"}
_MODAL = re.compile(r"(?i)\b(?:may|can|cannot|shall|must|allowed|permitted|prohibited|forbidden|not)\b")
_FORBIDDEN = re.compile(r"(?i)\b(?:prohibited|forbidden|banned)\b")
_ZH_NEGATION = re.compile(r"不得|不会|不予|不再|不|无|未|没有|非")
_ZH_QUESTION_WORDS = re.compile(r"是否|有没有|有无|能否|可否|会不会|是不是|吗|会|能|可以|是|有|的|[？?，,。\s]")


def answer_yes_no(engine: BuiltinEngine, doc: Document, question: str, *,
                  blocks: Sequence[tuple[int, Block]] | None = None) -> Answer | None:
    """The answer to a yes/no question, or None when it is not one the engine can answer this way."""
    found = _field_exists(engine, doc, question, blocks)
    if found is not None:
        return found
    return _from_sentence(engine, doc, question, blocks)


def _field_exists(engine: BuiltinEngine, doc: Document, question: str, blocks) -> Answer | None:
    from .engine import _field, _subset
    from .qa import question_key

    m = _EXISTS.match(question) or _ZH_EXISTS.search(question)
    if m is None:
        return None
    what = next(g for g in m.groups() if g)
    spec, _ = question_key(f"{what}是什么？" if re.search(r"[\u4e00-\u9fff]", what) else f"What is the {what}?")
    if spec is None or spec.family == "custom":
        return None
    view = engine._get_view(doc)
    f = _field(spec.key, engine._best(doc, view, spec, _subset(blocks), {}), view)
    if f.value is None or f.confidence < engine.options.answer_threshold or not (f.page and f.bbox):
        return None
    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    # "Discount: 0.00": the field is there and says there was none
    none = spec.vtype == "money" and V.parse_money(f.value) == 0
    return Answer(question=question, text=("否" if zh else "No") if none else ("是" if zh else "Yes"),
                  evidence=(Evidence(page=f.page, bbox=f.bbox, text=f.source or f.value),),
                  confidence=f.confidence, method=f"yes-no:{spec.family}")


def _from_sentence(engine: BuiltinEngine, doc: Document, question: str, blocks) -> Answer | None:
    from .prose import sentences
    from .qa import _LIGHT_VERBS, _OWNER, _STOP, _stem_match, preferred_passages

    zh = bool(re.search(r"[\u4e00-\u9fff]", question))
    if zh:
        runs = [r for r in re.findall(r"[\u4e00-\u9fff]+", _ZH_QUESTION_WORDS.sub(" ", question)) if len(r) >= 2]
        runs = [r for r in runs if r not in ("合同", "协议", "本合同", "发票")]
        if not runs:
            return None
    else:
        aux = _AUX.match(question)
        rest = question[aux.end():] if aux else question
        # the words as asked (not snapped to labels: "subcontract" is not "sub contract")
        asked = re.findall(r"\w+", rest.lower())
        # "Are pets allowed?": whether the document lets it be done, which a sentence says with a modal
        permission = any(t in _PERMISSION for t in asked)
        words = [t for t in asked if t not in _STOP and t not in _LIGHT_VERBS and t not in _OWNER
                 and t not in _PARTS and t not in _PERMISSION and t not in ("any", "each", "every")]
        if not words:
            return None
    view = engine._get_view(doc)
    for p in preferred_passages(view, blocks):  # the retrieved passages first
        for start, end in sentences(p):
            text = p.text[start:end]
            if len(text.split()) < 4 and len(re.findall(r"[\u4e00-\u9fff]", text)) < 6:
                continue  # a heading ("Termination") says nothing either way
            if zh:
                at = [text.find(r) for r in runs]
                if min(at) < 0:
                    continue
                first = min(at)
                negated = bool(_ZH_NEGATION.search(text, max(0, first - 3), first))
            else:
                found = [(m.start(), m.group().lower()) for m in re.finditer(r"\w+", text)]
                said = {w for _, w in found}
                if not all(_stem_match(w, said) for w in words):
                    continue
                if permission and not _MODAL.search(text):
                    continue  # "Pets: two cats" says nothing of whether pets are allowed
                where = [i for i, w in found if any(_stem_match(w, {x}) or _stem_match(x, {w}) for x in words)]
                # a negation in the clause that says it: from a few words before the first word asked to the last
                before = [i for i, _ in found if i < min(where)][-4:]
                lo = before[0] if before else min(where)
                negated = bool(_NEGATION.search(text, lo, max(where))) or (
                    permission and bool(_FORBIDDEN.search(text)))
            box = p.box(start, end)
            page = p.lines(start, end)[0].page
            yes, no = ("是", "否") if zh else ("Yes", "No")
            return Answer(question=question, text=no if negated else yes,
                          evidence=(Evidence(page=page, bbox=box, text=" ".join(text.split())),),
                          confidence=0.6, method="yes-no:sentence")
    return None
