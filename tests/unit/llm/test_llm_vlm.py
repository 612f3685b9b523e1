"""The VLM path: image parts built, size-limited and sent through the real ``openai`` client."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from llm_chat_server import SECRET
from PIL import Image, ImageDraw

pytest.importorskip("openai")

from chatocr.errors import LLMRequestError  # noqa: E402
from chatocr.llm import FakeLLM, avlm_extract, create_llm, vlm_extract  # noqa: E402
from chatocr.llm.vlm import VLMClient, image_part  # noqa: E402


def page_png(size=(400, 300), text="TOTAL 12.30") -> bytes:
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).text((20, 20), text, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def decode(part: dict) -> tuple[str, Image.Image]:
    url = part["image_url"]["url"]
    head, data = url.split(",", 1)
    mime = head.removeprefix("data:").removesuffix(";base64")
    return mime, Image.open(io.BytesIO(base64.b64decode(data)))


def test_vlm_extract_sends_image_parts(chat_server):
    chat_server.enqueue('{"Total": "12.30", "Date": null}')
    client = create_llm(f"vlm:test-vl@{chat_server.url}", api_key=SECRET, timeout=2.0)
    assert isinstance(client, VLMClient) and client.vision
    values = vlm_extract(client, ["Total", "Date"], [page_png(), page_png(text="page 2")], lang="en")
    assert values == {"Total": "12.30", "Date": None}
    messages = chat_server.requests[0]["json"]["messages"]
    user = messages[-1]["content"]
    assert isinstance(user, list) and user[0]["type"] == "text" and '["Total", "Date"]' in user[0]["text"]
    images = [p for p in user if p["type"] == "image_url"]
    assert len(images) == 2
    mime, img = decode(images[0])
    assert mime == "image/png" and img.size == (400, 300)
    assert images[0]["image_url"]["detail"] == "high"


def test_vlm_options_limit_the_image(chat_server):
    chat_server.enqueue('{"Total": "12.30"}')
    client = create_llm(f"vlm:test-vl@{chat_server.url}", api_key=SECRET, max_image_side=200, image_detail=None)
    vlm_extract(client, ["Total"], [page_png(size=(1000, 500))], lang="en")
    part = chat_server.requests[0]["json"]["messages"][-1]["content"][1]
    assert "detail" not in part["image_url"]
    assert decode(part)[1].size == (200, 100)


def test_vlm_async(chat_server):
    import asyncio

    chat_server.enqueue('{"Total": "12.30"}')
    client = create_llm(f"vlm:test-vl@{chat_server.url}", api_key=SECRET)
    assert asyncio.run(avlm_extract(client, ["Total"], [page_png()], lang="en")) == {"Total": "12.30"}


def test_vlm_extract_without_images_makes_no_call():
    fake = FakeLLM()
    assert vlm_extract(fake, ["Total"], []) == {"Total": None}
    assert fake.calls == []


def test_vlm_failure_strings_are_none():
    fake = FakeLLM('{"发票号码": "未知", "金额": "¥12.30"}')
    assert vlm_extract(fake, ["发票号码", "金额"], [page_png()]) == {"发票号码": None, "金额": "¥12.30"}
    assert "以下是 1 张文档图片" in fake.prompt_text()  # Chinese keys pick the Chinese prompt


def test_image_part_big_noisy_image_becomes_jpeg_within_the_byte_limit():
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 255, size=(800, 800, 3), dtype=np.uint8)  # PNG cannot compress noise
    part = image_part(noisy, max_side=800, max_bytes=200_000)
    mime, img = decode(part)
    assert mime == "image/jpeg"
    assert len(base64.b64decode(part["image_url"]["url"].split(",", 1)[1])) <= 200_000


def test_image_part_accepts_pil_and_rgba():
    img = Image.new("RGBA", (50, 40), (255, 0, 0, 128))
    mime, out = decode(image_part(img))
    assert mime == "image/png" and out.mode == "RGB" and out.size == (50, 40)


def test_image_part_rejects_garbage():
    with pytest.raises(LLMRequestError, match="not an image"):
        image_part(b"not an image at all")
    with pytest.raises(LLMRequestError, match="expected bytes"):
        image_part(12345)
