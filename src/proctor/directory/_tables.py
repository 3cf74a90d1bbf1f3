"""Tables behind the directory (migration 0010)."""

import sqlalchemy as sa

from proctor.store import metadata

directory_groups = sa.Table(
    "directory_groups",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("clearance", sa.String(20), nullable=True),
    sa.Column("description", sa.Text, nullable=False),
)

#: Who is in which group: a person (``kind`` person) or a group (``kind`` group).
directory_members = sa.Table(
    "directory_members",
    metadata,
    sa.Column("group_id", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("member_id", sa.String(200), primary_key=True),
)

#: Who may do what with resources and tools: one row per (rule, subject).
access_grants = sa.Table(
    "access_grants",
    metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("pattern", sa.String(300), primary_key=True),
    sa.Column("subject", sa.String(210), primary_key=True),
    sa.Column("level", sa.String(10), nullable=False),
)
