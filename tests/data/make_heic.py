"""Writes the HEIC test images next to this file.  Neither Pillow nor pi-heif (chatocr's decoder)
encodes HEIC, so the images are kept in the repository; to make them again (same content, not
necessarily the same bytes):

    pip install --target /tmp/pillow-heif pillow-heif && PYTHONPATH=/tmp/pillow-heif python tests/data/make_heic.py

- ``slip.heic``: two lines of black text on white, 600 x 200, upright.
- ``slip-turned.heic``: the same picture stored on its side, with the HEIF transform (an ``irot``
  box, as phones write) that stands it upright for display.
"""

from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
LINES = ("TOTAL RM 12.50", "Thank you")


def slip() -> Image.Image:
    font = ImageFont.truetype("DejaVuSans.ttf", 32)
    im = Image.new("RGB", (600, 200), "white")
    draw = ImageDraw.Draw(im)
    for k, text in enumerate(LINES):
        draw.text((20, 40 + 70 * k), text, font=font, fill="black")
    return im


def main() -> None:
    pillow_heif.register_heif_opener()
    im = slip()
    im.save(HERE / "slip.heic", quality=60)
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to display: pillow-heif writes it as an irot box
    im.transpose(Image.Transpose.ROTATE_90).save(HERE / "slip-turned.heic", quality=60, exif=exif.tobytes())


if __name__ == "__main__":
    main()
