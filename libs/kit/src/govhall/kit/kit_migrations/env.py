import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.kit.migrations import KIT_TABLES, KIT_VERSION_TABLE, run_env

metadata = sa.MetaData()
add_kit_tables(metadata)
run_env(metadata, version_table=KIT_VERSION_TABLE, only_tables=KIT_TABLES)
