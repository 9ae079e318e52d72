"""Appointments' database: the tables (tables.py) and each area's, on one metadata.

The areas (halls and timetables, booking, the hall desk) add their tables beside these, each
with its own migration, and are imported here so migrations and tests see them all.
"""

from __future__ import annotations

from govhall.appointments import (
    bookings_tables,  # noqa: F401 - the booking area's tables
    desk_tables,  # noqa: F401 - the hall desk's tables and columns
)
from govhall.appointments.tables import metadata

__all__ = ["metadata"]
