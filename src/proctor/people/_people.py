"""People: the humans who use Proctor, their roles, and their personal API keys."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from proctor.errors import Conflict, InvalidInput, NotFound, StoreError, Unauthorized
from proctor.inventory import check_agent_id
from proctor.model import Label
from proctor.people._role import Role
from proctor.people._tables import people, person_keys
from proctor.store import Database, as_utc, utcnow

log = logging.getLogger("proctor.people")

#: Every personal API key starts with this; admin keys start with ``prk_``.
PERSON_KEY_PREFIX = "ppk_"
#: How often, at most, a key's ``last_used_at`` is written.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_KEY_ID = re.compile(r"[0-9a-f]{16}")
# secrets.token_urlsafe(32): 32 bytes of base64url without padding, 43 characters.
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_NAME = 200
_DEFAULT_KEY_NAME = "personal key"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: The change counter of people (the directory's precomputed view watches it).
VERSION_KEY = "people"


@dataclass(frozen=True, slots=True)
class Person:
    """A human known to Proctor.

    ``clearance`` is the highest label of data they may see; the groups they belong to
    may raise it (see :mod:`proctor.directory`).
    """

    id: str
    name: str
    roles: frozenset[Role]
    created_at: datetime
    disabled: bool
    email: str | None = None
    clearance: Label = Label.INTERNAL

    def has_any(self, *roles: Role) -> bool:
        """Whether the person holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True, slots=True)
class PersonKey:
    """A personal API key's public record; the secret is never kept."""

    id: str
    person_id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def parse_roles(values: Iterable[str | Role]) -> frozenset[Role]:
    """Roles from their names; an unknown name is :class:`InvalidInput` (``invalid_role``)."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise InvalidInput(
                f"unknown role {value!r}: use one of {known}", code="invalid_role"
            ) from None
    return frozenset(roles)


def parse_person_key(presented: str) -> tuple[str, str]:
    """The key id and secret of a presented ``ppk_<id>.<secret>``.

    Anything else, whatever it contains, is :class:`Unauthorized` (``invalid_api_key``):
    the parts are matched against exact character sets, so nothing odd reaches the store.
    """
    if not presented.startswith(PERSON_KEY_PREFIX):
        raise Unauthorized(
            "the personal API key is malformed: expected 'ppk_<id>.<secret>'",
            code="invalid_api_key",
        )
    key_id, dot, secret = presented[len(PERSON_KEY_PREFIX) :].partition(".")
    if not dot or not _KEY_ID.fullmatch(key_id) or not _SECRET.fullmatch(secret):
        raise Unauthorized(
            "the personal API key is malformed: expected 'ppk_<id>.<secret>'",
            code="invalid_api_key",
        )
    return key_id, secret


class People:
    """Adds people, sets their roles, issues and checks their personal API keys.

    A key reads ``ppk_<id>.<secret>``. The secret is 256 random bits, so a single
    SHA-256 is the right hash (as for admin keys): a slow password hash protects
    guessable secrets, and these are not guessable.
    """

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow):
        self._db = database
        self._clock = clock
        self._listeners: list[Callable[[], object]] = []

    def on_change(self, listener: Callable[[], object]) -> None:
        """Call ``listener`` after every change this process makes to people (caches
        built from them refresh at once; other processes see the change counter)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    # -- people -----------------------------------------------------------------------

    def add(
        self,
        person_id: str,
        name: str,
        roles: Iterable[str | Role] = (),
        *,
        email: str | None = None,
        clearance: Label = Label.INTERNAL,
    ) -> Person:
        """Add a person; :class:`Conflict` if the id is taken."""
        check_agent_id(person_id, "person id")
        person = Person(
            id=person_id,
            name=_check_name(name, "a person's name"),
            roles=parse_roles(roles),
            created_at=self._clock(),
            disabled=False,
            email=check_email(email),
            clearance=Label(clearance),
        )
        try:
            with self._db.begin_raw() as connection:
                connection.execute(
                    sa.insert(people).values(
                        id=person.id,
                        name=person.name,
                        roles=_roles_json(person.roles),
                        created_at=person.created_at,
                        disabled_at=None,
                        email=person.email,
                        clearance=person.clearance.value,
                    )
                )
                self._db.bump_version(connection, VERSION_KEY)
        except sa.exc.IntegrityError:
            raise Conflict(f"person {person_id!r} already exists", code="person_exists") from None
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"store error: {exc.__class__.__name__}: {exc}") from exc
        self._changed()
        return person

    def set_roles(self, person_id: str, roles: Iterable[str | Role]) -> Person:
        """Replace the person's roles (an empty set leaves them only their own tasks)."""
        return self._update(person_id, roles=_roles_json(parse_roles(roles)))

    def set_profile(
        self, person_id: str, *, name: str, email: str | None, clearance: Label
    ) -> Person:
        """Replace what the directory says of a person: name, e-mail, clearance."""
        return self._update(
            person_id,
            name=_check_name(name, "a person's name"),
            email=check_email(email),
            clearance=Label(clearance).value,
        )

    def _update(self, person_id: str, **values: Any) -> Person:
        with self._db.begin() as connection:
            done = connection.execute(
                sa.update(people).where(people.c.id == person_id).values(**values)
            )
            if done.rowcount:
                self._db.bump_version(connection, VERSION_KEY)
        if done.rowcount == 0:
            raise _no_person(person_id)
        self._changed()
        return self.get(person_id)

    def disable(self, person_id: str) -> Person:
        """Disable a person: their keys stop working at once. Disabling twice is harmless."""
        with self._db.begin() as connection:
            connection.execute(
                sa.update(people)
                .where(people.c.id == person_id, people.c.disabled_at.is_(None))
                .values(disabled_at=self._clock())
            )
            self._db.bump_version(connection, VERSION_KEY)
        self._changed()
        return self.get(person_id)

    def find(self, person_id: str) -> Person | None:
        """The person with this id, or None."""
        with self._db.connect() as connection:
            row = connection.execute(sa.select(people).where(people.c.id == person_id)).first()
        return _person(row) if row is not None else None

    def get(self, person_id: str) -> Person:
        """The person with this id, or :class:`NotFound`."""
        person = self.find(person_id)
        if person is None:
            raise _no_person(person_id)
        return person

    def list(self) -> list[Person]:
        """Everyone, by id."""
        with self._db.connect() as connection:
            rows = connection.execute(sa.select(people).order_by(people.c.id)).all()
        return [_person(row) for row in rows]

    # -- keys -------------------------------------------------------------------------

    def create_key(self, person_id: str, name: str = "") -> tuple[PersonKey, str]:
        """Create a key for an enabled person; returns its record and the plaintext,
        shown only this once."""
        person = self.get(person_id)
        if person.disabled:
            raise InvalidInput(
                f"person {person_id} is disabled; they cannot be given keys",
                code="person_disabled",
            )
        key = PersonKey(
            id=secrets.token_hex(8),
            person_id=person_id,
            name=_check_name(name or _DEFAULT_KEY_NAME, "a key's name"),
            created_at=self._clock(),
            last_used_at=None,
            revoked=False,
        )
        secret = secrets.token_urlsafe(32)
        with self._db.begin() as connection:
            connection.execute(
                sa.insert(person_keys).values(
                    id=key.id,
                    person_id=key.person_id,
                    name=key.name,
                    key_hash=_hash(secret),
                    created_at=key.created_at,
                    last_used_at=None,
                    revoked_at=None,
                )
            )
        return key, f"{PERSON_KEY_PREFIX}{key.id}.{secret}"

    def authenticate(self, presented: str) -> tuple[Person, PersonKey]:
        """The person and key behind a bearer value, or :class:`Unauthorized`:
        ``invalid_api_key``, ``revoked_api_key`` or ``person_disabled``."""
        key_id, secret = parse_person_key(presented)
        with self._db.connect() as connection:
            key_row = connection.execute(
                sa.select(person_keys).where(person_keys.c.id == key_id)
            ).first()
            person_row = (
                connection.execute(
                    sa.select(people).where(people.c.id == key_row.person_id)
                ).first()
                if key_row is not None
                else None
            )
        if key_row is None or not hmac.compare_digest(key_row.key_hash, _hash(secret)):
            raise Unauthorized("the personal API key is not valid", code="invalid_api_key")
        if key_row.revoked_at is not None:
            raise Unauthorized("the personal API key has been revoked", code="revoked_api_key")
        if person_row is None or person_row.disabled_at is not None:
            raise Unauthorized(
                f"person {key_row.person_id} is disabled; ask an admin", code="person_disabled"
            )
        return _person(person_row), self._touch(_key(key_row))

    def revoke_key(self, person_id: str, key_id: str) -> PersonKey:
        """Revoke one of the person's keys; :class:`NotFound` unless it is theirs and active."""
        with self._db.begin() as connection:
            done = connection.execute(
                sa.update(person_keys)
                .where(
                    person_keys.c.id == key_id,
                    person_keys.c.person_id == person_id,
                    person_keys.c.revoked_at.is_(None),
                )
                .values(revoked_at=self._clock())
            )
        if done.rowcount == 0:
            raise NotFound(f"person {person_id!r} has no active key {key_id!r}")
        return next(key for key in self.list_keys(person_id) if key.id == key_id)

    def list_keys(self, person_id: str) -> builtins.list[PersonKey]:
        """The person's keys, oldest first, revoked ones included."""
        self.get(person_id)
        with self._db.connect() as connection:
            rows = connection.execute(
                sa.select(person_keys)
                .where(person_keys.c.person_id == person_id)
                .order_by(person_keys.c.created_at, person_keys.c.id)
            ).all()
        return [_key(row) for row in rows]

    def _touch(self, key: PersonKey) -> PersonKey:
        """Record that the key was used, at most once per :data:`LAST_USED_RESOLUTION`."""
        now = self._clock()
        if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
            return key
        # The condition in the WHERE keeps replicas racing on one key to one write.
        stale = person_keys.c.last_used_at.is_(None) | (
            person_keys.c.last_used_at <= now - LAST_USED_RESOLUTION
        )
        try:
            with self._db.begin() as connection:
                connection.execute(
                    sa.update(person_keys)
                    .where(person_keys.c.id == key.id, stale)
                    .values(last_used_at=now)
                )
        except StoreError as exc:
            # Bookkeeping only: the key was verified; a busy store must not lock people out.
            log.warning("could not record the use of key %s: %s", key.id, exc.message)
            return key
        return PersonKey(
            id=key.id,
            person_id=key.person_id,
            name=key.name,
            created_at=key.created_at,
            last_used_at=now,
            revoked=key.revoked,
        )


def _check_name(name: str, what: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > _MAX_NAME or not cleaned.isprintable():
        raise InvalidInput(f"{what} must be 1 to {_MAX_NAME} printable characters")
    return cleaned


def _no_person(person_id: str) -> NotFound:
    return NotFound(f"no person {person_id!r}; add them with 'proctor people add'")


def _roles_json(roles: frozenset[Role]) -> list[str]:
    return sorted(role.value for role in roles)


def _stored_roles(value: Any) -> frozenset[Role]:
    # A role this version does not know (written by a newer one) grants nothing here.
    known = {role.value for role in Role}
    if not isinstance(value, list):
        return frozenset()
    return frozenset(Role(item) for item in value if isinstance(item, str) and item in known)


def _person(row: Any) -> Person:
    return Person(
        id=row.id,
        name=row.name,
        roles=_stored_roles(row.roles),
        created_at=as_utc(row.created_at),
        disabled=row.disabled_at is not None,
        email=row.email,
        clearance=Label(row.clearance),
    )


def check_email(email: str | None) -> str | None:
    """An e-mail address as the directory keeps it (None when there is none)."""
    if email is None or not email.strip():
        return None
    cleaned = email.strip()
    if len(cleaned) > 320 or not _EMAIL.fullmatch(cleaned):
        raise InvalidInput(f"{email!r} is not an e-mail address", code="invalid_email")
    return cleaned


def _key(row: Any) -> PersonKey:
    return PersonKey(
        id=row.id,
        person_id=row.person_id,
        name=row.name,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at is not None else None,
        revoked=row.revoked_at is not None,
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
