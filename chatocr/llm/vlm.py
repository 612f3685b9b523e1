"""Vision-language models over the same OpenAI-compatible API: page images go in as image parts.

:func:`image_part` turns an image (encoded bytes, a PIL image or an RGB array) into an
``image_url`` content part holding a base64 data URL, shrunk to fit a side and a byte limit: PNG
when that is small enough (crisp text), JPEG otherwise.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

from pydantic import Field

from ..errors import LLMRequestError
from .openai_compat import OpenAIClient, OpenAIOptions, _options
from .spec import LLMSpec, parse_llm_spec

__all__ = ["VLMOptions", "VLMClient", "image_part", "MAX_IMAGE_SIDE", "MAX_IMAGE_BYTES"]

log = logging.getLogger(__name__)

MAX_IMAGE_SIDE = 1600  # px on the long side: enough for A4 text, within every major API's limit
MAX_IMAGE_BYTES = 3_500_000  # encoded bytes before base64 (APIs cap requests at 5–20 MB)


class VLMOptions(OpenAIOptions):
    """:class:`OpenAIOptions` plus image limits."""

    max_image_side: int = Field(MAX_IMAGE_SIDE, ge=64, description="Longest image side sent, in pixels")
    max_image_bytes: int = Field(MAX_IMAGE_BYTES, ge=10_000, description="Largest encoded image sent")
    image_detail: str | None = Field("high", description="OpenAI's image detail hint (None: not sent)")


class VLMClient(OpenAIClient):
    """An OpenAI-compatible client for a vision model; see :func:`image_part`."""

    vision = True

    def __init__(self, spec: LLMSpec | str, **options) -> None:
        spec = parse_llm_spec(spec)
        limits = {k: options.pop(k) for k in ("max_image_side", "max_image_bytes", "image_detail") if k in options}
        super().__init__(spec, **options)
        self.options: VLMOptions = _options(self.spec, VLMOptions, {**options, **limits})  # type: ignore[assignment]

    def image_part(self, image: Any) -> dict:
        return image_part(
            image,
            max_side=self.options.max_image_side,
            max_bytes=self.options.max_image_bytes,
            detail=self.options.image_detail,
        )


def _to_pil(image: Any):
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    if isinstance(image, (bytes, bytearray, memoryview)):
        try:
            img = Image.open(io.BytesIO(bytes(image)))
            img.load()
        except Exception as e:  # noqa: BLE001 - PIL raises many types for bad data
            raise LLMRequestError(f"image part: the bytes are not an image PIL can read ({e})") from e
        return img
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        np = None
    if np is not None and isinstance(image, np.ndarray):
        arr = image
        if arr.dtype != np.uint8:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        return Image.fromarray(arr)
    raise LLMRequestError(f"image part: expected bytes, a PIL image or an array, got {type(image).__name__}")


def image_part(
    image: Any, *, max_side: int = MAX_IMAGE_SIDE, max_bytes: int = MAX_IMAGE_BYTES, detail: str | None = "high"
) -> dict:
    """An OpenAI ``image_url`` content part for ``image``: a data URL within ``max_side`` and ``max_bytes``."""
    from PIL import Image

    img = _to_pil(image)
    if img.mode not in ("RGB", "L"):
        if img.mode in ("RGBA", "LA", "P"):
            img = img.convert("RGBA")
            bg = Image.new("RGB", img.size, (255, 255, 255))
            bg.paste(img, mask=img.getchannel("A"))
            img = bg
        else:
            img = img.convert("RGB")
    side = max(img.size)
    if side > max_side:
        scale = max_side / side
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    data, mime = _encode(img, max_bytes)
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    part: dict = {"type": "image_url", "image_url": {"url": url}}
    if detail:
        part["image_url"]["detail"] = detail
    return part


def _encode(img, max_bytes: int) -> tuple[bytes, str]:
    from PIL import Image

    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    if buf.tell() <= max_bytes:
        return buf.getvalue(), "image/png"
    for quality in (90, 80, 70, 55, 40):
        while True:
            buf = io.BytesIO()
            img.convert("RGB").save(buf, format="JPEG", quality=quality)
            if buf.tell() <= max_bytes or quality > 40 or max(img.size) <= 256:
                break
            # lowest quality still too big: shrink
            img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)), Image.LANCZOS)
        if buf.tell() <= max_bytes:
            return buf.getvalue(), "image/jpeg"
    raise LLMRequestError(f"image part: cannot encode a {img.width}x{img.height} image within {max_bytes} bytes")
