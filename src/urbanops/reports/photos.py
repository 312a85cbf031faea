"""Photo intake: accept JPEG, PNG, WebP and HEIC; refuse anything else, oversized files and
decompression bombs; read the EXIF GPS position; store re-encoded copies without metadata."""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput
from urbanops.core.settings import get_settings
from urbanops.core.storage import photo_store
from urbanops.reports.models import Photo

pillow_heif.register_heif_opener()

ACCEPTED = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC", "HEIC": "HEIC"}
MAX_SIDE = 2048
THUMB_SIDE = 480
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Processed:
    image: bytes
    thumb: bytes
    width: int
    height: int
    gps: tuple[float, float] | None
    sha256: str


def _refuse(zh: str, en: str, code: str) -> InvalidInput:
    return InvalidInput(zh, code=code, message_en=en, extra={"field": "photo"})


def _ratio(value: object) -> float:
    if isinstance(value, tuple):  # (numerator, denominator)
        return float(value[0]) / float(value[1])
    return float(value)  # type: ignore[arg-type]


def exif_gps(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) from the EXIF GPS block, WGS-84 as cameras record it; None if absent/invalid."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        lat_ref, lat, lon_ref, lon = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat and lon and lat_ref and lon_ref):
            return None
        dlat = _ratio(lat[0]) + _ratio(lat[1]) / 60 + _ratio(lat[2]) / 3600
        dlon = _ratio(lon[0]) + _ratio(lon[1]) / 60 + _ratio(lon[2]) / 3600
        if str(lat_ref).upper().startswith("S"):
            dlat = -dlat
        if str(lon_ref).upper().startswith("W"):
            dlon = -dlon
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= dlat <= 90 and -180 <= dlon <= 180) or (dlat == 0 and dlon == 0):
        return None
    return dlat, dlon


def process(data: bytes) -> Processed:
    cfg = get_settings().intake
    if not data:
        raise _refuse("照片为空", "the photo is empty", "photo_empty")
    if len(data) > cfg.max_photo_bytes:
        mb = cfg.max_photo_bytes // (1024 * 1024)
        raise _refuse(f"照片不能超过 {mb} MB", f"photos may be at most {mb} MB", "photo_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = cfg.max_photo_pixels
            with Image.open(io.BytesIO(data)) as probe:
                fmt = (probe.format or "").upper()
                if fmt not in ACCEPTED:
                    raise _refuse(
                        "只支持 JPEG、PNG、WebP 和 HEIC 格式的照片",
                        "only JPEG, PNG, WebP and HEIC photos are accepted",
                        "photo_format",
                    )
                if probe.width * probe.height > cfg.max_photo_pixels:
                    raise _refuse(
                        "照片像素过多", "the photo has too many pixels", "photo_too_many_pixels"
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                gps = exif_gps(image)
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(
            "照片像素过多", "the photo has too many pixels", "photo_too_many_pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse("无法识别的图片文件", "not a readable image", "photo_unreadable") from exc
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: metadata is dropped
    thumb_img = rgb.copy()
    thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb = io.BytesIO()
    thumb_img.save(thumb, "JPEG", quality=80)
    return Processed(
        out.getvalue(),
        thumb.getvalue(),
        rgb.width,
        rgb.height,
        gps,
        hashlib.sha256(data).hexdigest(),
    )


def store_photo(
    session: Session,
    data: bytes,
    *,
    now: datetime,
    citizen_id: int | None = None,
    user_id: int | None = None,
) -> Photo:
    processed = process(data)
    pid = uuid.uuid4().hex
    store = photo_store()
    store.put(f"{pid}.jpg", processed.image)
    store.put(f"{pid}_t.jpg", processed.thumb)
    photo = Photo(
        id=pid,
        created_at=now,
        citizen_id=citizen_id,
        user_id=user_id,
        sha256=processed.sha256,
        width=processed.width,
        height=processed.height,
        gps_lat=processed.gps[0] if processed.gps else None,
        gps_lon=processed.gps[1] if processed.gps else None,
        key=f"{pid}.jpg",
        thumb_key=f"{pid}_t.jpg",
    )
    session.add(photo)
    try:
        session.flush()
    except Exception:
        store.delete(photo.key)  # no row will point to the files: don't keep them
        store.delete(photo.thumb_key)
        raise
    return photo


def photo_urls(session: Session, ids: list[str], *, citizen_id: int | None = None) -> list[str]:
    """URLs of the caller's own photos, in order; an unknown or foreign id is refused."""
    out = []
    for pid in ids:
        photo = session.get(Photo, pid)
        if photo is None or (citizen_id is not None and photo.citizen_id != citizen_id):
            raise InvalidInput(
                "照片不存在或已失效，请重新上传",
                code="unknown_photo",
                message_en="unknown photo; upload it again",
                extra={"field": "photo_ids"},
            )
        out.append(photo_store().url(photo.key))
    return out
