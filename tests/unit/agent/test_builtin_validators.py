"""Typed validators of the built-in engine: dates, amounts, ids, phones, IBANs, e-mails, percentages."""

from __future__ import annotations

import pytest

from chatocr.agent.builtin import validators as V


@pytest.mark.parametrize(
    ("text", "written", "iso"),
    [
        ("25/12/2018", "25/12/2018", "2018-12-25"),
        ("DATE: 25/12/2018 8:13:39 PM", "25/12/2018", "2018-12-25"),
        ("12-01-19 21:13 SH01", "12-01-19", "2019-01-12"),
        ("2024-03-05", "2024-03-05", "2024-03-05"),
        ("2016/05/01", "2016/05/01", "2016-05-01"),
        ("12.07.2022", "12.07.2022", "2022-07-12"),
        ("05 MAR 2018 18:24", "05 MAR 2018", "2018-03-05"),
        ("30 DEC 17", "30 DEC 17", "2017-12-30"),
        ("14/MAY/2017", "14/MAY/2017", "2017-05-14"),
        ("March 5, 2024", "March 5, 2024", "2024-03-05"),
        ("5th March 2024", "5th March 2024", "2024-03-05"),
        ("2024年3月5日", "2024年3月5日", "2024-03-05"),
        ("12/31/2023", "12/31/2023", "2023-12-31"),  # month first when day first is impossible
        (":05-03-201819:02:50", "05-03-2018", "2018-03-05"),  # OCR glued the time to the year
        ("21/02/1811:19", "21/02/18", "2018-02-21"),
        ("14/Jun/201708:34:22", "14/Jun/2017", "2017-06-14"),  # and to a year after a month name
        ("Jun 14, 201708:30", "Jun 14, 2017", "2017-06-14"),
        ("05~05-17", "05-05-17", "2017-05-05"),  # '~' misread for '-'
    ],
)
def test_dates(text, written, iso):
    spans = V.find_dates(text)
    assert spans, text
    assert spans[0].text == written
    assert spans[0].norm == iso


@pytest.mark.parametrize("text", ["31/02/2020", "12/2018", "9.000", "Total 12.50", "v1.2.3", "03-7845 8155",
                                  "45/13/2020", "1234567", "14 Jun 20170"])
def test_not_dates(text):
    assert V.find_dates(text) == []


@pytest.mark.parametrize(
    ("text", "value", "strong"),
    [
        ("9.00", 9.0, True),
        ("RM 22.90", 22.9, True),
        ("$8.20", 8.2, True),
        ("TOTAL: 1,234.50", 1234.5, True),
        ("1.234,56 €", 1234.56, True),
        ("¥1,130.00", 1130.0, True),
        ("USD 5,379.24", 5379.24, True),
        ("12,50", 12.5, True),
        ("-0.02", -0.02, True),
        ("120", 120.0, False),  # a bare integer may be a quantity
        ("合同总价为人民币100,000元。", 100000.0, True),  # after a Chinese character, "人民币" as its currency
        ("合同总价为人民币86，500元。", 86500.0, True),  # a full-width comma between the thousands
    ],
)
def test_money(text, value, strong):
    spans = V.find_money(text)
    assert spans and abs(float(spans[0].norm) - value) < 1e-9
    assert (spans[0].score >= 0.8) == strong


@pytest.mark.parametrize("text", ["25/12/2018", "12:30", "no amount here", "ABC123", "A-100", "2026年1月1日"])
def test_not_money(text):
    assert [s for s in V.find_money(text) if s.score >= 0.8] == []


@pytest.mark.parametrize(
    ("iban", "ok"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("NL91 ABNA 0417 1643 00", True),
        ("DE89 3704 0044 0532 0130 01", False),  # check digits fail
        ("GB82WEST1234569876543", False),
        ("XX00", False),
    ],
)
def test_iban_mod97(iban, ok):
    assert V.iban_ok(iban) is ok
    assert bool(V.find_ibans(f"IBAN: {iban}")) is ok


@pytest.mark.parametrize(
    ("text", "digits"),
    [("Tel: 03-8941 0243", "0389410243"), ("+1 (415) 555-0132", "+14155550132"), ("电话：010-12345678", "01012345678")],
)
def test_phones(text, digits):
    spans = V.find_phones(text)
    assert spans and spans[0].norm == digits


@pytest.mark.parametrize("text", ["25/12/2018", "12345", "1,234.50"])
def test_not_phones(text):
    assert V.find_phones(text) == []


def test_ids_emails_percents():
    assert V.find_ids("Invoice No: INV-2024-0012")[0].text == "INV-2024-0012"
    assert V.find_ids(": CR 1803/0064")[0].text == "CR 1803/0064"
    assert V.find_tax_ids("GST NO: 0010 9010 5344")[0].norm == "001090105344"
    assert V.find_tax_ids("Ref 12") == []
    assert V.find_emails("mail: Sales@Example.com.my")[0].norm == "sales@example.com.my"
    assert V.find_percents("GST @ 6%")[0].norm == "6%"
    assert V.find_durations("for a term of 12 months")[0].text == "12 months"


def test_company_evidence():
    assert V.company_evidence("C W KHOO HARDWARE SDN BHD") == 1.0
    assert V.company_evidence("华星科技有限公司") == 1.0
    assert V.company_evidence("TAX INVOICE") == 0.0


@pytest.mark.parametrize(
    "read, meant",
    [
        ("GARDEN1A BAKERIES (KL) SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD"),
        ("C0MPANY", "COMPANY"),
        ("Bandar Mahk0ta, Se1angor", "Bandar Mahkota, Selangor"),  # in lower case: o and l
        ("NO 29O, JALAN AIR PANAS", "NO 290, JALAN AIR PANAS"),
        ("2O18", "2018"),
        # codes that mix letters and digits on purpose stay as printed
        ("(X) U13/X, SEKSYEN U13", "(X) U13/X, SEKSYEN U13"),
        ("S117, SECOND FLOOR", "S117, SECOND FLOOR"),
        ("JLN TSJ2, LOT 1851-A, BLOCK D1, G2", "JLN TSJ2, LOT 1851-A, BLOCK D1, G2"),
        ("B1A, NO, ROOM 10A, O2", "B1A, NO, ROOM 10A, O2"),
    ],
)
def test_repair_confusions(read, meant):
    assert V.repair_confusions(read) == meant
