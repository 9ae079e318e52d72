"""What differs between the two databases a service runs on, said once.

PostgreSQL in a deployment, SQLite in all-in-one mode and the quick tests. Services write the
same SQLAlchemy Core against both; the few places the dialects differ (an upsert's insert
construct, whether a row lock means anything, how a timestamp is grouped by China-time month)
go through these helpers rather than a `dialect.name` check of each service's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from govhall.kit.db import UnitOfWork

# An engine, a connection or a unit of work: whatever the caller has in hand.
Bind: TypeAlias = "AsyncEngine | AsyncConnection | sa.Engine | sa.Connection | UnitOfWork"
Q = TypeVar("Q", bound=sa.Select[Any])


def dialect_name(bind: Bind) -> str:
    conn = getattr(bind, "conn", None)  # a UnitOfWork
    return str((conn if conn is not None else bind).dialect.name)


def is_postgres(bind: Bind) -> bool:
    return dialect_name(bind) == "postgresql"


def is_sqlite(bind: Bind) -> bool:
    return dialect_name(bind) == "sqlite"


def upsert(
    bind: Bind,
    table: sa.Table,
    values: Mapping[str, Any],
    *,
    key: Iterable[str],
    update: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
) -> sa.Insert:
    """INSERT values, or on a conflict over the unique columns key, UPDATE the existing row.

    update: the columns to set (expressions may use the table's own columns, e.g. a counter
    `{"n": table.c.n + 1}`); a callable receives the `excluded` row (the values that lost);
    None sets every non-key column from values; an empty mapping leaves the existing row as it
    is (ON CONFLICT DO NOTHING). One statement, so two writers racing for the
    same key cannot both insert nor lose either's update (unlike select-then-insert).
    """
    construct: Any = postgresql.insert if is_postgres(bind) else sqlite.insert
    statement = construct(table).values(**values)
    key = list(key)
    if update is None:
        set_ = {name: getattr(statement.excluded, name) for name in values if name not in key}
    elif callable(update):
        set_ = dict(update(statement.excluded))
    else:
        set_ = dict(update)
    if not set_:
        return statement.on_conflict_do_nothing(index_elements=key)  # type: ignore[no-any-return]
    return statement.on_conflict_do_update(index_elements=key, set_=set_)  # type: ignore[no-any-return]


def locked(bind: Bind, query: Q, *, of: Any = None) -> Q:
    """The query with its rows locked until the transaction ends (SELECT ... FOR UPDATE).

    On PostgreSQL a read-then-write (check a capacity, then book) must lock what it read, or two
    transactions both read the old value and both write. SQLite has no row locks and needs none:
    a write transaction holds the database-wide write lock (db.py begins them IMMEDIATE), so
    writers are serialised already, and it would ignore FOR UPDATE anyway. of: lock only these
    tables' rows in a join (PostgreSQL's FOR UPDATE OF).
    """
    if not is_postgres(bind):
        return query
    return query.with_for_update(of=of) if of is not None else query.with_for_update()


def month_bucket(bind: Bind, timestamp: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """'YYYY-MM' of a UTC timestamp in China time (UTC+8, no daylight saving): monthly statistics
    count a case submitted at 20:00 UTC on the 31st in the next month, as a clerk would."""
    if is_sqlite(bind):
        return sa.func.strftime("%Y-%m", timestamp, "+8 hours")
    return sa.func.to_char(sa.func.timezone("Asia/Shanghai", timestamp), "YYYY-MM")
