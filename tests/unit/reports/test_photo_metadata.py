"""Stored photos and thumbnails carry pixels only: no EXIF (maker notes, GPS), XMP, ICC profile,
JPEG comment or APPn segment, PNG text chunk; and decoding stays within its memory budget."""

from __future__ import annotations

import io
import struct
import threading
import time

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from urbanops.core.errors import InvalidInput, RateLimited
from urbanops.core.settings import get_settings
from urbanops.reports import photos
from urbanops.reports.photos import decode_cost, process

MARKERS = [b"SECRET-COMMENT", b"SECRET-XMP", b"SECRET-MAKER", b"SECRET-TEXT", b"SECRET-ICC"]
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b"<rdf:RDF><rdf:Description>SECRET-XMP</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def icc_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    raw = bytearray(profile.tobytes())
    return bytes(raw) + b"SECRET-ICC"  # trailing bytes survive a profile that is copied


def exif() -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "SECRET-MAKER"  # make
    data[0x927C] = b"SECRET-MAKER notes"  # maker note
    gps = data.get_ifd(0x8825)
    gps.update({1: "N", 2: (22.0, 49.0, 8.0), 3: "E", 4: (113.0, 41.0, 48.0)})
    return data


def picture(size: tuple[int, int] = (640, 480)) -> Image.Image:
    img = Image.new("RGB", size)
    img.paste((200, 40, 40), (0, 0, size[0] // 2, size[1]))
    return img


def splice_app1_xmp(jpeg: bytes) -> bytes:
    """An XMP APP1 segment right after SOI, as cameras write it."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def jpeg_with_everything() -> bytes:
    buf = io.BytesIO()
    picture().save(
        buf,
        "JPEG",
        exif=exif(),
        icc_profile=icc_profile(),
        comment=b"SECRET-COMMENT",
        dpi=(300, 300),
    )
    return splice_app1_xmp(buf.getvalue())


def png_with_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SECRET-TEXT")  # tEXt
    info.add_text("comment", "SECRET-TEXT lower")  # read back as info["comment"]
    info.add_itxt("Description", "SECRET-TEXT itxt", lang="zh", tkey="说明")  # iTXt
    info.add_text("Author", "SECRET-TEXT ztxt", zip=True)  # zTXt
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buf = io.BytesIO()
    picture().save(buf, "PNG", pnginfo=info, exif=exif(), icc_profile=icc_profile())
    return buf.getvalue()


def webp_with_everything() -> bytes:
    buf = io.BytesIO()
    picture().save(buf, "WEBP", exif=exif(), icc_profile=icc_profile(), xmp=XMP)
    return buf.getvalue()


def segments(jpeg: bytes) -> list[int]:
    """The markers of a JPEG's segments up to the start of scan."""
    assert jpeg[:2] == b"\xff\xd8"
    out, pos = [], 2
    while pos < len(jpeg):
        assert jpeg[pos] == 0xFF, f"not a marker at {pos}"
        marker = jpeg[pos + 1]
        out.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", jpeg[pos + 2 : pos + 4])
        pos += 2 + length
    return out


@pytest.mark.parametrize(
    "make",
    [jpeg_with_everything, png_with_everything, webp_with_everything],
    ids=lambda f: f.__name__,
)
def test_every_metadata_block_is_stripped(make: object) -> None:
    data = make()  # type: ignore[operator]
    present = [m for m in MARKERS if m in data]
    assert len(present) >= 3, "the input must carry the blocks the test looks for"
    out = process(data)
    assert out.gps == pytest.approx((22.8189, 113.6967), abs=1e-3)  # read before stripping
    for blob in (out.image, out.thumb):
        for marker in MARKERS + [b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com"]:
            assert marker not in blob
        with Image.open(io.BytesIO(blob)) as stored:
            assert stored.format == "JPEG"
            assert not {"exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp"} & set(
                stored.info
            )
            assert dict(stored.getexif()) == {}
        app_or_com = [m for m in segments(blob) if 0xE0 <= m <= 0xEF or m == 0xFE]
        assert app_or_com == [0xE0]  # JFIF's APP0 alone
        assert blob[6:11] == b"JFIF\x00"


def test_orientation_is_applied_then_dropped() -> None:
    tags = Image.Exif()
    tags[0x0112] = 6  # rotate 90° clockwise to view
    buf = io.BytesIO()
    picture((640, 480)).save(buf, "JPEG", exif=tags)
    out = process(buf.getvalue())
    assert (out.width, out.height) == (480, 640)
    with Image.open(io.BytesIO(out.image)) as stored:
        assert stored.size == (480, 640) and 0x0112 not in stored.getexif()
        top = stored.getpixel((240, 10))
        assert isinstance(top, tuple) and top[0] > 150  # the red half came up on top


def encode(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, fmt)
    return buf.getvalue()


def test_a_png_too_large_to_decode_is_refused_unread() -> None:
    data = encode("PNG", (6000, 6000))
    assert len(data) < 200_000  # small on the wire, 144 MB decoded
    with pytest.raises(InvalidInput) as err:
        process(data)
    assert err.value.code == "photo_resolution_too_high"
    assert err.value.message == "照片分辨率过高（6000×6000），请压缩后再上传"
    assert err.value.extra == {"field": "photo"}


@pytest.mark.parametrize(("fmt", "size"), [("WEBP", (5000, 4000)), ("PNG", (6000, 6000))])
def test_formats_that_decode_only_at_full_size_are_bounded(fmt: str, size: tuple[int, int]) -> None:
    budget = get_settings().intake.photo_decode_budget_bytes
    assert decode_cost(fmt, size, "RGB") > budget
    with pytest.raises(InvalidInput) as err:
        process(encode(fmt, size))
    assert err.value.code == "photo_resolution_too_high"


def test_a_large_jpeg_decodes_downscaled() -> None:
    out = process(encode("JPEG", (8000, 6000)))
    assert (out.width, out.height) == (2000, 1500)  # libjpeg's 1/4 scale, no resize
    budget = get_settings().intake.photo_decode_budget_bytes
    plan = photos.plan_decode("JPEG", (8000, 6000), "RGB", budget)
    assert plan is not None and (plan.scale, plan.reduce) == (4, 1)
    assert budget < 8000 * 6000 * 4  # at full size it would not fit


def test_a_square_jpeg_goes_one_scale_further_to_fit() -> None:
    out = process(encode("JPEG", (4000, 4000)))
    assert (out.width, out.height) == (2000, 2000)


def test_a_12_mp_png_is_box_reduced_while_it_fits() -> None:
    out = process(encode("PNG", (4032, 3024)))
    assert (out.width, out.height) == (2016, 1512)
    small = process(encode("PNG", (3000, 2000)))  # one resize from full size fits the budget
    assert (small.width, small.height) == (2048, 1365)


def test_decodes_wait_for_a_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings().intake, "photo_decode_concurrency", 2)
    monkeypatch.setattr(get_settings().intake, "photo_decode_wait_seconds", 0.2)
    running, peak, lock = 0, 0, threading.Lock()
    real = photos._process

    def slow(data: bytes) -> photos.Processed:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.1)
        try:
            return real(data)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(photos, "_process", slow)
    data = encode("JPEG", (64, 48))
    results: list[str] = []

    def upload() -> None:
        try:
            process(data)
            results.append("ok")
        except RateLimited as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
    assert "ok" in results and "photo_busy" in results  # 0.2 s is not enough for all 8
