"""The web page end to end in headless Chromium: upload an invoice, ask for the total, see its box on the page.

Needs Selenium and Debian's ``chromium`` + ``chromium-driver`` (``.ci/run`` installs them); skips otherwise.
"""

from __future__ import annotations

import shutil

import pytest
from serverkit import ServerProcess

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
pytest.importorskip("fastapi", reason='the server extra is not installed (pip install "chatocr[server]")')

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="headless Chromium not found: apt-get install -y chromium chromium-driver",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("web-data")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--no-proxy-server"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)  # a given driver: nothing downloaded
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _rect(driver, el) -> dict:
    return driver.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return {x: r.left, y: r.top, w: r.width, h: r.height};", el)


def _assert_box_drawn(driver, page: dict, bbox: list[float]) -> None:
    """The highlight is visible, non-empty, over the page image, where ``bbox`` (page units) lands."""
    hl = driver.find_element(By.ID, "highlight")
    assert hl.is_displayed()
    img = driver.find_element(By.CSS_SELECTOR, f'.page[data-page="{page["page"]}"] img')
    h, i = _rect(driver, hl), _rect(driver, img)
    assert h["w"] > 5 and h["h"] > 5
    assert i["x"] <= h["x"] and h["x"] + h["w"] <= i["x"] + i["w"] + 1
    assert i["y"] <= h["y"] and h["y"] + h["h"] <= i["y"] + i["h"] + 1
    scale = i["w"] / page["width"]
    assert abs(h["x"] - (i["x"] + bbox[0] * scale)) < 8 and abs(h["y"] - (i["y"] + bbox[1] * scale)) < 8
    assert abs(h["w"] - (bbox[2] - bbox[0]) * scale) < 12 and abs(h["h"] - (bbox[3] - bbox[1]) * scale) < 12


def test_upload_ask_and_see_the_evidence_box(server, browser, tmp_path):
    from docgen import invoice_pdf

    data, truth = invoice_pdf(41)
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(data)
    wait = WebDriverWait(browser, 120)
    browser.get(server.url + "/")
    browser.find_element(By.ID, "file").send_keys(str(pdf))
    wait.until(lambda d: d.find_element(By.ID, "tools").is_displayed())
    wait.until(lambda d: d.execute_script(
        "const i = document.querySelector('.page img'); return !!i && i.complete && i.naturalWidth > 0"))
    assert "ready" in browser.find_element(By.ID, "status").text

    browser.find_element(By.ID, "question").send_keys("What is the total?")
    browser.find_element(By.ID, "ask-btn").click()
    answer = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#answers .answer .a"))[0]
    assert answer.text == truth.pairs["Total"]
    evidence = browser.find_element(By.CSS_SELECTOR, "#answers .evidence")
    assert truth.pairs["Total"] in evidence.text and "page 1" in evidence.text

    doc = server_document(server, browser)
    page = doc["pages"][0]
    browser.find_element(By.ID, "keys").send_keys("Invoice No, Total")
    browser.find_element(By.ID, "extract-btn").click()
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#fields tbody tr.found"))
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == [truth.pairs["Invoice No"], truth.pairs["Total"]]
    rows[0].click()  # the invoice number's box …
    number_box = _field_bbox(server, doc["id"], "Invoice No")
    wait.until(lambda d: abs(_rect(d, d.find_element(By.ID, "highlight"))["y"] - _rect(d, d.find_element(
        By.CSS_SELECTOR, ".page img"))["y"] - number_box[1] * _scale(d, page)) < 8)
    _assert_box_drawn(browser, page, number_box)

    evidence.click()  # … then back to the total's evidence
    ev_box = [float(v) for v in evidence.get_attribute("data-bbox").strip("[]").split(",")]
    wait.until(lambda d: abs(_rect(d, d.find_element(By.ID, "highlight"))["y"] - _rect(d, d.find_element(
        By.CSS_SELECTOR, ".page img"))["y"] - ev_box[1] * _scale(d, page)) < 8)
    _assert_box_drawn(browser, page, ev_box)

    browser.find_element(By.ID, "regions").click()  # the layout-regions view keeps the box in place
    wait.until(lambda d: d.execute_script(
        "const i = document.querySelector('.page img'); return i.complete && i.naturalWidth > 0"))
    browser.set_window_size(900, 900)  # a resize rescales it
    wait.until(lambda d: abs(_rect(d, d.find_element(By.ID, "highlight"))["w"] - (ev_box[2] - ev_box[0])
                             * _scale(d, page)) < 12)
    _assert_box_drawn(browser, page, ev_box)

    browser.find_element(By.ID, "pdf-btn").click()  # the searchable PDF, fetched with the page's token
    wait.until(lambda d: "searchable PDF saved" in d.find_element(By.ID, "status").text)


def server_document(server, browser) -> dict:
    doc_id = browser.execute_script("return state.doc.id")
    with server.client() as c:
        return c.get(f"/v1/documents/{doc_id}").json()["document"]


def _field_bbox(server, doc_id: str, key: str) -> list[float]:
    with server.client() as c:
        return c.post(f"/v1/documents/{doc_id}/extract", json={"keys": [key]}).json()["fields"][key]["bbox"]


def _scale(driver, page: dict) -> float:
    return _rect(driver, driver.find_element(By.CSS_SELECTOR, ".page img"))["w"] / page["width"]
