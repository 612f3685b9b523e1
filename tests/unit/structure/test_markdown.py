"""Document.to_markdown: what a Markdown renderer shows is what the page says, row by row."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from markdown_it import MarkdownIt

from chatocr.document import Block, Document, Page

_md = MarkdownIt("commonmark").enable("table")


def _doc(*blocks: Block) -> Document:
    return Document(id="0" * 16, pages=(Page(page=1, width=100, height=100, blocks=blocks),))


def _block(text: str, type_: str = "figure", i: int = 0) -> Block:
    return Block(id=f"p1-b{i}", type=type_, bbox=(0, 0, 10, 10), text=text)


def _rendered_rows(html: str) -> list[str]:
    """The text a reader sees, one entry per rendered line (a soft line break shows as a space)."""
    text = re.sub(r"<br />\n?|</(p|li|h\d)>", "\x00", html)
    text = re.sub(r"<[^>]+>", "", text.replace("\n", " "))
    return [r.strip() for r in html_lib.unescape(text).split("\x00") if r.strip()]


RECEIPT = "\n".join(
    [
        "KEDAI MAKAN SDN BHD",
        "# 12, Jalan Besar",
        "Item Qty Amount",
        "-----------------------",
        "1 X 19.00",
        "Discount",
        "- 0.50",
        "=======",
        "1. Goods sold are not returnable",
        "+ 6% GST",
        "> 2 items",
        "*** THANK YOU ***",
        "<PLEASE COME AGAIN>",
        r"Ref C:\*01",
        "| -- | --",
    ]
)


def test_rows_of_a_block_render_as_rows_and_nothing_turns_into_structure():
    html = _md.render(_doc(_block(RECEIPT)).to_markdown())
    # one paragraph with a line break per row: no heading, rule, list, quote or HTML
    assert not re.search(r"<(h\d|hr|ul|ol|li|blockquote|table|em|strong|b)\b", html), html
    assert _rendered_rows(html) == RECEIPT.split("\n")


def test_a_list_block_keeps_its_markers():
    html = _md.render(_doc(_block("- Coffee beans\n- Milk\n---", "list")).to_markdown())
    assert html.count("<li>") == 2
    assert "<hr" not in html
    assert _rendered_rows(html) == ["Coffee beans", "Milk", "---"]


def test_blocks_and_paragraphs_stay_apart():
    doc = _doc(_block("Total: 12.30\nCash: 20.00", "text", 0), _block("Thank you\n\nCome again", "text", 1))
    html = _md.render(doc.to_markdown())
    assert html.count("<p>") == 3
    assert _rendered_rows(html) == ["Total: 12.30", "Cash: 20.00", "Thank you", "Come again"]


@pytest.mark.parametrize("text", ["12", "12.50", "a - b", "5 * 3", "-0.50", "#12", "1.5 kg", "A: B"])
def test_plain_rows_are_not_escaped(text):
    assert _doc(_block(text)).to_markdown().endswith("\n" + text + "\n")
