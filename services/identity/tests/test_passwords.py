"""Passwords: argon2id hashes, and an unknown account's login costing what a wrong password does,
without hashing anything when identity starts."""

from __future__ import annotations

import argon2
import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from govhall.identity.crypto import Passwords, dummy_hash

# Cheap parameters keep the test fast; the checks compare parameters, not times.
COST = {"time_cost": 2, "memory_kib": 1024, "parallelism": 1}


def test_starting_hashes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("an argon2 hash at start")

    monkeypatch.setattr(PasswordHasher, "hash", refuse)
    monkeypatch.setattr(argon2.low_level, "hash_secret", refuse)
    Passwords(**COST)


def test_the_dummy_costs_what_a_real_hash_costs() -> None:
    hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)
    dummy = dummy_hash(hasher)
    assert extract_parameters(dummy) == extract_parameters(hasher.hash("a real password"))
    assert extract_parameters(dummy).type is Type.ID
    # Random each time: no two identity processes share one.
    assert dummy_hash(hasher) != dummy


async def test_unknown_account_runs_argon2_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = Passwords(**COST)
    checked: list[str] = []
    verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str, password: str) -> bool:
        checked.append(hash)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert not await passwords.verify(None, "whatever")
    assert not await passwords.verify(None, "")
    # Both ran argon2id against the dummy, as a wrong password for a real account would.
    assert len(checked) == 2 and all(h.startswith("$argon2id$") for h in checked)


async def test_real_hashes_still_verify() -> None:
    passwords = Passwords(**COST)
    stored = await passwords.hash("correct horse")
    assert extract_parameters(stored).type is Type.ID
    assert await passwords.verify(stored, "correct horse")
    assert not await passwords.verify(stored, "wrong horse")
    assert not await passwords.verify("not a hash", "correct horse")
