"""Sweeping a content-addressed volume (kit.files.FileStore): blobs nobody references any more,
and temporary files a crash left behind.

Several services may store blobs on one volume (cases and licences share theirs), each with its
own database of references, and none can ask the others' databases. The convention that makes a
sweep safe across them lives on the volume itself: a service's store (FileStore with a holder)
leaves a marker ``<sha256>.ref.<service>`` beside each blob it stores. A service's sweep

1. looks only at blobs carrying ITS marker, older than the grace period (an upload in flight has
   written its blob and marker but not yet committed its reference), whose hash its own
   database no longer references: it removes its marker;
2. if another service's marker stands beside the blob, stops (that service still holds it);
3. otherwise moves the blob aside (an atomic rename to a trash name), then asks again — its
   references and every marker — and puts the blob back if anyone claimed it meanwhile, or
   deletes it. A writer that claims the hash during the sweep either wrote its marker before
   the second look (the blob is put back) or finds the blob gone and writes it again (put
   writes its marker first, then looks for the blob); a service's upload also makes sure its
   blob exists after committing its reference.

Blobs without any marker (stored before markers existed, or by a store without a holder) are
never deleted. Temporary files (``.tmp-*`` from put, ``.trash-*`` from a sweep that died) older
than the grace period are removed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from govhall.kit.files import SHA256_HEX, FileStore

log = logging.getLogger(__name__)

# The hashes (among those given) the service's own database still references.
Referenced = Callable[[list[str]], Awaitable[set[str]]]


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)  # blobs removed
    released: list[str] = field(default_factory=list)  # own markers removed (blob kept or not)
    kept: list[str] = field(default_factory=list)  # unreferenced here, but another service holds it
    temporary: int = 0  # stale temporary files removed


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime <= cutoff
    except FileNotFoundError:
        return False


def _markers(blob: Path) -> list[Path]:
    return list(blob.parent.glob(f"{blob.name}.ref.*"))


def _scan(root: Path, holder: str, cutoff: float) -> tuple[list[str], list[Path]]:
    """(hashes carrying holder's marker older than cutoff, stale temporary files)."""
    mine: list[str] = []
    stale: list[Path] = []
    suffix = f".ref.{holder}"
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if name.startswith((".tmp-", ".trash-")):
                if _old(path, cutoff):
                    stale.append(path)
            elif name.endswith(suffix) and SHA256_HEX.fullmatch(name[: -len(suffix)]) and _old(path, cutoff):
                mine.append(name[: -len(suffix)])
    return mine, stale


async def sweep(
    store: FileStore, referenced: Referenced, *, grace_seconds: float, now: float | None = None
) -> SweepReport:
    """One sweep of ``store``'s volume for ``store.holder`` (see the module docstring)."""
    if store.holder is None:
        raise ValueError("only a store with a holder can be swept")
    holder = store.holder
    cutoff = (time.time() if now is None else now) - grace_seconds
    report = SweepReport()
    mine, stale = await asyncio.to_thread(_scan, store.root, holder, cutoff)
    for path in stale:
        path.unlink(missing_ok=True)
        report.temporary += 1
    if not mine:
        return report
    still = await referenced(mine)
    for digest in mine:
        if digest not in still:
            await _release(store, holder, digest, referenced, report)
    return report


async def _release(
    store: FileStore, holder: str, digest: str, referenced: Referenced, report: SweepReport
) -> None:
    blob = store.path(digest)
    store.marker(digest, holder).unlink(missing_ok=True)
    report.released.append(digest)
    if _markers(blob):
        report.kept.append(digest)
        return
    trash = blob.with_name(f".trash-{digest}-{os.getpid()}")
    try:
        os.rename(blob, trash)
    except FileNotFoundError:
        return
    # The second look, with the blob out of reach: claimed meanwhile (a reference committed
    # here, a marker written by anyone) puts it back.
    claimed_here = digest in await referenced([digest])
    if claimed_here or _markers(blob):
        if claimed_here:
            # Our marker was removed above while the reference was being committed: back.
            store.marker(digest, holder).touch()
        if blob.exists():
            trash.unlink(missing_ok=True)
        else:
            os.replace(trash, blob)
        report.kept.append(digest)
        return
    trash.unlink(missing_ok=True)
    report.deleted.append(digest)
    log.info("swept blob %s", digest)
