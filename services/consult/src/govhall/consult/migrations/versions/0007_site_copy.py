"""consult site copy: the catalogue's site tree, for scoping by subtree

Revision ID: 0007_site_copy
Revises: 0006_letter_attachments
Create Date: 2026-12-05
"""

from alembic import op

revision = "0007_site_copy"
down_revision = "0006_letter_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Literal DDL, as `govhall.sitecopy.add_site_table` declares it: the table is filled by the
    # durable consumer `consult-site-copy` from the catalogue's stream, which keeps every site's
    # last event, so an existing database builds the whole tree at its next start.
    op.execute(
        "CREATE TABLE sites ("
        " code VARCHAR(6) NOT NULL,"
        " name VARCHAR(200) NOT NULL,"
        " level SMALLINT DEFAULT '0' NOT NULL,"
        " path VARCHAR(64) NOT NULL,"
        " CONSTRAINT sites_pkey PRIMARY KEY (code))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE sites")
