"""Masking personal information as lists show it."""

from __future__ import annotations

import pytest

from analytics.sources import pii


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张三明", "张*明"),
        ("李四", "李*"),
        ("欧阳建华", "欧**华"),
        ("王", "*"),
        ("", ""),
        (None, None),
    ],
)
def test_names(name, shown) -> None:
    assert pii.mask_name(name) == shown


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("341202199001011234", "3412**********1234"),
        ("34120219900101123X", "3412**********123X"),
        ("13812345678", "138****5678"),
        ("0558-2345678", "0558****5678"),
        ("12345678", "********"),
        (None, None),
    ],
)
def test_numbers(number, shown) -> None:
    assert pii.mask_number(number) == shown


def test_an_enterprise_name_is_not_personal() -> None:
    record = {"name": "阜阳市某运输有限公司", "phone": "13812345678"}
    assert pii.masked("enterprise", record) == {
        "name": "阜阳市某运输有限公司",
        "phone": "138****5678",
    }
    assert pii.masked("driver", {"name": "张三明"}) == {"name": "张*明"}
