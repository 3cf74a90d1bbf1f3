"""Admin-added policy documents, kept in the store and validated before they land."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from proctor.errors import NotFound
from proctor.policy._arguments import ArgumentTypes
from proctor.policy._compile import InvalidPolicies, validate_documents
from proctor.policy._resources import default_documents
from proctor.policy._source import Diagnostic, PolicyDocument
from proctor.policy._tables import policies
from proctor.store import Database, as_utc, utcnow

#: The change counter bumped on every add or remove, so engines reload.
VERSION_NAME = "policies"


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    """A policy document an admin added: ``name`` is theirs, ``id`` is the store's."""

    id: str
    name: str
    text: str
    created_at: datetime
    created_by: str

    @property
    def document(self) -> PolicyDocument:
        """The document as the engine loads it, named ``store:<id>``."""
        return PolicyDocument(f"store:{self.id}", self.text)


class PolicyStore:
    """The ``policies`` table: add (after validation), remove, list."""

    def __init__(
        self, database: Database, *, arguments: Callable[[], ArgumentTypes] = lambda: ()
    ) -> None:
        self._database = database
        #: The policy arguments the catalog declares now (what stored texts validate for).
        self.arguments = arguments

    def add(self, name: str, text: str, created_by: str) -> str:
        """Validate ``text`` next to the defaults and the stored documents, then store it.

        Raises :class:`InvalidPolicies` (a ``PolicyError``) naming each problem in the
        new text, including an ``@id`` that another loaded policy already uses.
        """
        # Report problems under the name the admin knows; the text loads as store:<id>.
        document = PolicyDocument(name, text)
        existing = [*default_documents(), *self.documents()]
        every = [*existing, document]
        problems = [d for d in validate_documents(every, self.arguments()) if d.file == name]
        if problems:
            raise InvalidPolicies(problems)
        policy_id = uuid.uuid4().hex
        with self._database.begin() as connection:
            connection.execute(
                sa.insert(policies).values(
                    id=policy_id,
                    name=name,
                    text=text,
                    created_at=utcnow(),
                    created_by=created_by,
                )
            )
            self._database.bump_version(connection, VERSION_NAME)
        return policy_id

    def problems_if_replaced(
        self, texts: Mapping[str, str], arguments: ArgumentTypes | None = None
    ) -> builtins.list[Diagnostic]:
        """The problems ``texts`` would have if each replaced the stored text of its name.

        Validated together with the defaults and every other stored document, so a
        duplicate ``@id`` across names is caught; problems are named by the admin's name.
        ``arguments`` are the policy arguments to validate for (default: the catalog's).
        """
        if not texts:
            return []
        kept = [record.document for record in self.list() if record.name not in texts]
        candidates = [PolicyDocument(name, text) for name, text in texts.items()]
        every = [*default_documents(), *kept, *candidates]
        declared = self.arguments() if arguments is None else arguments
        return [problem for problem in validate_documents(every, declared) if problem.file in texts]

    def problems_with_arguments(self, arguments: ArgumentTypes) -> builtins.list[Diagnostic]:
        """The problems every stored policy would have if the catalog declared
        ``arguments`` (a tool change that would break a stored policy is refused)."""
        # Named as the admin named them, so the refusal says which policy would break.
        stored = [PolicyDocument(record.name, record.text) for record in self.list()]
        return validate_documents([*default_documents(), *stored], arguments)

    def put(self, name: str, text: str, created_by: str) -> bool:
        """Store ``text`` as the one document named ``name``, replacing any earlier text.

        Validated first as a replacement (raises :class:`InvalidPolicies`, changing
        nothing); the swap is one transaction. Returns False when the text is unchanged.
        """
        existing = [record for record in self.list() if record.name == name]
        if len(existing) == 1 and existing[0].text == text:
            return False
        problems = self.problems_if_replaced({name: text})
        if problems:
            raise InvalidPolicies(problems)
        with self._database.begin() as connection:
            connection.execute(sa.delete(policies).where(policies.c.name == name))
            connection.execute(
                sa.insert(policies).values(
                    id=uuid.uuid4().hex,
                    name=name,
                    text=text,
                    created_at=utcnow(),
                    created_by=created_by,
                )
            )
            self._database.bump_version(connection, VERSION_NAME)
        return True

    def remove(self, policy_id: str) -> None:
        """Delete a stored document; raises :class:`NotFound` if there is none."""
        with self._database.begin() as connection:
            deleted = connection.execute(sa.delete(policies).where(policies.c.id == policy_id))
            if deleted.rowcount == 0:
                raise NotFound(f"no stored policy document {policy_id!r}")
            self._database.bump_version(connection, VERSION_NAME)

    def list(self) -> list[StoredPolicy]:
        """Every stored document, oldest first."""
        query = sa.select(policies).order_by(policies.c.created_at, policies.c.id)
        with self._database.connect() as connection:
            rows = connection.execute(query).all()
        return [
            StoredPolicy(row.id, row.name, row.text, as_utc(row.created_at), row.created_by)
            for row in rows
        ]

    def documents(self) -> builtins.list[PolicyDocument]:
        """The stored documents, oldest first, as the engine loads them."""
        return [record.document for record in self.list()]
