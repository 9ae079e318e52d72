"""The all-in-one's demo data: the demo province, staff, citizen, Q&As, halls and licences, loaded
through the services' own APIs on the first start and marked done in each database it wrote to,
so a restart on the same var dir serves at once instead of re-sending every upsert (some 10 s on
a busy machine, and argon2 hashes of every demo password).

The mark is SQLite's `user_version` in the database's header: it lives and dies with the data
(a deleted or replaced database is loaded again), and no service's migrations use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from govhall.identity.demo import DEMO_CITIZEN_MOBILE, DEMO_PASSWORD
from govhall.kit.service import ServiceHost
from govhall.kit.trust import Signer

log = logging.getLogger("govhall.allinone")

# Bump when the demo data changes: databases marked with an older one are loaded again (the
# loaders keep what is there and add what is missing).
DEMO_VERSION = 1
# The services the demo writes to.
SERVICES = ("catalogue", "identity", "consult", "appointments", "licences")


def _database(var_dir: Path, service: str) -> Path:
    return var_dir / f"{service}.db"


def _version(path: Path) -> int:
    if not path.is_file():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


def loaded(var_dir: Path) -> bool:
    """Whether every database the demo writes to holds this version of it."""
    return all(_version(_database(var_dir, s)) >= DEMO_VERSION for s in SERVICES)


def mark(var_dir: Path) -> None:
    for service in SERVICES:
        with contextlib.closing(sqlite3.connect(_database(var_dir, service), timeout=30)) as db:
            db.execute(f"PRAGMA user_version = {DEMO_VERSION:d}")


async def load(hosts: dict[str, ServiceHost], ops: Signer, sms_file: Path) -> None:
    """Load the whole demo through the services' APIs (the loaders keep what is already there)."""
    # Imported here: a warm restart loads nothing, and the loaders with their data (appointments'
    # halls and timetables, the catalogue's province) were a tenth of its start in py-spy.
    from govhall.appointments.demo import load_demo_into as load_appointments_demo
    from govhall.catalogue.demo import load_demo_into
    from govhall.consult.demo import load_demo_into as load_consult_demo
    from govhall.identity.demo import load_demo_citizen, load_demo_staff
    from govhall.licences.demo import load_demo_into as load_licences_demo
    from govhall.licences.demo.holdings import load_demo_licences

    published = await load_demo_into(hosts["catalogue"].address, ops)
    log.info("demo province loaded: %d matters published", published)
    await load_demo_staff(hosts["identity"].address, signer=ops)
    questions = await load_consult_demo(hosts["consult"].address, ops)
    log.info("consult demo: %d public Q&As and a pending letter loaded (once)", questions)
    halls = await load_appointments_demo(hosts["appointments"].address, ops)
    log.info("appointments demo: %d halls opened", halls)
    kinds = await load_licences_demo(hosts["licences"].address, ops)
    log.info("licences demo: %d licence types made", kinds)
    # The demo citizen's 证照库 (one licence of each level A, B, C), after the types it uses,
    # held by the demo citizen's real account so that signing in as it shows them.
    citizen = await load_demo_citizen(hosts["identity"].address, sms_file, signer=ops)
    held = await load_demo_licences(hosts["licences"].address, ops, holder_subject=citizen)
    log.info("licences demo: %d of the demo citizen's licences made", held)


async def ensure(hosts: dict[str, ServiceHost], ops: Signer, var_dir: Path, sms_file: Path) -> None:
    """Load the demo unless every database it writes to is marked as holding it; then mark them."""
    # In a thread: writing the mark waits for the services' own write transactions, which need
    # this event loop to commit (on the loop it deadlocked until "database is locked").
    if await asyncio.to_thread(loaded, var_dir):
        log.info("demo data already loaded (version %d): not loaded again", DEMO_VERSION)
    else:
        await load(hosts, ops, sms_file)
        await asyncio.to_thread(mark, var_dir)
    log.info(
        "demo staff: hb_admin, yc_admin, xl_clerk, xl_reviewer, xl_approver, xl_supervisor; "
        "demo citizen: %s (password %s)",
        DEMO_CITIZEN_MOBILE,
        DEMO_PASSWORD,
    )
