"""Licences' database: the tables (tables.py) and each area's, on one metadata.

The areas (issuance and verification, grants, the cloud drive) add their tables beside these,
each with its own migration, and are imported here so migrations and tests see them all.
"""

from __future__ import annotations

from govhall.licences import (
    drive_tables,  # noqa: F401  (the drive's tables join the metadata)
    grants_tables,  # noqa: F401  (grants and their access log join the metadata)
    status_tables,  # noqa: F401  (verification's tables join the metadata)
)
from govhall.licences.tables import metadata

__all__ = ["metadata"]
