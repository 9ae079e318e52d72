"""free_port: a port below the kernel's ephemeral range, free when it is returned."""

from __future__ import annotations

import socket

import pytest

from govhall.kit import ports


def test_the_port_is_below_the_ephemeral_range_and_free() -> None:
    low = ports._ephemeral_low()
    for _ in range(20):
        port = ports.free_port()
        assert 1024 <= port < low
        with socket.socket() as s:  # nothing holds it: a server can bind it
            s.bind(("127.0.0.1", port))


def test_a_taken_port_is_never_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports.free_port()))
        held = taken.getsockname()[1]
        candidates = iter([held, held, held + 1 if held + 1 < ports._ephemeral_low() else held - 1])
        monkeypatch.setattr(ports.random, "randrange", lambda *_: next(candidates))
        assert ports.free_port() != held


def test_every_try_taken_falls_back_to_any_free_port(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports.free_port()))
        held = taken.getsockname()[1]
        monkeypatch.setattr(ports.random, "randrange", lambda *_: held)
        port = ports.free_port()
        assert port != held
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
