"""The directory: people's groups and clearance, who may do what with resources and
tools, and the precomputed view that bounds every agent by the people it works for."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.directory._control import Human, put_access, put_group, put_human, remove_group
    from proctor.directory._directory import Directory
    from proctor.directory._index import DEFAULT_CLEARANCE, Bound, DirectoryIndex, Principal
    from proctor.directory._model import (
        GROUP_PREFIX,
        LEVEL_FOR_ACTION,
        AccessLevel,
        AccessRule,
        Grant,
        Group,
        TargetKind,
        check_pattern,
        grants_from,
        group_subject,
        subject_of,
    )
    from proctor.directory._scim import ImportReport, export_scim, import_scim
    from proctor.directory._store import DirectoryStore

__all__ = [
    "DEFAULT_CLEARANCE",
    "GROUP_PREFIX",
    "LEVEL_FOR_ACTION",
    "AccessLevel",
    "AccessRule",
    "Bound",
    "Directory",
    "DirectoryIndex",
    "DirectoryStore",
    "Grant",
    "Group",
    "Human",
    "ImportReport",
    "Principal",
    "TargetKind",
    "check_pattern",
    "export_scim",
    "grants_from",
    "group_subject",
    "import_scim",
    "put_access",
    "put_group",
    "put_human",
    "remove_group",
    "subject_of",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_control": ("Human", "put_access", "put_group", "put_human", "remove_group"),
            "_directory": ("Directory",),
            "_index": ("DEFAULT_CLEARANCE", "Bound", "DirectoryIndex", "Principal"),
            "_model": (
                "GROUP_PREFIX",
                "LEVEL_FOR_ACTION",
                "AccessLevel",
                "AccessRule",
                "Grant",
                "Group",
                "TargetKind",
                "check_pattern",
                "grants_from",
                "group_subject",
                "subject_of",
            ),
            "_scim": ("ImportReport", "export_scim", "import_scim"),
            "_store": ("DirectoryStore",),
        },
    )
