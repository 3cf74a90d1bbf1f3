"""Fixtures for credential tests: real SQLite stores and a clock the test moves."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from proctor.identity import Revocations, SigningKeys, TokenService
from proctor.model import ActionClass, Capabilities
from proctor.store import Database, utcnow

ISSUER = "https://proctor.test"
READ_FILES = Capabilities(
    actions=frozenset({ActionClass.READ, ActionClass.WRITE}), tools=("files.*", "search")
)


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Setup:
    database: Database
    clock: Clock
    keys: SigningKeys
    revocations: Revocations
    service: TokenService

    def issue(self, agent_id: str = "agent-a", **options: Any) -> str:
        values: dict[str, Any] = {
            "agent_id": agent_id,
            "task_id": "task_1",
            "requester": "alice",
            "capabilities": READ_FILES,
        }
        values.update(options)
        return self.service.issue(**values).token


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store migrated once; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "s.db"
    Database.open(path).dispose()
    return path


@pytest.fixture
def database(tmp_path: Path, template_store: Path) -> Iterator[Database]:
    path = tmp_path / "s.db"
    shutil.copyfile(template_store, path)
    database = Database.open(path)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def setup(database: Database, clock: Clock) -> Setup:
    keys = SigningKeys(database, clock=clock)
    revocations = Revocations(database, clock=clock)
    service = TokenService(database, keys, issuer=ISSUER, revocations=revocations, clock=clock)
    return Setup(database, clock, keys, revocations, service)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    header, payload, signature = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(payload)), unb64url(signature)


def encode_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def sign_by_hand(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """A token signed with ``key`` without going through the service."""
    signing_input = f"{encode_json(header)}.{encode_json(claims)}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"
