"""Search's own tables: the copy of the site tree it keeps from catalogue events, and the kit's inbox."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()

sites = SiteTable(add_site_table(metadata))

add_kit_tables(metadata)
