"""The staff password policy: long enough, mixed, not the username, not what everyone tries.
Applied wherever a staff password is set (accounts made by an administrator or the demo, and
password changes)."""

from __future__ import annotations

import string

from urbanops.core.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
#: Character classes; a password uses at least `MIN_CLASSES` of them (等保 2.0 practice: three
#: of upper case, lower case, digits and symbols).
CLASSES = (
    ("大写字母", "upper-case letters", set(string.ascii_uppercase)),
    ("小写字母", "lower-case letters", set(string.ascii_lowercase)),
    ("数字", "digits", set(string.digits)),
)
MIN_CLASSES = 3
#: Passwords everyone tries first, refused whatever their classes.
COMMON = frozenset(
    {
        "password1!",
        "passw0rd!",
        "p@ssw0rd",
        "p@ssword1",
        "admin@123",
        "admin123!",
        "abc@1234",
        "qwer@1234",
        "1qaz@wsx",
        "1qaz!qaz",
        "aa123456!",
        "a1234567!",
        "welcome1!",
        "dongguan@123",
        "urbanops1!",
    }
)


def _classes(password: str) -> int:
    found = sum(any(c in chars for c in password) for _, _, chars in CLASSES)
    symbols = any(not c.isalnum() for c in password) or any(ord(c) > 127 for c in password)
    return found + symbols


def check_password_policy(password: str, *, username: str = "") -> None:
    """`InvalidInput` (code `weak_password`) saying what is missing, unless `password` is at
    least `MIN_LENGTH` long, mixes `MIN_CLASSES` of upper case, lower case, digits and symbols,
    does not contain the username, and is not one of the passwords everyone tries."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"密码至少 {MIN_LENGTH} 位",
            code="weak_password",
            message_en=f"a password has at least {MIN_LENGTH} characters",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            f"密码不能超过 {MAX_LENGTH} 位",
            code="weak_password",
            message_en=f"a password has at most {MAX_LENGTH} characters",
        )
    if _classes(password) < MIN_CLASSES:
        raise InvalidInput(
            "密码须包含大写字母、小写字母、数字、符号中的至少三类",
            code="weak_password",
            message_en="a password mixes at least three of: upper case, lower case, digits, symbols",
        )
    lowered = password.lower()
    if username and len(username) >= 3 and username.lower() in lowered:
        raise InvalidInput(
            "密码不能包含用户名",
            code="weak_password",
            message_en="a password may not contain the username",
        )
    if lowered in COMMON:
        raise InvalidInput(
            "密码过于常见，请换一个",
            code="weak_password",
            message_en="this password is too common: choose another",
        )
