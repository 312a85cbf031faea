"""The staff password policy: length, three character classes, no username, no common ones."""

from __future__ import annotations

import pytest

from urbanops.core.errors import InvalidInput
from urbanops.identity.policy import check_password_policy


@pytest.mark.parametrize(
    "password",
    ["Demo@2026", "Kx7-longer-phrase", "东莞Cheng3管", "aB3$aB3$aB3$", "12345678Ab"],
)
def test_good_passwords_pass(password: str) -> None:
    check_password_policy(password, username="clerk")


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("Ab1!", "至少 8 位"),
        ("alllowercase", "至少三类"),
        ("lower-and-symbols", "至少三类"),
        ("Clerk2026!", "用户名"),
        ("P@ssw0rd", "常见"),
        ("x" * 120 + "Ab1!xxxxxx", "128"),
    ],
)
def test_weak_passwords_say_why(password: str, says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password_policy(password, username="clerk")
    assert refused.value.code == "weak_password"
    assert says in refused.value.message
    assert refused.value.message_en
