"""chatocr.io.loader: every input kind becomes PageImages; every bad one a typed, one-line error."""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest
from chatocr_testkit import BAD_INPUTS, DATA_DIR, ENCRYPTED_PASSWORD, png_bomb
from PIL import Image

import chatocr.errors as errors
from chatocr.io import PageImage, detect_format, iter_pages, page_count
from chatocr.options import LoaderOptions


def load(source, **options) -> list[PageImage]:
    return list(iter_pages(source, LoaderOptions(**options) if options else None))


def assert_one_line_naming(err: Exception, name: str) -> None:
    msg = str(err)
    assert "\n" not in msg, msg
    assert name in msg, msg
    assert "object at 0x" not in msg, msg  # no Python reprs leaking from a library


# -- bad inputs --------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_typed_one_line_error(case, bad_files):
    path = bad_files[case]
    expected = getattr(errors, BAD_INPUTS[case][2])
    with pytest.raises(expected) as info:
        load(path)
    assert isinstance(info.value, errors.InputError)
    assert isinstance(info.value, errors.ChatOCRError)
    assert info.value.source == str(path)
    assert_one_line_naming(info.value, str(path))


@pytest.mark.parametrize("case", ["empty", "png-truncated", "text-file", "zip-as-pdf", "pdf-encrypted", "png-bomb"])
def test_bad_bytes_raise_the_same_errors(case, bad_files):
    expected = getattr(errors, BAD_INPUTS[case][2])
    with pytest.raises(expected) as info:
        load(bad_files[case].read_bytes())
    assert_one_line_naming(info.value, "<bytes>")


@pytest.mark.parametrize("case", ["empty", "png-truncated", "pdf-encrypted"])
def test_named_bytes_are_named_in_errors(case, bad_files):
    from chatocr.io import NamedBytes

    with pytest.raises(getattr(errors, BAD_INPUTS[case][2])) as info:
        load(NamedBytes(bad_files[case].read_bytes(), "<stdin>"))
    assert_one_line_naming(info.value, "<stdin>")
    assert info.value.source == "<stdin>"


def test_error_messages_say_what_is_wrong(bad_files):
    def message(case: str) -> str:
        with pytest.raises(errors.InputError) as info:
            load(bad_files[case])
        return str(info.value)

    assert "not found" in message("missing")
    assert "directory" in message("directory")
    assert "empty" in message("empty")
    assert "ZIP" in message("zip-as-pdf")
    assert "password" in message("pdf-encrypted")
    assert "no pages" in message("pdf-zero-pages")
    assert "40000x40000" in message("png-bomb")


def test_decompression_bomb_is_refused_from_its_header():
    data = png_bomb(40_000, 40_000)  # 1.6 gigapixels in ~300 KB
    assert len(data) < 1_000_000
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(errors.DocumentTooLarge, match="over the limit"):
        load(data)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    kib = 1024 if sys.platform == "darwin" else 1  # ru_maxrss: bytes on macOS, KiB on Linux
    assert grown / kib < 100_000  # well under 100 MB: nothing was decoded
    with pytest.raises(errors.DocumentTooLarge):
        page_count(data)


def test_max_pixels_option_is_the_limit(render):
    png = render.encode(np.full((100, 100, 3), 255, np.uint8))
    with pytest.raises(errors.DocumentTooLarge, match="10,000 pixels, over the limit of 9,999"):
        load(png, max_pixels=9_999)
    with pytest.raises(errors.DocumentTooLarge):
        load(np.zeros((100, 100), np.uint8), max_pixels=9_999)
    assert len(load(png, max_pixels=10_000)) == 1


def test_pillow_global_limit_does_not_override_options(render, monkeypatch):
    # Pillow's own bomb limit (a global) used to refuse images the options allow.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    png = render.encode(np.full((100, 100, 3), 255, np.uint8))
    assert load(png)[0].image.shape == (100, 100, 3)
    assert Image.MAX_IMAGE_PIXELS == 1_000  # restored afterwards


def test_oversized_later_frame_is_too_large_not_corrupt(render):
    frames = [Image.new("RGB", (10, 10)), Image.new("RGB", (100, 100))]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(errors.DocumentTooLarge, match="page 2 is 100x100") as info:
        load(tiff, max_pixels=5_000)
    assert "corrupt" not in str(info.value)


def test_max_pages_option(render):
    frames = [Image.new("RGB", (30, 20), "white") for _ in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(errors.DocumentTooLarge, match="3 pages"):
        load(tiff, max_pages=2)
    pdf = render.pdf([[], [], []])
    with pytest.raises(errors.DocumentTooLarge, match="3 pages"):
        load(pdf, max_pages=2)


def test_page_count_refuses_what_reading_refuses(render):
    frames = [Image.new("RGB", (30, 20), "white") for _ in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    assert page_count(tiff, LoaderOptions(max_pages=3)) == 3
    assert page_count(tiff, LoaderOptions(max_pages=1, pages=(2,))) == 3
    for doc in (tiff, render.pdf([[], [], []])):
        with pytest.raises(errors.DocumentTooLarge, match="3 pages"):
            page_count(doc, LoaderOptions(max_pages=2))


# -- page selection ------------------------------------------------------------------


def test_pages_option_reads_only_those_pages(render):
    pdf = render.pdf([[(20, 40, f"page {i}")] for i in range(1, 6)])
    pages = load(pdf, pages="4,1-2")
    assert [p.page for p in pages] == [1, 2, 4]  # the file's own numbers, in its order
    frames = [Image.new("RGB", (30 + 10 * i, 20), "white") for i in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages = load(tiff, pages=(3,))
    assert [(p.page, p.image.shape[1]) for p in pages] == [(3, 50)]


def test_max_pages_counts_the_pages_asked_for(render):
    pdf = render.pdf([[], [], []])
    assert [p.page for p in load(pdf, max_pages=2, pages="2-3")] == [2, 3]
    with pytest.raises(errors.DocumentTooLarge, match="3 pages asked for, over the limit of 2"):
        load(pdf, max_pages=2, pages="1-3")
    frames = [Image.new("RGB", (30, 20), "white") for _ in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    assert [p.page for p in load(tiff, max_pages=1, pages=(3,))] == [3]


@pytest.mark.parametrize("kind", ["pdf", "tiff", "png", "array"])
def test_a_page_the_document_does_not_have_is_an_input_error(render, kind):
    frames = [Image.new("RGB", (30, 20), "white") for _ in range(3)]
    source = {
        "pdf": lambda: render.pdf([[], [], []]),
        "tiff": lambda: render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
        "png": lambda: render.encode(frames[0], "PNG"),
        "array": lambda: np.zeros((20, 30, 3), np.uint8),
    }[kind]()
    has = "has 1 page" if kind in ("png", "array") else "has 3 pages"
    with pytest.raises(errors.PageOutOfRange, match=f"page 4, 7 asked for, but the .* {has}$") as info:
        load(source, pages=(1, 4, 7))
    assert isinstance(info.value, errors.InputError) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "pages"), [("3", (3,)), ("1-3,5", (1, 2, 3, 5)), (" 5, 2-3 ,2", (2, 3, 5)), ((4, 1, 4), (1, 4))]
)
def test_pages_spelled_as_a_list_or_ranges(spec, pages):
    assert LoaderOptions(pages=spec).pages == pages


@pytest.mark.parametrize("spec", ["0", "3-1", "a", "1-", "-2", "1,,2", "", (), (0,)])
def test_pages_that_are_not_pages_are_refused(spec):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        LoaderOptions(pages=spec)


# -- encrypted PDFs ------------------------------------------------------------------


def test_encrypted_pdf_with_the_right_password(bad_files):
    pages = load(bad_files["pdf-encrypted"], password=ENCRYPTED_PASSWORD)
    assert len(pages) == 1
    assert pages[0].image.min() < 128  # the text was rendered


def test_encrypted_pdf_with_a_wrong_password(bad_files):
    path = bad_files["pdf-encrypted"]
    with pytest.raises(errors.EncryptedDocument, match="wrong") as info:
        load(path, password="not-it")
    assert_one_line_naming(info.value, str(path))


def test_password_never_shows_in_options_repr():
    assert ENCRYPTED_PASSWORD not in repr(LoaderOptions(password=ENCRYPTED_PASSWORD))


# -- format detection ------------------------------------------------------------------


def test_format_is_detected_by_content_not_name(render, write):
    png = render.encode(np.full((20, 30, 3), 255, np.uint8))
    assert load(write("photo.pdf", png))[0].unit == "px"
    pdf = render.pdf([[(20, 40, "Hi")]])
    assert load(write("scan.jpg", pdf))[0].unit == "pt"


@pytest.mark.parametrize(
    "head, fmt",
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x00junk before the header %PDF-1.4\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        (b"BM\x00\x00", "bmp"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a\x01\x00", "gif"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14", "jpeg2000"),
        (b"\xff\x4f\xff\x51\x00\x2f", "jpeg2000"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heif"),  # brand in the compatible list
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", "avif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # an MP4 video
        (b"\x00\x00\x00\xffftypheic", None),  # its first box runs past what was read
        (b"PK\x03\x04", None),
        (b"hello", None),
        (b"", None),
    ],
)
def test_detect_format(head, fmt):
    assert detect_format(head) == fmt


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP", "GIF", "TIFF", "AVIF", "JPEG2000"])
def test_every_image_format_loads(render, fmt):
    img = np.full((24, 40, 3), 255, np.uint8)
    img[:, :20] = 0
    (page,) = load(render.encode(img, fmt, **({"quality": 90} if fmt == "AVIF" else {})))
    assert page.image.shape == (24, 40, 3) and page.image.dtype == np.uint8
    assert page.image[:, :15].max() < 40 and page.image[:, 25:].min() > 215
    assert (page.page, page.width, page.height, page.unit, page.scale) == (1, 40.0, 24.0, "px", 1.0)


# -- images ----------------------------------------------------------------------------


def test_multipage_tiff_yields_every_page(render):
    frames = [Image.new("RGB", (50 + 10 * i, 40), (0, 0, 60 * i)) for i in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages = load(tiff)
    assert [p.page for p in pages] == [1, 2, 3]
    assert [p.image.shape for p in pages] == [(40, 50, 3), (40, 60, 3), (40, 70, 3)]
    assert [int(p.image[0, 0, 0]) for p in pages] == [0, 60, 120]  # BGR: blue first
    assert page_count(tiff) == 3


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize(
    ("size", "options", "read"),
    [
        ((4000, 6000), {}, (2000, 3000)),  # a big scan: the long side brought to max_side
        ((900, 9000), {}, (900, 9000)),  # a long receipt strip: its short side is under min_side already
        ((1500, 6000), {}, (1000, 4000)),  # reduced only as far as the short side allows
        ((1500, 6000), {"min_side": None}, (750, 3000)),
        ((900, 9000), {"max_side": None}, (900, 9000)),
        ((2000, 2500), {}, (2000, 2500)),  # within max_side
    ],
)
def test_large_images_are_read_reduced_but_never_narrower_than_min_side(render, fmt, size, options, read):
    w, h = size
    img = np.full((h, w, 3), 255, np.uint8)
    img[h // 2 :, : w // 2] = 0  # a dark quarter, to find again in the reduced image
    (page,) = load(render.encode(img, fmt, **({"quality": 90} if fmt == "JPEG" else {})), **options)
    got_h, got_w = page.image.shape[:2]
    if fmt == "JPEG" and read != size:
        # decoded straight at 1/2, 1/4 or 1/8 scale: the smallest still at least the size asked
        assert read[0] <= got_w < 2 * read[0] and read[1] <= got_h < 2 * read[1]
    else:
        assert (got_w, got_h) == read
    assert (page.width, page.height) == (float(w), float(h))  # coordinates stay in the original pixels
    assert page.scale == pytest.approx(w / got_w)
    assert page.image[int(got_h * 0.75), int(got_w * 0.25)].max() < 40
    assert page.image[int(got_h * 0.25), int(got_w * 0.75)].min() > 215


def test_arrays_are_reduced_as_images_are():
    strip = np.full((9000, 900, 3), 255, np.uint8)
    assert load(strip)[0].image.shape == (9000, 900, 3)
    (page,) = load(np.full((6000, 1500), 255, np.uint8))
    assert page.image.shape == (4000, 1000, 3) and page.scale == pytest.approx(1.5)

def test_pages_are_yielded_lazily(render):
    frames = [Image.new("L", (10, 10), 255) for _ in range(3)]
    tiff = render.encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    it = iter_pages(tiff)
    assert next(it).page == 1  # a generator, not a list built up front
    assert [p.page for p in it] == [2, 3]


def test_exif_orientation_is_applied(render):
    im = Image.new("RGB", (80, 40), "white")
    im.paste((0, 0, 0), (0, 0, 20, 20))  # a black square at the top-left
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    (page,) = load(render.encode(im, "JPEG", exif=exif.tobytes(), quality=95))
    assert page.image.shape == (80, 40, 3)
    assert (page.width, page.height) == (40.0, 80.0)
    gray = page.image.mean(axis=2)
    assert gray[:20, 20:].mean() < 60  # the square is now at the top-right
    assert gray[:20, :20].mean() > 200


@pytest.mark.parametrize("name", ["slip.heic", "slip-turned.heic"])
def test_heic_photos_load_upright(name):
    """A phone's HEIC photo: decoded by pi-heif, stood upright by the file's own transform (the
    second file holds the picture on its side, with an irot box, as phones write it)."""
    (page,) = load(DATA_DIR / name)
    assert (page.width, page.height, page.image.shape) == (600.0, 200.0, (200, 600, 3))
    ink = page.image.min(axis=2) < 128
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    # the text's two lines start at x = 20, at y = 40 and 110 (see tests/data/make_heic.py)
    assert 15 <= cols[0] <= 30 and 35 <= rows[0] <= 55 and rows[-1] < 160
    assert page_count(DATA_DIR / name) == 1


def test_heic_without_pi_heif_is_an_unsupported_format(monkeypatch):
    from chatocr.io import loader

    loader._heif_opener.cache_clear()
    monkeypatch.setitem(sys.modules, "pi_heif", None)  # import pi_heif raises ImportError
    try:
        with pytest.raises(errors.UnsupportedFormat) as info:
            load(DATA_DIR / "slip.heic")
        assert_one_line_naming(info.value, "slip.heic")
        assert "pip install pi-heif" in str(info.value)
    finally:
        loader._heif_opener.cache_clear()


def test_a_decoders_message_is_kept_on_one_line():
    err = errors.UnreadableDocument("scan.heic", "corrupt (Invalid input:\nextent past the end of file\n)")
    assert str(err) == "scan.heic: corrupt (Invalid input: extent past the end of file )"


def test_png_alpha_is_composited_on_white(render):
    im = Image.new("RGBA", (30, 10), (255, 0, 0, 0))  # transparent red
    im.paste((0, 0, 255, 255), (0, 0, 10, 10))  # opaque blue
    im.paste((0, 0, 0, 128), (10, 0, 20, 10))  # half-transparent black
    (page,) = load(render.encode(im, "PNG"))
    assert page.image[5, 5].tolist() == [255, 0, 0]  # BGR blue
    assert abs(int(page.image[5, 15, 0]) - 127) <= 2  # black at half alpha on white
    assert page.image[5, 25].tolist() == [255, 255, 255]  # invisible red is white


@pytest.mark.parametrize("mode", ["LA", "P"])
def test_other_transparent_modes_are_composited(render, mode):
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (0, 0, 10, 10))
    im = rgba.convert("LA") if mode == "LA" else rgba.convert("P", palette=Image.Palette.ADAPTIVE)
    if mode == "P":
        im.info["transparency"] = im.getpixel((15, 5))
    (page,) = load(render.encode(im, "PNG"))
    assert page.image[5, 5].tolist() == [0, 0, 0]
    assert page.image[5, 15].tolist() == [255, 255, 255]


def test_16_bit_grayscale_png_is_scaled_to_8_bits(render):
    arr = np.zeros((10, 20), np.uint16)
    arr[:, 10:] = 65535
    (page,) = load(render.encode(Image.fromarray(arr), "PNG"))
    assert page.image[0, 0].tolist() == [0, 0, 0]
    assert page.image[0, 15].tolist() == [255, 255, 255]


# -- arrays and bytes --------------------------------------------------------------------


def test_grayscale_array():
    arr = np.full((10, 20), 100, np.uint8)
    (page,) = load(arr)
    assert page.image.shape == (10, 20, 3)
    assert (page.image == 100).all()
    assert (page.width, page.height, page.unit, page.scale) == (20.0, 10.0, "px", 1.0)
    assert load(arr[:, :, None])[0].image.shape == (10, 20, 3)


def test_bgr_array_is_kept_as_is():
    arr = np.zeros((10, 20, 3), np.uint8)
    arr[..., 0] = 200  # blue
    (page,) = load(arr)
    assert page.image[0, 0].tolist() == [200, 0, 0]


def test_bgra_array_is_composited_on_white():
    arr = np.zeros((10, 20, 4), np.uint8)
    arr[..., 0] = 255  # blue everywhere
    arr[:, 10:, 3] = 255  # opaque on the right only
    (page,) = load(arr)
    assert page.image[0, 0].tolist() == [255, 255, 255]
    assert page.image[0, 15].tolist() == [255, 0, 0]


def test_float_array_in_unit_range_is_scaled():
    (page,) = load(np.full((4, 4, 3), 0.5, np.float32))
    assert page.image.dtype == np.uint8 and int(page.image[0, 0, 0]) == 127


@pytest.mark.parametrize(
    "arr, exc",
    [
        (np.zeros((0, 5), np.uint8), errors.UnreadableDocument),
        (np.zeros((5, 5, 2), np.uint8), errors.UnsupportedFormat),
        (np.zeros((2, 5, 5, 3), np.uint8), errors.UnsupportedFormat),
    ],
)
def test_bad_arrays(arr, exc):
    with pytest.raises(exc) as info:
        load(arr)
    assert_one_line_naming(info.value, "<array")


def test_bytes_input(render):
    img = np.full((30, 50, 3), 255, np.uint8)
    img[10:20, 10:40] = 0
    (from_bytes,) = load(render.encode(img, "PNG"))
    assert np.array_equal(from_bytes.image, img)


def test_path_and_str_inputs_agree(render, write):
    path = write("page.png", render.encode(np.full((30, 50, 3), 200, np.uint8)))
    a, b = load(path)[0], load(str(path))[0]
    assert np.array_equal(a.image, b.image)


# -- PDFs ------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [100, 300])
def test_pdf_page_size_is_in_points_whatever_the_dpi(render, dpi):
    pdf = render.pdf([[(40, 80, "Hello")]], size=(400, 300))
    (page,) = load(pdf, dpi=dpi)
    assert page.unit == "pt"
    assert (page.width, page.height) == (400.0, 300.0)
    h, w = page.image.shape[:2]
    assert abs(w - 400 * dpi / 72) <= 1 and abs(h - 300 * dpi / 72) <= 1
    assert page.scale == pytest.approx(72 / dpi, rel=0.01)
    assert page.scale * w == pytest.approx(400, abs=0.01)


def test_pdf_text_lands_on_the_same_points_at_any_dpi(render):
    pdf = render.pdf([[(100, 150, "XXXX")]], size=(400, 300), fontsize=24)

    def ink_box(dpi: int) -> np.ndarray:
        (page,) = load(pdf, dpi=dpi)
        ys, xs = np.nonzero(page.image.min(axis=2) < 128)
        return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) * page.scale

    assert np.allclose(ink_box(100), ink_box(300), atol=1.5)


def test_multipage_pdf(render):
    pdf = render.pdf([[(20, 40, "one")], [(20, 40, "two")], []])
    pages = load(pdf, dpi=72)
    assert [p.page for p in pages] == [1, 2, 3]
    assert page_count(pdf) == 3
    assert pages[2].image.min() == 255  # a blank page is a page, not an error


def test_pdf_with_junk_before_its_header(render):
    pdf = b"garbage from a mail gateway\n" + render.pdf([[(20, 40, "Hi")]])
    (page,) = load(pdf, dpi=72)
    assert page.unit == "pt"


def test_named_bytes_reach_a_worker_process_with_their_name():
    """Workers are not forked (``chatocr._pool.start_method``): what they are sent is pickled."""
    import pickle

    from chatocr._pool import start_method
    from chatocr.io import NamedBytes

    sent = pickle.loads(pickle.dumps(NamedBytes(b"%PDF-1.7 ...", "<stdin>")))
    assert isinstance(sent, NamedBytes) and sent == b"%PDF-1.7 ..." and sent.name == "<stdin>"
    assert start_method().get_start_method() != "fork"
