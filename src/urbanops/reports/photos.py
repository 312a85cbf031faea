"""Photo intake: accept JPEG, PNG, WebP and HEIC; refuse anything else, oversized files and
decompression bombs; read the EXIF GPS position; store re-encoded copies without metadata."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import uuid
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import pillow_heif
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.core.errors import InvalidInput, RateLimited
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


def _bytes_per_pixel(mode: str) -> int:
    """What Pillow holds per pixel in memory: one byte for 1/L/P, two for 16-bit grey, and four
    for everything else (multi-band images are stored 32 bits a pixel, RGB included)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


# modes that resize well as they are; others (palette, bilevel, 16-bit, float) become RGB first
_RESIZABLE = frozenset({"L", "LA", "RGB", "RGBA", "RGBX", "CMYK"})


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down (never up) to fit a `side` × `side` box, as `thumbnail` does."""
    w, h = size
    k = min(1.0, side / w, side / h)
    return max(1, round(w * k)), max(1, round(h * k))


def _decoded_bytes(fmt: str, size: tuple[int, int], mode: str) -> int:
    """Bytes held while an image of this size decodes: its pixels, the decoder's own frame
    buffer (WebP and HEIC hand over a full copy) and, for modes that cannot be reduced as they
    are (palette, bilevel, 16-bit), a full-size RGB copy."""
    pixels = size[0] * size[1]
    cost = pixels * _bytes_per_pixel(mode)
    if fmt == "WEBP":
        cost += pixels * 4
    elif fmt in ("HEIF", "HEIC"):
        cost += pixels * 4 * 2  # up to 16 bits a channel
    if mode not in _RESIZABLE:
        cost += pixels * 4
    return cost


@dataclass(frozen=True)
class Plan:
    """How to bring a decoded image down to at most MAX_SIDE a side: a libjpeg DCT scale
    (`draft`, JPEG only), then a box reduction by an integer factor, then a resize."""

    scale: int
    reduce: int
    cost: int  # peak bytes
    size: tuple[int, int]  # what is stored


def _plan_for(fmt: str, size: tuple[int, int], mode: str, scale: int, k: int) -> Plan:
    w, h = max(1, size[0] // scale), max(1, size[1] // scale)
    decoded = _decoded_bytes(fmt, (w, h), mode)
    rw, rh = max(1, w // k), max(1, h // k)
    reduced = rw * rh * 4 if k > 1 else 0
    out = _fit((rw, rh), MAX_SIDE)
    resize = 0
    if out != (rw, rh):  # a separable resize: horizontal pass first, then vertical
        resize = out[0] * rh * 4 + out[0] * out[1] * 4
    # with a reduction the full decode is let go before the resize
    peak = max(decoded + reduced, reduced + resize) if k > 1 else decoded + resize
    return Plan(scale, k, peak, out)


def _plans(fmt: str, size: tuple[int, int], mode: str) -> list[Plan]:
    scales = (1, 2, 4, 8) if fmt == "JPEG" else (1,)
    return [
        _plan_for(fmt, size, mode, s, k)
        for s in scales
        for k in range(1, max(size) // s // MAX_SIDE + 3)
    ]


def plan_decode(fmt: str, size: tuple[int, int], mode: str, budget: int) -> Plan | None:
    """The plan that stores the largest picture within `budget` bytes (the cheapest of equals);
    None when even the cheapest would not fit (PNG and WebP decode only at full size)."""
    fitting = [p for p in _plans(fmt, size, mode) if p.cost <= budget]
    if not fitting:
        return None
    return max(fitting, key=lambda p: (p.size[0] * p.size[1], -p.cost))


def decode_cost(fmt: str, size: tuple[int, int], mode: str) -> int:
    """The peak bytes of the cheapest way to decode and downscale such an image."""
    return min(p.cost for p in _plans(fmt, size, mode))


_ORIENT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class _Decoders:
    """The threads that decode photos, `intake.photo_decode_concurrency` of them per process.
    Decoding only on these few threads bounds the decodes at once and also the memory they
    leave behind: the C allocator keeps freed pixel buffers in a per-thread arena, so decodes
    spread over the whole request thread pool would each keep their own peak."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = 0
        self._pool: ThreadPoolExecutor | None = None

    def pool(self) -> ThreadPoolExecutor:
        size = max(1, get_settings().intake.photo_decode_concurrency)
        with self._lock:
            if self._pool is None or size != self._size:
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                self._size = size
                self._pool = ThreadPoolExecutor(size, thread_name_prefix="photo-decode")
            return self._pool


decoders = _Decoders()


def process(data: bytes) -> Processed:
    cfg = get_settings().intake
    if not data:
        raise _refuse("照片为空", "the photo is empty", "photo_empty")
    if len(data) > cfg.max_photo_bytes:
        mb = cfg.max_photo_bytes // (1024 * 1024)
        raise _refuse(f"照片不能超过 {mb} MB", f"photos may be at most {mb} MB", "photo_too_large")
    job = decoders.pool().submit(_process, data)
    try:
        return job.result(timeout=cfg.photo_decode_wait_seconds)
    except FutureTimeout:
        if not job.cancel():  # it is decoding by now: let it finish
            return job.result()
        raise RateLimited(
            "服务器正忙，请稍后重新上传照片",
            code="photo_busy",
            message_en="the server is busy; upload the photo again in a moment",
            extra={"field": "photo"},
        ) from None


def _too_many_pixels() -> InvalidInput:
    return _refuse("照片像素过多", "the photo has too many pixels", "photo_too_many_pixels")


def _process(data: bytes) -> Processed:
    cfg = get_settings().intake
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = cfg.max_photo_pixels
            # the header alone: format and dimensions, nothing decoded
            with Image.open(io.BytesIO(data)) as probe:
                fmt = (probe.format or "").upper()
                if fmt not in ACCEPTED:
                    raise _refuse(
                        "只支持 JPEG、PNG、WebP 和 HEIC 格式的照片",
                        "only JPEG, PNG, WebP and HEIC photos are accepted",
                        "photo_format",
                    )
                if probe.width * probe.height > cfg.max_photo_pixels:
                    raise _too_many_pixels()
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                plan = plan_decode(fmt, image.size, image.mode, cfg.photo_decode_budget_bytes)
                if plan is None:
                    raise _refuse(
                        f"照片分辨率过高（{image.width}×{image.height}），请压缩后再上传",
                        f"the photo's resolution is too high ({image.width}×{image.height}); "
                        "shrink it and upload it again",
                        "photo_resolution_too_high",
                    )
                if plan.scale > 1:  # libjpeg decodes at 1/2, 1/4 or 1/8 scale
                    image.draft("RGB", (image.width // plan.scale, image.height // plan.scale))
                image.load()
                gps = exif_gps(image)  # read before anything is dropped
                orientation = image.getexif().get(0x0112)
                small = _reduced(image, plan)
            # closing the file let the full-size pixels go: what is left is small
            if small.size != plan.size:
                small = small.resize(plan.size, Image.Resampling.LANCZOS)
            if small.mode != "RGB":
                small = small.convert("RGB")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse("无法识别的图片文件", "not a readable image", "photo_unreadable") from exc
    transpose = _ORIENT.get(orientation) if isinstance(orientation, int) else None
    if transpose is not None:
        small = small.transpose(transpose)
    rgb = _bare(small)
    del small
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85, optimize=True)
    thumb_img = rgb.copy()
    thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb = io.BytesIO()
    _bare(thumb_img).save(thumb, "JPEG", quality=80)
    return Processed(
        out.getvalue(),
        thumb.getvalue(),
        rgb.width,
        rgb.height,
        gps,
        hashlib.sha256(data).hexdigest(),
    )


def _reduced(image: Image.Image, plan: Plan) -> Image.Image:
    """The decoded image reduced by the plan's integer factor, as a new image (or the image
    itself); modes that cannot be reduced as they are become RGB first."""
    full = image if image.mode in _RESIZABLE else image.convert("RGB")
    return full.reduce(plan.reduce) if plan.reduce > 1 else full


def _bare(image: Image.Image) -> Image.Image:
    """The pixels alone, in a new image: no `info` (EXIF, XMP, ICC profile, comment, text chunks,
    DPI) for `save` to carry over, so the JPEG has no segment but JFIF's APP0."""
    bare = Image.new("RGB", image.size)
    bare.paste(image)
    return bare


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


# references to photos: this platform's photo ids, or links to an allow-listed https origin
PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")
_MEDIA_PATH = re.compile(r"^/media/([0-9a-f]{32})(_t)?\.jpg$")
MAX_URL = 2048


def _photo_id(ref: str) -> str | None:
    """The photo id that `ref` names: the id itself, or its `/media/<id>.jpg` path."""
    if PHOTO_ID.match(ref):
        return ref
    match = _MEDIA_PATH.match(ref)
    return match.group(1) if match else None


def allowed_url(ref: str) -> str | None:
    """`ref` if it is an absolute https URL on an origin of `intake.media_url_origins`, at most
    2048 characters, without credentials, spaces or control characters; else None."""
    if len(ref) > MAX_URL or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in ref):
        return None
    try:
        parts = urlsplit(ref)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        return None
    origin = f"https://{parts.hostname}" + (f":{port}" if port not in (None, 443) else "")
    allowed = {o.rstrip("/").lower() for o in get_settings().intake.media_url_origins}
    return ref if origin.lower() in allowed else None


def _bad_ref(field: str, index: int, *, external: bool) -> InvalidInput:
    if external:
        zh = "照片须为本平台上传的照片编号，或白名单内网站的 https 链接"
        en = "must be the id of a photo uploaded here or an https URL on an allowed origin"
    else:
        zh, en = "照片须为本平台上传的照片编号", "must be the id of a photo uploaded here"
    return InvalidInput(
        f"{field} 第 {index + 1} 项无效：{zh}",
        code="invalid_photo_ref",
        message_en=f"{field}[{index}] {en}",
        extra={"field": field, "index": index},
    )


def _unknown(field: str, index: int) -> InvalidInput:
    return InvalidInput(
        "照片不存在或已失效，请重新上传",
        code="unknown_photo",
        message_en=f"{field}[{index}]: unknown photo; upload it again",
        extra={"field": field, "index": index},
    )


def _resolve(
    session: Session,
    refs: Sequence[object],
    *,
    field: str,
    citizen_id: int | None,
    external: bool,
) -> list[tuple[str, Photo | None]]:
    """Each reference with its photo (None for an allowed external URL); anything else, an
    unknown photo or, with `citizen_id`, someone else's photo is refused naming the field."""
    parsed: list[tuple[str, str | None]] = []
    for index, ref in enumerate(refs):
        if not isinstance(ref, str):
            raise _bad_ref(field, index, external=external)
        pid = _photo_id(ref)
        if pid is None and not (external and allowed_url(ref)):
            raise _bad_ref(field, index, external=external)
        parsed.append((ref, pid))
    ids = {pid for _, pid in parsed if pid}
    found = (
        {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_(ids)))} if ids else {}
    )
    out: list[tuple[str, Photo | None]] = []
    for index, (ref, pid) in enumerate(parsed):
        if pid is None:
            out.append((ref, None))
            continue
        photo = found.get(pid)
        if photo is None or (citizen_id is not None and photo.citizen_id != citizen_id):
            raise _unknown(field, index)
        out.append((pid, photo))
    return out


def photo_refs(
    session: Session, refs: Sequence[object], *, field: str, citizen_id: int | None = None
) -> list[str]:
    """The ids of the photos `refs` name (ids or `/media/<id>.jpg`), as timeline attachments
    keep them; a citizen (`citizen_id`) may name only their own photos, staff anyone's."""
    return [
        ref
        for ref, _ in _resolve(session, refs, field=field, citizen_id=citizen_id, external=False)
    ]


def media_refs(
    session: Session, refs: Sequence[object], *, field: str, citizen_id: int | None = None
) -> list[str]:
    """A report's media as stored: this platform's photos as their `/media/...` URL, and links
    to allow-listed https origins as given."""
    store = photo_store()
    return [
        store.url(photo.key) if photo is not None else ref
        for ref, photo in _resolve(session, refs, field=field, citizen_id=citizen_id, external=True)
    ]


def photo_urls(session: Session, ids: list[str], *, citizen_id: int | None = None) -> list[str]:
    """URLs of the caller's own photos, in order; an unknown or foreign id is refused."""
    store = photo_store()
    try:
        found = _resolve(session, ids, field="photo_ids", citizen_id=citizen_id, external=False)
    except InvalidInput as exc:
        if exc.code == "invalid_photo_ref":  # to the app, as unknown as an expired id
            raise _unknown("photo_ids", int(exc.extra["index"])) from exc
        raise
    return [store.url(photo.key) for _, photo in found if photo is not None]


def media_url(ref: object, *, thumb: bool = False) -> str | None:
    """The URL to show for a stored photo reference (a photo id, a `/media/...` path, or an
    allow-listed https link); None for anything else, such as links stored before they were
    checked. `thumb`: the thumbnail of this platform's photos."""
    if isinstance(ref, dict):
        ref = ref.get("url")
    if not isinstance(ref, str):
        return None
    pid = _photo_id(ref)
    if pid is not None:
        return photo_store().url(f"{pid}_t.jpg" if thumb else f"{pid}.jpg")
    return allowed_url(ref)


def media_urls(refs: Sequence[object] | None, *, thumb: bool = False) -> list[str]:
    """`media_url` of each reference, leaving out those that have none."""
    return [url for ref in refs or () if (url := media_url(ref, thumb=thumb)) is not None]
