"""The audit log: entries chained by hash, concurrent appends chained in turn on PostgreSQL, and
the CLI naming the first entry somebody changed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.crossprovince import audit
from govhall.crossprovince.app import SPEC
from govhall.crossprovince.cli import main
from govhall.crossprovince.store import audit_log
from govhall.kit import migrations
from govhall.kit.db import Database
from govhall.kit.races import concurrently, outcomes


def _entry(i: int) -> audit.Entry:
    return audit.Entry(
        "received", "220000", "ListMatters", f"m-{i}", f"{i:064x}", f"{i + 1:064x}", "ACCEPTED"
    )


async def _migrated(url: str) -> Database:
    await migrations.upgrade(url, SPEC.migrations)
    return Database(url)


async def _append(db: Database, i: int) -> int:
    async with db.uow() as uow:
        seq = await audit.append(uow, _entry(i))
        await uow.commit()
    return seq


async def _verify_cli(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`python -m govhall.crossprovince audit-verify` against ``url``: its exit code and output.
    In a thread of its own (the command runs its own event loop), not a process: a second
    interpreter would cost seconds."""
    monkeypatch.setenv("GOVHALL_CROSSPROVINCE_DATABASE_URL", url)
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["audit-verify"])
    return code, capsys.readouterr().out


async def test_the_chain_verifies_and_the_cli_names_a_modified_row(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = await _migrated(db_url)
    try:
        assert [await _append(db, i) for i in range(4)] == [1, 2, 3, 4]
        verdict = await audit.verify(db)
        assert verdict.intact and verdict.entries == 4
        assert await _verify_cli(db_url, monkeypatch, capsys) == (0, "intact, 4 entries\n")
        # Somebody with database access rewrites entry 3's status.
        async with db.uow() as uow:
            await uow.conn.execute(sa.update(audit_log).where(audit_log.c.seq == 3).values(status="REJECTED"))
            await uow.commit()
        verdict = await audit.verify(db)
        assert verdict.broken_seq == 3 and verdict.entries == 2
        code, out = await _verify_cli(db_url, monkeypatch, capsys)
        assert code == 1 and out.startswith("broken at entry 3:"), out
    finally:
        await db.close()


async def test_a_removed_entry_or_a_rewritten_hash_is_found(db_url: str) -> None:
    db = await _migrated(db_url)
    try:
        for i in range(5):
            await _append(db, i)
        # Entry 2 rehashed after a change: its own hash holds, the next entry's link does not.
        async with db.uow() as uow:
            original: Any = (
                (await uow.conn.execute(sa.select(audit_log).where(audit_log.c.seq == 2))).one()._asdict()
            )
            row = {**original, "status": "REJECTED"}
            row["entry_hash"] = audit.entry_hash(row["prev_hash"], row)
            await uow.conn.execute(sa.update(audit_log).where(audit_log.c.seq == 2).values(**row))
            await uow.commit()
        assert (await audit.verify(db)).broken_seq == 3
        # The last entry deleted: the head still names it.
        async with db.uow() as uow:
            await uow.conn.execute(sa.update(audit_log).where(audit_log.c.seq == 2).values(**original))
            await uow.conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 5))
            await uow.commit()
        verdict = await audit.verify(db)
        assert verdict.broken_seq == 5 and "head" in verdict.problem
    finally:
        await db.close()


async def test_concurrent_appends_chain_one_after_another(pg_database: Any) -> None:
    # On PostgreSQL two appends that both read the head unlocked would both write seq n+1: the
    # head row lock makes them take turns, so all succeed and the chain holds.
    db = await _migrated(pg_database.url)
    try:
        done, failed = outcomes(await concurrently(8, lambda i: _append(db, i)))
        assert failed == [] and sorted(done) == list(range(1, 9))
        verdict = await audit.verify(db)
        assert verdict.intact and verdict.entries == 8
    finally:
        await db.close()


async def test_the_cli_says_so_when_there_is_no_audit_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await _verify_cli(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", monkeypatch, capsys)
    assert code == 2 and "has crossprovince run on this database" in out
