"""`python -m govhall.crossprovince ping`: a signed ListMatters to a partner, the verified receipt
printed, the message in both audit logs; nothing sent when the sender cannot log it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from govhall.crossprovince import audit, cli, ping
from govhall.crossprovince.store import audit_log

from .world import HB, JL, LN, MATTER, World


def act_as(monkeypatch: pytest.MonkeyPatch, w: World, code: str, database_url: str | None = None) -> None:
    """The GOVHALL_CROSSPROVINCE_* settings of ``code``'s instance in ``w``, as its operator has them."""
    settings = w.hosts[code].settings
    for name in ("province_code", "client_cert_file", "client_key_file", "signing_key_file", "partners_file"):
        monkeypatch.setenv(f"GOVHALL_CROSSPROVINCE_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("GOVHALL_CROSSPROVINCE_SIGNING_KEY_ID", settings.signing_key_id)
    monkeypatch.setenv("GOVHALL_CROSSPROVINCE_DATABASE_URL", database_url or str(settings.database_url))
    if settings.database_password is not None:
        monkeypatch.setenv(
            "GOVHALL_CROSSPROVINCE_DATABASE_PASSWORD", settings.database_password.get_secret_value()
        )


async def entries(w: World, code: str) -> list[tuple[str, str, str, str]]:
    async with w.hosts[code].db.reader() as uow:
        rows = await uow.conn.execute(
            sa.select(audit_log.c.direction, audit_log.c.peer, audit_log.c.kind, audit_log.c.status).order_by(
                audit_log.c.seq
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_ping_prints_the_verified_receipt_and_both_sides_log_the_message(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world
    act_as(monkeypatch, w, JL)
    assert await ping.ping(LN) == 0
    out = capsys.readouterr().out
    assert (
        f"receipt from {LN} (province {LN}) at {w.partner(LN, JL).endpoint}: RECEIPT_STATUS_ACCEPTED" in out
    )
    assert f"signature verified with {LN}-dev-1" in out
    assert f"1 matters offered to {JL}:" in out and f"    {MATTER} 食品经营许可 " in out
    assert await entries(w, JL) == [
        ("sent", LN, "ListMatters", "SENT"),
        ("sent", LN, "ListMatters", "RECEIPTED_ACCEPTED"),
    ]
    assert await entries(w, LN) == [("received", JL, "ListMatters", "RECEIPT_STATUS_ACCEPTED")]
    assert (await audit.verify(w.hosts[JL].db)).entries == 2


async def test_ping_refuses_what_it_cannot_send(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    w = world
    act_as(monkeypatch, w, JL)
    assert await ping.ping(HB) == 2
    assert f"{HB} is not a partner of {JL}" in capsys.readouterr().out
    # A database without the audit log (never migrated): the message is not sent at all.
    act_as(monkeypatch, w, JL, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert await ping.ping(LN) == 2
    assert "nothing sent: the audit log cannot be written" in capsys.readouterr().out
    assert await w.rows(LN) == (0, 0)
    # Settings missing: named.
    monkeypatch.delenv("GOVHALL_CROSSPROVINCE_SIGNING_KEY_FILE")
    assert await ping.ping(LN) == 2
    assert "set GOVHALL_CROSSPROVINCE_SIGNING_KEY_FILE" in capsys.readouterr().out


async def test_ping_without_the_partner_up_says_no_receipt(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world
    act_as(monkeypatch, w, LN)
    await w.hosts[JL].stop()
    assert await ping.ping(JL, timeout=3) == 1
    assert f"no receipt from {JL} at {w.partner(JL, LN).endpoint}: UNAVAILABLE" in capsys.readouterr().out
    # Logged as sent, with no receipt.
    assert await entries(w, LN) == [("sent", JL, "ListMatters", "SENT")]


def test_env_file_settings_do_not_override_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "crossprovince.env"
    env.write_text(
        "# made by all-in-one\nGOVHALL_XPTEST_A=from-file\nGOVHALL_XPTEST_B=x=y\n", encoding="utf-8"
    )
    monkeypatch.setenv("GOVHALL_XPTEST_A", "from-shell")
    monkeypatch.delenv("GOVHALL_XPTEST_B", raising=False)  # and removed again afterwards
    cli.load_env_file(env)
    assert os.environ["GOVHALL_XPTEST_A"] == "from-shell" and os.environ["GOVHALL_XPTEST_B"] == "x=y"
