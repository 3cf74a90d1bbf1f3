"""The schema and default policies shipped inside the package."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import cedarpy

from proctor.policy._source import PolicyDocument

_PACKAGE = "proctor.policy"


@cache
def schema_text() -> str:
    """Proctor's Cedar schema (Cedar schema syntax): the entities, actions and context."""
    return files(_PACKAGE).joinpath("schema.cedarschema").read_text(encoding="utf-8")


@cache
def schema() -> cedarpy.Schema:
    """The parsed schema, shared by every engine in the process."""
    return cedarpy.Schema.from_str(schema_text())


@cache
def _defaults() -> tuple[PolicyDocument, ...]:
    folder = files(_PACKAGE).joinpath("defaults")
    entries = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".cedar")),
        key=lambda entry: entry.name,
    )
    return tuple(
        PolicyDocument(f"defaults/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in entries
    )


def default_documents() -> list[PolicyDocument]:
    """The default policy set that makes Proctor safe out of the box."""
    return list(_defaults())
