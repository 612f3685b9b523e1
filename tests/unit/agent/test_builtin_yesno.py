"""Yes/no questions: a yes or a no with the sentence (or the field) that says it; None where the document
does not say, never a "no" by default and never a value."""

from __future__ import annotations

import pytest

from chatocr.agent.builtin import BuiltinEngine
from chatocr.agent.builtin.yesno import is_yes_no


@pytest.fixture(scope="module")
def builtin():
    return BuiltinEngine()


@pytest.fixture
def paragraphs(lines_doc):
    """A page of one-line paragraphs, one under the other (6 px a character)."""

    def make(rows):
        return lines_doc([(t, (60, 80 + 30 * i, 60 + 6 * len(t), 94 + 30 * i)) for i, t in enumerate(rows)])

    return make


_CONTRACT = [
    "SERVICES AGREEMENT",
    "1. Term. This Agreement starts on 1 March 2026 and runs for two (2) years.",
    "2. Termination. Either party may terminate this Agreement by giving not less than 30 days' written notice.",
    "3. Assignment. The Supplier may subcontract the Services, but the Customer shall not assign this Agreement.",
    "4. Liability. Each party's total liability under this Agreement shall not exceed EUR 500,000.",
]


@pytest.mark.parametrize("renewal, want", [
    ("5. Renewal. Unless terminated, this Agreement renews automatically for further terms of 1 year.", "Yes"),
    ("5. Renewal. This Agreement shall not renew automatically; any extension must be agreed in writing.", "No"),
    ("5. Renewal. Any extension of this Agreement must be agreed in writing by both parties.", None),
])
def test_renews_automatically(builtin, paragraphs, renewal, want):
    doc = paragraphs([*_CONTRACT, renewal])
    ans = builtin.answer(doc, "Does the agreement renew automatically?")
    assert ans.text == want
    if want is not None:  # the evidence is the sentence that says it, on its line
        assert ans.evidence[0].page == 1 and "renew" in ans.evidence[0].text
        assert ans.evidence[0].bbox[1] == pytest.approx(80 + 30 * len(_CONTRACT))


def test_a_bound_or_a_negation_elsewhere_is_no_no(builtin, paragraphs):
    """"not less than 30 days" bounds the notice; "shall not assign" is about another verb."""
    doc = paragraphs(_CONTRACT)
    assert builtin.answer(doc, "Can either party terminate the agreement?").text == "Yes"
    assert builtin.answer(doc, "Can the supplier subcontract the services?").text == "Yes"
    assert builtin.answer(doc, "May the customer assign the agreement?").text == "No"
    assert builtin.answer(doc, "Is the agreement exclusive?").text is None  # not said: not "No"


def test_whether_something_is_allowed(builtin, paragraphs):
    """"Are pets allowed?" asks what a sentence permits or forbids, which it says with a modal ("shall
    not keep pets", "Subletting is permitted"); a sentence that only names the thing ("Pets: two cats")
    says nothing either way.  Before, the question needed the sentence to say "allowed"."""
    doc = paragraphs(["TENANCY AGREEMENT", "6. The Tenant shall not keep pets at the Property without consent.",
                      "7. Subletting is permitted with the Landlord's written consent.",
                      "8. Smoking is prohibited inside the Property.", "Inventory: two sofas, one table."])
    want = {"Are pets allowed?": "No", "Is the tenant allowed to keep pets?": "No", "Is subletting allowed?": "Yes",
            "Is smoking permitted?": "No", "Are sofas allowed?": None, "Are parties allowed?": None}
    assert {q: builtin.answer(doc, q).text for q in want} == want


def test_irregular_past_forms_say_their_verb(builtin, paragraphs):
    """"paid" is "payable", "sold" is "sells": the sentence says the question's verb in another form."""
    doc = paragraphs(["TENANCY AGREEMENT", "3. The rent is £950 per calendar month, payable in advance.",
                      "4. The Seller sells the goods free of any charge or lien."])
    assert builtin.answer(doc, "Is the rent paid in advance?").text == "Yes"
    assert builtin.answer(doc, "Are the goods sold free of any lien?").text == "Yes"


def test_whether_a_field_is_there(builtin, paragraphs):
    doc = paragraphs(_CONTRACT)
    ans = builtin.answer(doc, "Is there a liability cap?")
    assert ans.text == "Yes" and ans.method == "yes-no:liability cap"
    assert "EUR 500,000" in ans.evidence[0].text
    assert builtin.answer(doc, "Does the contract specify a governing law?").text is None
    invoice = paragraphs(["INVOICE", "Invoice No: 4411", "Due Date: 2026-03-01", "Total: 120.00"])
    assert builtin.answer(invoice, "Is there a due date?").text == "Yes"
    assert builtin.answer(invoice, "Is there a PO number?").text is None


def test_chinese(builtin, paragraphs):
    base = ["服务合同", "一、合同期限。本合同自2026年3月1日起生效，有效期两年。", "二、适用法律。本合同适用中华人民共和国法律。"]
    yes = paragraphs([*base, "三、续期。本合同期满前任何一方未提出异议的，合同期满后自动续期1年。"])
    no = paragraphs([*base, "三、续期。本合同期满后不自动续期，双方另行协商。"])
    assert builtin.answer(yes, "合同是否自动续期？").text == "是"
    assert builtin.answer(no, "合同是否自动续期？").text == "否"
    assert builtin.answer(paragraphs(base), "合同是否自动续期？").text is None
    assert builtin.answer(yes, "是否约定了适用法律？").text == "是"


def test_value_questions_are_not_yes_no(builtin, paragraphs):
    for q in ("Can you tell me the term?", "What is the term?", "Do you know how long the term is?", "期限是多久？"):
        assert not is_yes_no(q), q
    for q in ("Is there a due date?", "Was it signed?", "合同是否自动续期？", "有违约金吗？"):
        assert is_yes_no(q), q
    assert builtin.answer(paragraphs(_CONTRACT), "Can you tell me the term?").text == "two (2) years"


def test_the_retrieved_passages_come_first(builtin, paragraphs):
    """``blocks`` (what retrieval found for the question) are read before the rest of the document."""
    doc = paragraphs([*_CONTRACT, "5. Renewal. The services renew automatically for further terms of 1 year.",
                      "Annex B. The pilot services shall not renew automatically."])
    q = "Do the services renew automatically?"
    assert builtin.answer(doc, q).text == "Yes"
    annex = [(1, b) for b in doc.pages[0].blocks if b.text.startswith("Annex B")]
    ans = builtin.answer(doc, q, blocks=annex)
    assert ans.text == "No" and ans.evidence[0].text.startswith("The pilot services")
