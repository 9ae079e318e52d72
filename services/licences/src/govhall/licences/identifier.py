"""The GB/T 36904 licence identifier and its ISO/IEC 7064 MOD 37,36 check character.

`1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>`: the fixed prefix is the
OID arc of China's e-licences; the check character is computed over the concatenation of the
parts after it (type code, issuer code, serial, version; the dots left out), which is what the
standard's example `...11100000000013338W011.11430000006122244L.20230000403.001.U` checks out
to. MOD 37,36 (a hybrid system over the 36 digits and capital letters) detects every single
substitution and every transposition of adjacent characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_PART = re.compile(r"^[0-9A-Z]+$")
_SERIAL = re.compile(r"^[0-9]{4}[0-9]{7}$")
_VERSION = re.compile(r"^[0-9]{3}$")


def check_character(body: str) -> str:
    """The MOD 37,36 check character that makes `body + check` valid (ISO/IEC 7064, 6.3)."""
    product = 36
    for ch in body:
        if ch not in _VALUE:
            raise ValueError(f"not a digit or capital letter: {ch!r}")
        total = (product + _VALUE[ch]) % 36 or 36
        product = (total * 2) % 37
    # The check value c satisfies (product + c) mod 36 == 1.
    return ALPHABET[(1 - product) % 36]


def is_valid(body_with_check: str) -> bool:
    if len(body_with_check) < 2 or any(c not in _VALUE for c in body_with_check):
        return False
    return check_character(body_with_check[:-1]) == body_with_check[-1]


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int = 1

    def body(self) -> str:
        return f"{self.type_code}{self.issuer_code}{self.serial}{self.version:03d}"

    def __str__(self) -> str:
        return (
            f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}"
            f".{check_character(self.body())}"
        )


def serial(year: int, n: int) -> str:
    """The issuer's n-th licence of a year: the year and 7 digits (as the example's 20230000403)."""
    if not 1 <= n <= 9_999_999:
        raise ValueError("serial out of range")
    return f"{year:04d}{n:07d}"


def make(type_code: str, issuer_code: str, serial_: str, version: int = 1) -> str:
    for part in (type_code, issuer_code, serial_):
        if not _PART.match(part):
            raise ValueError(f"not digits and capital letters: {part!r}")
    if not 1 <= version <= 999:
        raise ValueError("version is 1-999")
    return str(Identifier(type_code, issuer_code, serial_, version))


def parse(identifier: str) -> Identifier | None:
    """The parts of a well-formed identifier whose check character holds; None otherwise."""
    if not identifier.startswith(PREFIX + "."):
        return None
    parts = identifier[len(PREFIX) + 1 :].split(".")
    if len(parts) != 5:
        return None
    type_code, issuer_code, serial_, version, check = parts
    if not all(_PART.match(p) for p in (type_code, issuer_code, serial_)) or not _VERSION.match(version):
        return None
    if len(check) != 1 or not is_valid(type_code + issuer_code + serial_ + version + check):
        return None
    return Identifier(type_code, issuer_code, serial_, int(version))
