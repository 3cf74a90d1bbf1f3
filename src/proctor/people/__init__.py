"""People: humans with roles and personal API keys (stored hashed)."""

from typing import TYPE_CHECKING

from proctor._lazy import lazy_exports

if TYPE_CHECKING:
    from proctor.people._control import (
        add_person,
        create_person_key,
        disable_person,
        revoke_person_key,
        set_person_roles,
    )
    from proctor.people._people import (
        LAST_USED_RESOLUTION,
        PERSON_KEY_PREFIX,
        VERSION_KEY,
        People,
        Person,
        PersonKey,
        check_email,
        parse_person_key,
        parse_roles,
    )
    from proctor.people._role import Role

__all__ = [
    "LAST_USED_RESOLUTION",
    "PERSON_KEY_PREFIX",
    "VERSION_KEY",
    "People",
    "Person",
    "PersonKey",
    "Role",
    "add_person",
    "check_email",
    "create_person_key",
    "disable_person",
    "parse_person_key",
    "parse_roles",
    "revoke_person_key",
    "set_person_roles",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(
        __name__,
        {
            "_control": (
                "add_person",
                "create_person_key",
                "disable_person",
                "revoke_person_key",
                "set_person_roles",
            ),
            "_people": (
                "LAST_USED_RESOLUTION",
                "PERSON_KEY_PREFIX",
                "VERSION_KEY",
                "People",
                "Person",
                "PersonKey",
                "check_email",
                "parse_person_key",
                "parse_roles",
            ),
            "_role": ("Role",),
        },
    )
