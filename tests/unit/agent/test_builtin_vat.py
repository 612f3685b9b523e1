"""A Chinese VAT invoice (增值税专用发票) as it is laid out: the buyer's and the seller's parts of the form
under their words ("购买方", "销售方") with the same labels in each, the item table with its 合计 row."""

from __future__ import annotations

import pytest

from chatocr.agent.builtin import BuiltinEngine


@pytest.fixture(scope="module")
def vat_invoice():
    import pymupdf

    from chatocr.structure import DocumentParser

    with pymupdf.open() as pdf:
        page = pdf.new_page(width=842, height=595)

        def t(x, y, s, size=10):
            page.insert_text((x, y), s, fontsize=size, fontname="china-s")

        t(300, 40, "上海增值税专用发票", 18)
        t(560, 60, "发票代码：3100213130")
        t(560, 76, "发票号码：08812345")
        t(560, 92, "开票日期：2026年03月15日")
        page.draw_rect((40, 100, 800, 180))
        t(50, 118, "购买方")
        t(100, 118, "名    称：上海远航贸易有限公司")
        t(100, 134, "纳税人识别号：91310115MA1H8XYZ12")
        t(100, 150, "地址、电话：上海市浦东新区人民路8号 021-66668888")
        t(100, 166, "开户行及账号：中国银行上海分行 4567 8901 2345")
        columns = (50, 230, 310, 350, 390, 500, 620, 690)
        rows = [("货物或应税劳务、服务名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"),
                ("*信息技术服务*软件维护", "", "项", "1", "50000.00", "50000.00", "6%", "3000.00"),
                ("*电子元件*电路板", "PCB-8L", "块", "20", "250.00", "5000.00", "13%", "650.00"),
                ("合    计", "", "", "", "", "¥55000.00", "", "¥3650.00")]
        for y, row in zip((196, 214, 232, 280), rows, strict=True):
            for x, cell in zip(columns, row, strict=True):
                if cell:
                    t(x, y, cell)
        t(50, 318, "价税合计（大写）")
        t(200, 318, "伍万捌仟陆佰伍拾元整")
        t(520, 318, "（小写）¥58650.00")
        t(50, 348, "销售方")
        t(100, 348, "名    称：北京华星科技有限公司")
        t(100, 364, "纳税人识别号：91110105MA00ABCD34")
        t(100, 380, "地址、电话：北京市朝阳区建设路100号 010-88886666")
        t(50, 440, "收款人：李娜")
        t(250, 440, "复核：王强")
        t(450, 440, "开票人：赵敏")
        return DocumentParser().parse(pdf.tobytes())


@pytest.mark.parametrize(("question", "value"), [
    ("发票代码是多少？", "3100213130"),
    ("发票号码是多少？", "08812345"),
    ("购买方是谁？", "上海远航贸易有限公司"),  # without the "名称：" label
    ("销售方是谁？", "北京华星科技有限公司"),
    ("购买方纳税人识别号是多少？", "91310115MA1H8XYZ12"),
    ("销售方税号是多少？", "91110105MA00ABCD34"),  # the seller's part of the form, not the first 纳税人识别号
    ("销售方地址是什么？", "北京市朝阳区建设路100号"),  # "地址、电话": the address without the phone
    ("购买方地址是什么？", "上海市浦东新区人民路8号"),
    ("销售方电话是多少？", "010-88886666"),
    ("价税合计是多少？", "¥58650.00"),
    ("税额是多少？", "¥3650.00"),  # the 合计 row's, not the first item's
    ("电路板的税率是多少？", "13%"),
    ("软件维护的金额是多少？", "50000.00"),
    ("开票人是谁？", "赵敏"),
])
def test_a_vat_invoice(vat_invoice, question, value):
    assert BuiltinEngine().answer(vat_invoice, question).text == value
