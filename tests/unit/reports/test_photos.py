"""Photo intake: formats, limits, decompression bombs, EXIF GPS read and stripped."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from urbanops.core.errors import InvalidInput
from urbanops.core.settings import get_settings
from urbanops.reports.photos import exif_gps, process


def jpeg_with_gps(lat: float, lon: float) -> bytes:
    img = Image.new("RGB", (640, 480), (90, 120, 150))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        return (float(d), float(m), round((v - d - m / 60) * 3600, 4))

    gps.update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    exif[0x0110] = "TestCam"  # camera model: must not survive either
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def encode(fmt: str, size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 50, 50)).save(buf, fmt)
    return buf.getvalue()


def test_exif_gps_is_read_and_stripped_from_the_stored_copy() -> None:
    data = jpeg_with_gps(22.8191, 113.6968)
    with Image.open(io.BytesIO(data)) as original:
        assert exif_gps(original) == pytest.approx((22.8191, 113.6968), abs=1e-4)
    out = process(data)
    assert out.gps == pytest.approx((22.8191, 113.6968), abs=1e-4)
    for blob in (out.image, out.thumb):
        with Image.open(io.BytesIO(blob)) as stored:
            assert dict(stored.getexif()) == {}
            assert exif_gps(stored) is None
            assert b"TestCam" not in blob


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats(fmt: str) -> None:
    out = process(encode(fmt))
    assert (out.width, out.height) == (320, 240)
    with Image.open(io.BytesIO(out.image)) as stored:
        assert stored.format == "JPEG"


def test_heic_is_accepted() -> None:
    img = Image.new("RGB", (64, 48), (10, 200, 10))
    heif = pillow_heif.from_pillow(img)
    buf = io.BytesIO()
    heif.save(buf, quality=80)
    assert process(buf.getvalue()).width == 64


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "photo_empty"),
        (b"%PDF-1.4 not an image", "photo_unreadable"),
        (encode("GIF"), "photo_format"),
        (encode("BMP"), "photo_format"),
        (encode("JPEG")[:200], "photo_unreadable"),
    ],
)
def test_refused_input(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        process(data)
    assert err.value.code == code


def test_oversized_files_are_refused() -> None:
    limit = get_settings().intake.max_photo_bytes
    with pytest.raises(InvalidInput) as err:
        process(b"\xff\xd8" + b"0" * limit)
    assert err.value.code == "photo_too_large"


def test_decompression_bomb_is_refused() -> None:
    # a small PNG that claims 10000 x 10000 pixels (above the 40 MP limit)
    buf = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buf, "PNG")
    data = buf.getvalue()
    assert len(data) < 200_000
    with pytest.raises(InvalidInput) as err:
        process(data)
    assert err.value.code == "photo_too_many_pixels"
