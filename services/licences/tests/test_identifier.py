"""The GB/T 36904 identifier and its MOD 37,36 check character (no services needed)."""

from __future__ import annotations

import pytest

from govhall.licences import identifier as ident

EXAMPLE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def test_the_standards_example() -> None:
    parts = ident.parse(EXAMPLE)
    assert parts == ident.Identifier("11100000000013338W011", "11430000006122244L", "20230000403", 1)
    assert ident.make("11100000000013338W011", "11430000006122244L", "20230000403", 1) == EXAMPLE
    assert ident.check_character("11100000000013338W01111430000006122244L20230000403001") == "U"


def test_a_single_character_change_anywhere_is_detected() -> None:
    body = EXAMPLE[len(ident.PREFIX) + 1 :].replace(".", "")
    assert ident.is_valid(body)
    for position in range(len(body)):
        for replacement in ident.ALPHABET:
            if replacement == body[position]:
                continue
            changed = body[:position] + replacement + body[position + 1 :]
            assert not ident.is_valid(changed), (position, replacement)


def test_every_allowed_character_is_a_possible_check_and_each_body_has_one() -> None:
    checks = {ident.check_character(f"1143000000612224{c}") for c in ident.ALPHABET}
    assert checks == set(ident.ALPHABET)
    for c in ident.ALPHABET:
        body = f"ABC{c}123"
        assert ident.is_valid(body + ident.check_character(body))


def test_adjacent_transpositions_are_detected() -> None:
    body = EXAMPLE[len(ident.PREFIX) + 1 :].replace(".", "")
    for i in range(len(body) - 1):
        if body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            assert not ident.is_valid(swapped), i


@pytest.mark.parametrize(
    "bad",
    [
        EXAMPLE[:-1] + "V",
        EXAMPLE.replace("1.2.156.3005.2", "1.2.156.3005.3"),
        EXAMPLE.replace(".001.", ".01."),
        EXAMPLE.replace("W011", "w011"),
        "",
        EXAMPLE + ".X",
    ],
)
def test_malformed_or_wrong_check_is_rejected(bad: str) -> None:
    assert ident.parse(bad) is None


def test_serials_and_bad_parts() -> None:
    assert ident.serial(2026, 403) == "20260000403"
    with pytest.raises(ValueError):
        ident.serial(2026, 0)
    with pytest.raises(ValueError):
        ident.make("abc", "X", "1")
