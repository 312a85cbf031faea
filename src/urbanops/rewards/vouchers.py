"""Voucher codes and their QR images.

A code is 10 symbols drawn by `secrets` from 29 that cannot be mistaken for one another when
read aloud or typed (no 0/O, 1/I/L, U/V), shown in two groups of five: `K7M3Q-XW9RA`. That is
about 48 bits: guessing a live one among even a million vouchers takes hundreds of millions of
tries, and only staff may look codes up. Typed codes are read leniently: case, spaces and
dashes do not matter.
"""

from __future__ import annotations

import re
import secrets

from urbanops.core.errors import InvalidInput

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # 29 symbols after removing look-alikes
LENGTH = 10
_CODE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(typed: str) -> str:
    """The stored form of a code as a person typed or scanned it; `InvalidInput` when it
    cannot be one."""
    raw = re.sub(r"[\s\-_]", "", typed or "").upper()
    if not _CODE.match(raw):
        raise InvalidInput(
            "兑换码格式不正确：应为 10 位字母数字，如 K7M3Q-XW9RA",
            code="invalid_voucher_code",
            message_en="a voucher code has 10 letters and digits, like K7M3Q-XW9RA",
        )
    return f"{raw[:5]}-{raw[5:]}"


def qr_svg(code: str) -> str:
    """The code as an SVG QR image (what a station's scanner reads is the code itself)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(
        out, kind="svg", scale=6, border=2, dark="#111", light="#fff", title=code
    )
    return out.getvalue().decode()
