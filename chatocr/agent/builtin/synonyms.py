"""Key families: the words documents use to label a field, in several languages, and the field's type.

A requested key ("total", "Invoice No", "开票日期", "vendor") resolves to a
``KeySpec``: its family's labels with weights (a stronger label wins when a
document has several: "Grand Total" over "Total"), phrases that disqualify a
label ("Sub Total", "Total Qty" are not the total), the value type the
validators check, and the document-level rule used when nothing is labelled.

This is generic document vocabulary only: no shop, vendor, address or value
from any dataset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

__all__ = ["KeySpec", "FAMILIES", "resolve_key", "custom_labels", "norm_text", "tokens", "label_similarity", "CJK"]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class KeySpec:
    """How to find one requested key."""

    key: str  # as requested
    family: str  # canonical name ("total", "date", ...) or "custom"
    vtype: str  # validators.VALUE_TYPES key
    labels: tuple[tuple[str, float], ...]  # normalised label → weight
    excludes: tuple[str, ...] = ()
    fallback: str | None = None  # document-level rule: "company", "address", "total", "first_date", "parties"
    multiline: bool = False  # the value may continue on following lines
    cues: tuple[str, ...] = field(default=())  # question phrases that ask for this key
    # whose field a question asks ("customer", "乙方"): a label that does not say whose counts only
    # outside another party's block of lines, and with ``owner_only`` only inside the owner's
    owner: str = ""
    owner_only: bool = False


def _fam(vtype: str, labels: dict[str, float] | list[str], *, excludes=(), fallback=None, multiline=False,
         cues=()) -> dict:
    if isinstance(labels, list):
        labels = {lab: 1.0 for lab in labels}
    return {"vtype": vtype, "labels": labels, "excludes": tuple(excludes), "fallback": fallback,
            "multiline": multiline, "cues": tuple(cues)}


_TAX_WORDS = ("tax", "gst", "vat", "sst")

# Weights: 1.0 for a label that names exactly this field, less for a generic one.
FAMILIES: dict[str, dict] = {
    "total": _fam("money", {
        "total": 0.9, "grand total": 1.0, "total amount": 1.0, "amount total": 0.95, "total due": 1.0,
        "amount due": 1.0, "balance due": 0.95, "total payable": 1.0, "amount payable": 1.0, "payable": 0.8,
        "net total": 1.0, "nett total": 1.0, "nett": 0.75, "net amount": 0.85, "total net": 0.95,
        "rounded total": 1.0, "total rounded": 1.0, "net total rounded": 1.0, "total after rounding": 1.0,
        "rounded": 0.9, "rounding": 0.85, "invoice total": 1.0, "total incl tax": 1.0, "total amount incl tax": 1.0,
        "total sales incl tax": 0.9, "total sales": 0.8, "total to pay": 1.0, "amount to pay": 1.0,
        "to pay": 0.85, "total price": 0.95, "total cost": 0.95, "sum": 0.7, "total sum": 0.95,
        "amount": 0.6, "total value": 0.9, "jumlah": 0.9, "jumlah besar": 1.0,
        "gesamtbetrag": 1.0, "summe": 0.8, "montant total": 1.0, "importe total": 1.0,
        "合计": 0.9, "总计": 1.0, "价税合计": 1.0, "金额": 0.6, "总金额": 1.0, "应付金额": 1.0, "实付": 0.9,
        "实付金额": 1.0, "应付": 0.85, "合计金额": 1.0, "总价": 0.95, "小写": 0.9, "价税合计小写": 1.0,
        "金额合计": 1.0, "应收": 0.85, "contract value": 1.0, "contract amount": 1.0, "contract price": 1.0,
        "contract sum": 1.0, "fee": 0.7, "total fee": 0.95, "合同金额": 1.0, "合同总价": 1.0, "合同价款": 1.0,
        "总价款": 1.0,
    }, excludes=("sub", "subtotal", "excl", "before", "qty", "quantity", "items", "item", "discount",
                 "savings", "saving", "adj", "adjustment", "change", "points", "point", "deposit", "paid",
                 "tendered", "cash", "accepted", "received", "weight", "tax amount", "tax total", "total tax", "service", "tip",
                 "小计", "税额", "数量", "折扣", "找零", "件数", "unit", "per", "page", "pages",
                 "gross", "delivery", "shipping", "saved", "mileage", "liter", "litre"),
        fallback="total", cues=("how much", "total", "amount due", "pay", "cost", "owe", "多少钱", "总额", "合计")),
    "subtotal": _fam("money", {"subtotal": 1.0, "sub total": 1.0, "total excl tax": 0.95, "net amount": 0.7,
                               "total sales excl tax": 1.0, "amount excl tax": 0.95,
                               "小计": 1.0, "不含税金额": 0.9, "金额": 0.5},
                     cues=("subtotal", "before tax")),
    "tax": _fam("money", {"tax": 0.9, "tax amount": 1.0, "total tax": 1.0, "sales tax": 1.0, "vat amount": 1.0,
                          "税额": 1.0, "税金": 1.0, "税": 0.6, "tax total": 1.0},
                excludes=("no", "number", "id", "reg", "registration", "rate", "incl", "invoice", "excl",
                          "summary", "code"),
                cues=("tax", "vat", "gst", "税")),
    "discount": _fam("money", {"discount": 1.0, "disc": 0.9, "discount amount": 1.0, "total discount": 1.0,
                               "折扣": 1.0, "优惠": 0.9, "折扣金额": 1.0},
                     excludes=("rate", "code", "%"), cues=("discount", "折扣", "优惠")),
    # what a receipt says was handed over, and what came back
    "cash": _fam("money", {"cash": 1.0, "cash tendered": 1.0, "tendered": 0.9, "amount tendered": 1.0,
                           "cash paid": 1.0, "amount paid": 0.9, "cash received": 1.0, "现金": 1.0, "实收": 1.0},
                 excludes=("change", "back", "找零"), cues=("cash", "tendered", "amount paid", "现金", "实收")),
    "change": _fam("money", {"change": 1.0, "change due": 1.0, "cash change": 1.0, "找零": 1.0, "找赎": 1.0},
                   cues=("change", "找零")),
    "time": _fam("time", {"time": 1.0, "transaction time": 1.0, "time of sale": 1.0, "printed at": 0.8, "时间": 1.0,
                          "交易时间": 1.0},
                 excludes=("date", "delivery", "lead", "response", "日期"), cues=("what time", "time", "几点", "时间")),
    "tax rate": _fam("percent", {"tax rate": 1.0, "vat rate": 1.0, "gst rate": 1.0, "sst rate": 1.0,
                                 "sales tax rate": 1.0, "rate": 0.6, "税率": 1.0, "征收率": 1.0},
                     cues=("tax rate", "vat rate", "gst rate", "税率")),
    "date": _fam("date", {
        "date": 1.0, "invoice date": 1.0, "date of issue": 1.0, "issue date": 1.0, "issued": 0.8,
        "issued on": 0.9, "bill date": 1.0, "receipt date": 1.0, "transaction date": 0.95, "dated": 0.9,
        "date issued": 1.0, "tarikh": 1.0, "datum": 1.0, "fecha": 1.0, "rechnungsdatum": 1.0, "document date": 1.0,
        "date time": 0.95, "trans date": 0.95, "txn date": 0.9, "sale date": 0.9, "order date": 0.7,
        "signing date": 0.8, "date of agreement": 0.8,
        "日期": 1.0, "开票日期": 1.0, "日期时间": 0.95, "交易日期": 0.95, "签订日期": 0.8,
    }, excludes=("due", "expiry", "expiration", "expire", "expires", "delivery", "end", "start", "until",
                 "termination", "effective", "commencement", "birth", "payment", "valid", "ship", "shipping",
                 "到期", "截止", "终止", "生效", "起始", "付款", "交货", "有效"),
        fallback="first_date", cues=("date", "日期", "signed", "signing", "executed", "签订", "签署")),
    "due date": _fam("date", {"due date": 1.0, "payment due": 1.0, "payment due date": 1.0, "due": 0.85,
                              "due on": 1.0, "pay by": 1.0, "payable by": 1.0, "payment deadline": 1.0,
                              "deadline": 0.8, "due by": 1.0, "faellig": 0.9, "付款期限": 1.0, "到期日": 1.0,
                              "付款截止日期": 1.0, "最迟付款日期": 1.0, "付款日期": 0.9, "应付日期": 1.0},
                     excludes=("amount", "balance", "total"),
                     cues=("due", "payment due", "pay by", "deadline", "付款期限", "何时付款")),
    "delivery date": _fam("date", {"delivery date": 1.0, "delivered on": 1.0, "date of delivery": 1.0,
                                   "ship date": 0.9, "shipping date": 0.9, "delivery": 0.7, "dispatch date": 0.9,
                                   "交货日期": 1.0, "送货日期": 1.0, "发货日期": 0.9},
                          cues=("delivery", "delivered", "ship", "交货", "送货")),
    "start date": _fam("date", {"start date": 1.0, "effective date": 1.0, "commencement date": 1.0,
                                "effective from": 1.0, "start": 0.7, "begins": 0.8, "起始日期": 1.0, "生效日期": 1.0,
                                "开始日期": 1.0, "起始": 0.8},
                       cues=("start", "begin", "effective", "commence", "开始", "生效")),
    "end date": _fam("date", {"end date": 1.0, "termination date": 1.0, "expiry date": 1.0, "expiration date": 1.0,
                              "valid until": 1.0, "expires": 0.9, "ends": 0.8, "end": 0.7, "until": 0.6,
                              "终止日期": 1.0, "到期日期": 1.0, "截止日期": 1.0, "结束日期": 1.0, "有效期至": 1.0},
                     cues=("end", "expire", "terminate", "until when", "终止", "到期", "结束")),
    "invoice number": _fam("id", {
        "invoice number": 1.0, "invoice no": 1.0, "invoice": 0.65, "invoice ref": 1.0, "invoice reference": 1.0, "inv no": 1.0, "invoice id": 1.0,
        "bill no": 1.0, "bill number": 1.0, "receipt no": 1.0, "receipt number": 1.0, "document no": 0.9,
        "doc no": 0.9, "reference no": 0.8, "ref no": 0.8, "reference": 0.6, "no": 0.5, "number": 0.55,
        "receipt": 0.5, "tax invoice no": 1.0, "cash bill no": 1.0, "transaction no": 0.8, "trans no": 0.8,
        "quote no": 1.0, "quote number": 1.0, "quotation no": 1.0, "quotation number": 1.0, "quote ref": 1.0,
        "estimate no": 1.0, "estimate number": 1.0, "folio no": 0.9,
        "rechnungsnummer": 1.0, "no factura": 1.0, "发票号码": 1.0, "发票号": 1.0, "发票编号": 1.0, "单号": 0.85,
        "票据号": 0.9, "编号": 0.6, "号码": 0.6,
    }, excludes=("date", "tel", "phone", "fax", "tax", "reg", "registration", "account", "acc", "order", "po",
                 "customer", "member", "gst", "vat", "company", "co", "table", "pump", "terminal", "cashier",
                 "counter", "item", "qty", "page", "contract", "代码", "纳税人", "电话", "账号", "合同", "mobile",
                 "card", "approval", "batch", "trace", "auth", "pos", "shift", "host", "bank"),
        cues=("invoice number", "invoice no", "bill number", "receipt number", "发票号")),
    # a Chinese VAT invoice's code (发票代码) beside its number
    "invoice code": _fam("id", {"invoice code": 1.0, "发票代码": 1.0, "代码": 0.6}, excludes=("tax", "税", "信用"),
                         cues=("invoice code", "发票代码")),
    "seller": _fam("org", {
        "seller": 1.0, "vendor": 1.0, "supplier": 1.0, "company": 0.9, "company name": 1.0, "merchant": 1.0,
        "sold by": 1.0, "issued by": 0.9, "from": 0.8, "seller name": 1.0, "vendor name": 1.0, "store": 0.7,
        "shop": 0.7, "business name": 0.9, "payee": 0.8, "lessor": 0.7, "contractor": 0.6, "service provider": 0.8,
        "provider": 0.8,
        "销售方": 1.0, "销售方名称": 1.0, "卖方": 1.0, "公司": 0.8, "公司名称": 1.0, "收款单位": 1.0,
        "供应商": 1.0, "商户": 0.9, "商户名称": 1.0, "开票单位": 1.0, "供货方": 1.0,
    }, excludes=("address", "tax", "no", "number", "id", "tel", "phone", "reg", "registration", "bank",
                 "account", "email", "地址", "税号", "电话", "账号", "识别号", "开户行", "代码"),
        fallback="company", cues=("seller", "vendor", "company", "merchant", "store", "shop", "hotel", "restaurant",
                                  "who issued",
                                  "who sold", "which company", "supplier", "销售方", "公司", "卖方")),
    "buyer": _fam("org", {
        "buyer": 1.0, "customer": 1.0, "bill to": 1.0, "billed to": 1.0, "client": 1.0, "sold to": 1.0,
        "prepared for": 0.9, "quote for": 0.9, "quotation for": 0.9,
        "customer name": 1.0, "buyer name": 1.0, "ship to": 0.7, "purchaser": 1.0, "invoice to": 1.0,
        "lessee": 0.7, "购买方": 1.0, "购买方名称": 1.0, "买方": 1.0, "客户": 1.0, "客户名称": 1.0, "付款单位": 1.0,
        "购货单位": 1.0,
    }, excludes=("address", "tax", "no", "number", "id", "tel", "phone", "bank", "account", "email",
                 "service", "services", "care", "support", "helpline", "hotline",  # "Customer service:" is a phone
                 "地址", "税号", "电话", "账号", "识别号", "开户行", "代码"),
        cues=("buyer", "customer", "client", "billed to", "bill to", "purchaser", "购买方", "客户", "买方")),
    # a policy's insurer: its label, else its letterhead (the engine's issuer by the document's title)
    "insurer": _fam("org", {"insurer": 1.0, "insurance company": 1.0, "underwriter": 0.9, "underwritten by": 0.9,
                            "保险人": 1.0, "承保公司": 1.0}, cues=("insurer", "insurance company", "保险公司")),
    "insured": _fam("name", {"insured": 1.0, "policyholder": 1.0, "policy holder": 1.0, "insured person": 1.0,
                             "name of insured": 1.0, "insured name": 1.0, "被保险人": 1.0, "投保人": 0.9},
                    cues=("insured", "policyholder", "policy holder", "被保险人", "投保人")),
    "address": _fam("address", {"address": 1.0, "addr": 0.9, "business address": 1.0, "street address": 1.0,
                                "registered address": 1.0, "seller address": 0.9, "location": 0.6, "alamat": 1.0,
                                "adresse": 1.0, "direccion": 1.0, "地址": 1.0, "住所": 1.0, "地址电话": 0.8,
                                "营业地址": 1.0},
                    excludes=("email", "e mail", "ip", "web", "bill to", "ship to", "buyer", "customer", "购买方"),
                    fallback="address", multiline=True,
                    cues=("address", "where", "located", "location", "地址", "在哪")),
    # the buyer's: "address" alone is the issuer's (its fallback reads the letterhead)
    "buyer address": _fam("address", {"buyer address": 1.0, "customer address": 1.0, "client address": 1.0,
                                      "billing address": 1.0, "bill to address": 1.0, "invoice address": 0.9,
                                      "purchaser address": 1.0, "购买方地址": 1.0, "买方地址": 1.0, "客户地址": 1.0},
                          fallback="buyer_address", multiline=True, cues=("billing address",)),
    # where goods go: "Ship to" names who receives them, the address follows in its block
    "recipient": _fam("org", {"ship to": 1.0, "shipped to": 1.0, "deliver to": 1.0, "delivered to": 1.0,
                              "consignee": 0.9, "recipient": 0.8, "收货人": 1.0, "收货单位": 1.0},
                      excludes=("address", "date", "phone", "tel", "地址", "电话", "日期"),
                      cues=("ship to", "shipped to", "deliver to", "delivered to", "consignee", "recipient",
                            "收货人", "收货单位")),
    "shipping address": _fam("address", {"shipping address": 1.0, "ship to address": 1.0, "delivery address": 1.0,
                                         "delivery to": 0.9, "收货地址": 1.0, "送货地址": 1.0, "交货地点": 0.9,
                                         "收货人地址": 1.0},
                             excludes=("date", "method", "cost", "fee", "charge", "charges", "日期"),
                             fallback="shipping_address", multiline=True,
                             cues=("shipping address", "delivery address", "delivered", "shipped", "收货地址", "送货地址")),
    "tax id": _fam("taxid", {
        "tax id": 1.0, "tax number": 1.0, "tax no": 1.0, "tax reg no": 1.0, "gst no": 1.0, "gst reg no": 1.0,
        "gst id": 1.0, "gst id no": 1.0, "gst registration no": 1.0, "gst registration number": 1.0,
        "vat no": 1.0, "vat number": 1.0, "vat id": 1.0, "vat reg no": 1.0, "tin": 0.9, "ein": 0.9,
        "sst no": 1.0, "sst id": 1.0, "sst reg no": 1.0, "tax identification number": 1.0, "abn": 0.8,
        "ust idnr": 1.0, "steuernummer": 1.0, "taxpayer id": 1.0,
        "税号": 1.0, "纳税人识别号": 1.0, "统一社会信用代码": 1.0, "识别号": 0.8, "纳税人识别号统一社会信用代码": 1.0,
    }, excludes=("invoice", "amount", "total", "rate", "summary", "code"),
        cues=("tax id", "tax number", "gst", "vat number", "vat id", "税号", "纳税人识别号")),
    "phone": _fam("phone", {"phone": 1.0, "tel": 1.0, "telephone": 1.0, "mobile": 0.9, "phone no": 1.0,
                            "phone number": 1.0, "telephone number": 1.0, "mobile number": 0.9, "tel number": 1.0,
                            "tel no": 1.0, "contact": 0.7, "contact no": 0.9, "hp": 0.7, "hotline": 0.8, "ph": 0.8,
                            "电话": 1.0, "联系电话": 1.0, "手机": 0.9, "tel fax": 0.8, "telefon": 1.0,
                            "contact number": 1.0, "customer service": 0.8, "customer services": 0.8,
                            "helpline": 0.9, "call us": 0.9, "客服电话": 1.0, "服务热线": 1.0},
                  excludes=("fax",), cues=("phone", "telephone", "call", "contact number", "电话")),
    "fax": _fam("phone", {"fax": 1.0, "fax no": 1.0, "facsimile": 1.0, "传真": 1.0}, cues=("fax", "传真")),
    "email": _fam("email", {"email": 1.0, "e mail": 1.0, "mail": 0.8, "email address": 1.0, "邮箱": 1.0,
                            "电子邮件": 1.0, "电子邮箱": 1.0}, fallback="email", cues=("email", "e-mail", "邮箱")),
    "website": _fam("url", {"website": 1.0, "web site": 1.0, "web address": 1.0, "web": 0.9, "www": 0.9, "url": 1.0, "homepage": 1.0,
                            "网址": 1.0, "网站": 1.0}, fallback="url", cues=("website", "web site", "homepage", "网址")),
    "iban": _fam("iban", {"iban": 1.0, "iban no": 1.0, "bank account": 0.7, "account": 0.5, "international bank account number": 1.0},
                 cues=("iban",)),
    "account number": _fam("id", {"account number": 1.0, "account no": 1.0, "acct no": 1.0, "bank account": 0.9,
                                  "a c no": 0.9, "account": 0.75, "账号": 1.0, "银行账号": 1.0, "开户行及账号": 0.9},
                           excludes=("name", "holder", "type", "manager", "period", "summary"),
                           cues=("account number", "bank account", "账号")),
    # the codes of a bank or its branch beside an account number ("Sort code 20-45-77", "SWIFT: BARCGB22")
    "bank code": _fam("id", {"sort code": 1.0, "routing number": 1.0, "aba": 0.9, "aba routing number": 1.0,
                             "bsb": 1.0, "bsb number": 1.0, "ifsc": 1.0, "ifsc code": 1.0, "bank code": 1.0,
                             "branch code": 1.0, "transit number": 0.9, "clearing number": 0.9, "行号": 1.0,
                             "联行号": 1.0},
                      cues=("sort code", "routing number", "bsb", "ifsc", "bank code", "行号")),
    "swift": _fam("id", {"swift": 1.0, "swift code": 1.0, "bic": 1.0, "bic code": 1.0, "swift bic": 1.0,
                         "bic swift": 1.0, "swift address": 0.9},
                  cues=("swift", "bic")),
    "po number": _fam("id", {"po number": 1.0, "po no": 1.0, "purchase order": 1.0, "order no": 0.9,
                             "order number": 0.9, "po": 0.8, "订单号": 1.0, "采购单号": 1.0},
                      excludes=("date",), cues=("purchase order", "po number", "order number", "订单号")),
    "parties": _fam("org", {"parties": 1.0, "party a": 0.9, "party b": 0.9, "between": 0.8, "甲方": 0.9,
                            "乙方": 0.9, "contracting parties": 1.0, "当事人": 1.0},
                    fallback="parties",
                    cues=("parties", "party", "who signed", "between whom", "当事人", "双方")),
    "party a": _fam("org", {"party a": 1.0, "first party": 1.0, "甲方": 1.0, "甲方名称": 1.0, "the client": 0.8,
                            "licensor": 0.7, "lessor": 0.8, "employer": 0.7},
                    excludes=("address", "tax", "phone", "tel", "representative", "signature", "signed", "sign",
                              "地址", "电话", "代表", "签字", "签章", "盖章"),
                    cues=("party a", "first party", "甲方")),
    "party b": _fam("org", {"party b": 1.0, "second party": 1.0, "乙方": 1.0, "乙方名称": 1.0, "the contractor": 0.8,
                            "licensee": 0.7, "lessee": 0.8, "employee": 0.7},
                    excludes=("address", "tax", "phone", "tel", "representative", "signature", "signed", "sign",
                              "地址", "电话", "代表", "签字", "签章", "盖章"),
                    cues=("party b", "second party", "乙方")),
    "term": _fam("duration", {"term": 1.0, "contract term": 1.0, "duration": 1.0, "period": 0.8, "contract period": 1.0,
                              "term of agreement": 1.0, "validity": 0.8, "期限": 1.0, "合同期限": 1.0, "有效期": 0.9,
                              "租期": 0.9, "服务期限": 1.0},
                 excludes=("payment", "notice", "renewal", "extension", "付款", "续期"),
                 cues=("term", "how long", "duration", "period", "期限", "多久")),
    "payment terms": _fam("text", {"payment terms": 1.0, "terms of payment": 1.0, "terms": 0.7,
                                   "payment method": 0.8, "付款方式": 1.0, "付款条件": 1.0, "结算方式": 0.9},
                          cues=("payment terms", "terms of payment", "付款方式")),
    "currency": _fam("text", {"currency": 1.0, "币种": 1.0, "货币": 1.0}, cues=("currency", "币种")),
    "governing law": _fam("text", {"governing law": 1.0, "applicable law": 1.0, "law": 0.6, "适用法律": 1.0,
                                   "管辖法律": 1.0, "法律适用": 1.0},
                          cues=("governing law", "applicable law", "governs", "governed", "which law",
                                "what law", "适用法律", "哪国法律")),
    "jurisdiction": _fam("text", {"jurisdiction": 1.0, "courts": 0.8, "competent court": 1.0, "place of jurisdiction": 1.0,
                                  "dispute resolution": 0.8, "管辖法院": 1.0, "管辖": 0.9, "争议解决": 0.8},
                         cues=("jurisdiction", "which court", "which courts", "courts", "disputes", "dispute",
                               "管辖", "哪个法院", "争议")),
    "late payment interest": _fam("percent", {"late payment interest": 1.0, "interest on late payment": 1.0,
                                              "late interest": 1.0, "default interest": 1.0, "overdue interest": 1.0,
                                              "逾期利息": 1.0, "滞纳金": 0.9},
                                  cues=("late payment", "late payments", "interest", "逾期", "滞纳金")),
    "notice period": _fam("duration", {"notice period": 1.0, "period of notice": 1.0, "notice": 0.8,
                                       "termination notice": 1.0, "通知期": 1.0, "提前通知": 0.9},
                          cues=("notice period", "notice", "通知期", "提前多久")),
    "renewal term": _fam("duration", {"renewal term": 1.0, "renewal period": 1.0, "renewal": 0.8, "extension period": 0.9,
                                      "automatic renewal": 1.0, "续期": 1.0, "续约期": 1.0, "自动续期": 1.0, "自动续约": 1.0},
                         cues=("renewal", "renew", "renews", "renewed", "extended", "续期", "续约", "续签")),
    "liability cap": _fam("text", {"liability cap": 1.0, "limitation of liability": 1.0, "cap on liability": 1.0,
                                   "maximum liability": 1.0, "liability limit": 1.0, "aggregate liability": 0.9,
                                   "赔偿上限": 1.0, "责任限额": 1.0},
                          cues=("liability", "liable", "赔偿上限", "责任限额")),
    "signatory": _fam("name", {"signatory": 1.0, "authorised signatory": 1.0, "authorized signatory": 1.0,
                               "signed by": 1.0, "signed for": 0.9, "signed on behalf": 1.0, "签字人": 1.0, "签署人": 1.0,
                               "授权代表": 1.0, "授权代表签字": 1.0},
                      cues=("signatory", "signed for", "signed on behalf", "who signed for", "签字人", "签署人", "签字",
                            "签署", "签名")),
    "cashier": _fam("name", {"cashier": 1.0, "served by": 0.9, "operator": 0.8, "staff": 0.7, "收银员": 1.0},
                    excludes=("no",), cues=("cashier", "served", "收银")),
}

_CURRENCY_WORDS = {"rm", "myr", "usd", "eur", "gbp", "cny", "rmb", "sgd", "hkd", "jpy", "aud", "cad", "chf",
                   "inr", "s", "us", "元"}
_INCL = {"incl": "incl", "including": "incl", "inclusive": "incl", "inc": "incl", "included": "incl",
         "with": "incl", "excl": "excl", "excluding": "excl", "exclusive": "excl", "exc": "excl",
         "without": "excl", "ex": "excl", "nos": "no", "num": "no", "nr": "no", "number": "number",
         "telp": "tel", "tel.": "tel", "e-mail": "email"}


def norm_text(text: str) -> str:
    """Lower case, NFKC, punctuation to spaces; ``#`` reads as ``no``; CJK kept."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = t.replace("#", " no ").replace("&", " and ").replace("e-mail", "email")
    t = re.sub(r"[^\w\u3400-\u9fff]+", " ", t).replace("_", " ")
    return re.sub(r"\s+", " ", t).strip()


def tokens(text: str) -> list[str]:
    """Words of a normalised text; CJK characters are tokens of their own."""
    out = []
    for w in norm_text(text).split():
        if CJK.search(w):
            out.extend(re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[^\u3400-\u9fff\uf900-\ufaff]+", w))
        else:
            out.append(w)
    return out


def label_tokens(text: str) -> list[str]:
    """Tokens of a label with currency codes dropped and tax words merged (``Total (RM)`` → ``total``)."""
    return list(_label_tokens(text))


@lru_cache(maxsize=65536)
def _label_tokens(text: str) -> tuple[str, ...]:
    out = []
    for t in tokens(text):
        t = _INCL.get(t, t)
        if t in _CURRENCY_WORDS:
            continue
        if t in _TAX_WORDS:
            t = "tax"
        out.append(t)
    return tuple(out)


def _join(toks) -> str:
    s = " ".join(toks)
    if not CJK.search(s):
        return s
    return re.sub(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])", "", s)


def _contains(hay: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(hay[i:i + n] == needle for i in range(len(hay) - n + 1))


def figures(toks: list[str]) -> list[int]:
    """The numbers among a label's tokens (``01`` and ``1`` alike)."""
    return [int(t) for t in toks if t.isdigit()]


def label_similarity(label: list[str], synonym: list[str]) -> float:
    """How well label tokens match one synonym's tokens (0..1): exact, fuzzy (OCR errors) or containment."""
    if not label or not synonym:
        return 0.0
    if label == synonym:
        return 1.0
    a, b = _join(label), _join(synonym)
    r = fuzz.ratio(a, b) / 100.0
    short = min(len(a), len(b))
    need = 0.8 if short >= 5 else 1.01
    if figures(label) != figures(synonym):
        need = 1.01  # OCR's slips are in letters: "Balance (01 Mar)" is not "balance 15 mar"
    best = r * 0.97 if r >= need else 0.0
    if _contains(label, synonym):
        best = max(best, 0.75 + 0.2 * len(b) / max(len(a), 1))
    return best


def _build_index() -> list[tuple[str, list[str], str, float]]:
    """(family, label tokens, joined, priority) for every family name and label."""
    out = []
    for name, fam in FAMILIES.items():
        for c in [name, *fam["labels"]]:
            toks = label_tokens(c)
            out.append((name, toks, _join(toks), (0.01 if c == name else 0.0) + 0.001 * fam["labels"].get(c, 1.0)))
    return out


_INDEX = _build_index()
_INDEX_JOINED = [j for _, _, j, _ in _INDEX]


@lru_cache(maxsize=512)
def resolve_key(key: str) -> KeySpec:
    """The family of a requested key, or a custom spec that uses the key itself as its label."""
    toks = label_tokens(key)
    joined = _join(toks)
    # direct: a family name or one of its labels
    best, best_s = None, 0.0
    for name, ct, _, prio in _INDEX:
        if ct == toks and 1.0 + prio > best_s:
            best, best_s = name, 1.0 + prio
    if best is None:
        from rapidfuzz import process

        hit = process.extractOne(joined, _INDEX_JOINED, scorer=fuzz.ratio, score_cutoff=90)
        if hit is not None:
            best, best_s = _INDEX[hit[2]][0], hit[1] / 100.0
    if best is not None:
        return _spec(key, best)
    # custom key: its own words are its label; its type from its words
    return KeySpec(key=key, family="custom", vtype=_guess_type(toks), labels=custom_labels(joined),
                   multiline=_guess_type(toks) == "address")


_NUMBER_WORDS = {"number": "no", "no": "number"}


def custom_labels(joined: str) -> tuple[tuple[str, float], ...]:
    """A key's own words as its label, and as a document abbreviates them ("employee number" is also
    "Employee No:", "patient name" also "Patient:", "registration number" "Registration:", "type cover"
    "Cover:")."""
    words = joined.split(" ")
    out = [(joined, 1.0)]
    other = " ".join(_NUMBER_WORDS.get(w, w) for w in words)
    if other != joined:
        out.append((other, 1.0))
    if len(words) > 1 and words[-1] == "name":  # "patient name" is also "Patient:"
        out.append((" ".join(words[:-1]), 0.9))
    if len(words) > 1 and words[-1] in ("number", "no", "date"):  # "registration number" is also
        out.append((" ".join(words[:-1]), 0.85))                  # "Registration:", "arrival date" "Arrival:"
    if len(words) > 1 and words[0] in ("type", "kind"):  # "type of cover": "Cover:"
        out.append((" ".join(words[1:]), 0.9))
    for said, labels in _SAID_AS.items():  # "total quantity": "Total Qty:"
        if f" {said} " in f" {joined} ":
            out += [(f" {joined} ".replace(f" {said} ", f" {lab} ").strip(), 1.0) for lab in labels]
            if said in _SAID_ALONE:  # "the guest's check out": "Departure:"
                out += [(lab, 0.85) for lab in labels if lab != joined]
    return tuple(dict.fromkeys(out))


# what a question says, as a document's label says it
_SAID_AS = {"check out": ("departure", "check out"), "checkout": ("departure", "check out"),
            "check in": ("arrival", "check in"), "checkin": ("arrival", "check in"), "quantity": ("qty",),
            "items": ("item",)}
# of which the label alone says it, whatever the question says with it ("the guest's check out":
# "Departure:"; "the total quantity": "Qty(s):", under a receipt's items)
_SAID_ALONE = {"check out", "checkout", "check in", "checkin", "quantity"}


def _spec(key: str, name: str) -> KeySpec:
    fam = FAMILIES[name]
    labels = [(_join(label_tokens(lab)), w) for lab, w in fam["labels"].items()]
    own = _join(label_tokens(key))
    if own not in dict(labels):
        labels.append((own, 1.0))
    return KeySpec(key=key, family=name, vtype=fam["vtype"], labels=tuple(labels),
                   excludes=tuple(_join(label_tokens(e)) or e for e in fam["excludes"]),
                   fallback=fam["fallback"], multiline=fam["multiline"], cues=fam["cues"])


_TYPE_WORDS = [
    ("date", ("date", "day", "when", "日期", "日")),
    ("money", ("amount", "total", "price", "cost", "fee", "fees", "sum", "balance", "rent", "deposit", "salary", "charge",
               "charges", "金额", "价", "费", "租金", "押金")),
    ("percent", ("percent", "percentage", "rate", "率")),
    ("phone", ("phone", "tel", "fax", "mobile", "电话", "传真")),
    ("email", ("email", "mail", "邮箱")),
    ("iban", ("iban",)),
    ("address", ("address", "地址")),
    ("id", ("number", "no", "id", "code", "ref", "reference", "号", "编号", "代码")),
    ("org", ("company", "vendor", "seller", "buyer", "customer", "name", "party", "bank", "名称", "方", "单位")),
    # the roles a contract names its parties by: a person or a company
    ("name", ("landlord", "tenant", "lessor", "lessee", "licensor", "licensee", "employer", "employee", "consultant",
              "contractor", "subcontractor", "borrower", "lender", "guarantor", "agent", "principal", "owner",
              "purchaser", "client", "provider", "distributor", "franchisor", "franchisee", "insurer", "insured")),
]


def _guess_type(toks: list[str]) -> str:
    s = set(toks) | {_join(toks)}
    for vtype, words in _TYPE_WORDS:
        if any(w in s or (CJK.search(w) and w in _join(toks)) for w in words):
            return vtype
    return "text"
