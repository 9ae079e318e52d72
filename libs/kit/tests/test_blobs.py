"""kit.blobs: the sweep of a content-addressed volume several services share."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from govhall.kit.blobs import sweep
from govhall.kit.files import FileStore

OLD = time.time() - 10_000


def aged(*paths: Path) -> None:
    for path in paths:
        os.utime(path, (OLD, OLD))


def trash_left(root: Path) -> list[Path]:
    return list(root.rglob(".trash-*"))


def nothing_referenced() -> object:
    async def referenced(hashes: list[str]) -> set[str]:
        return set()

    return referenced


async def test_only_own_unreferenced_old_blobs_without_other_holders_go(tmp_path: Path) -> None:
    mine, cases = FileStore(tmp_path, holder="licences"), FileStore(tmp_path, holder="cases")
    lone = mine.put(b"lone")
    kept_by_db = mine.put(b"referenced")
    both = mine.put(b"both")
    cases.put(b"both")
    unmarked = FileStore(tmp_path).put(b"no holder")
    young = mine.put(b"young")
    for digest in (lone, kept_by_db, both, unmarked):
        aged(mine.path(digest), mine.marker(digest, "licences") if digest != unmarked else mine.path(digest))
    aged(cases.marker(both, "cases"))

    async def referenced(hashes: list[str]) -> set[str]:
        return {kept_by_db} & set(hashes)

    report = await sweep(mine, referenced, grace_seconds=3600)

    assert report.deleted == [lone] and not mine.exists(lone)
    assert all(mine.exists(d) for d in (kept_by_db, both, unmarked, young))
    assert both in report.kept and not mine.marker(both, "licences").exists()
    assert cases.marker(both, "cases").exists()


async def test_stale_temporary_files_go_and_fresh_ones_stay(tmp_path: Path) -> None:
    store = FileStore(tmp_path, holder="licences")
    (tmp_path / "ab" / "cd").mkdir(parents=True)
    stale, fresh, trash = (tmp_path / "ab" / "cd" / n for n in (".tmp-1", ".tmp-2", ".trash-x-1"))
    for path in (stale, fresh, trash):
        path.write_bytes(b"partial")
    aged(stale, trash)

    report = await sweep(store, nothing_referenced(), grace_seconds=3600)  # type: ignore[arg-type]

    assert report.temporary == 2 and not stale.exists() and not trash.exists() and fresh.exists()


async def test_a_reference_committed_during_the_sweep_keeps_the_blob(tmp_path: Path) -> None:
    store = FileStore(tmp_path, holder="licences")
    digest = store.put(b"claimed meanwhile")
    aged(store.path(digest), store.marker(digest, "licences"))
    asked: list[list[str]] = []

    async def referenced(hashes: list[str]) -> set[str]:
        asked.append(hashes)
        return set() if len(asked) == 1 else set(hashes)  # committed between the two looks

    report = await sweep(store, referenced, grace_seconds=3600)

    assert report.deleted == [] and store.get(digest) == b"claimed meanwhile"
    assert store.marker(digest, "licences").exists()  # marked again: held by licences
    assert not trash_left(tmp_path)


def test_a_holder_is_a_service_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileStore(tmp_path, holder="../x")
