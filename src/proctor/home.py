"""The data directory: one place for the store, the keys and the settings.

Resolution order: an explicit ``--data-dir``, then ``PROCTOR_HOME``, then
``$XDG_DATA_HOME/proctor`` (``~/.local/share/proctor`` when unset).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proctor.errors import InvalidInput
from proctor.store import Durability

HOME_ENV = "PROCTOR_HOME"
SETTINGS_FILE = "settings.yaml"


class ApprovalSettings(BaseModel):
    """How held calls wait for people."""

    model_config = ConfigDict(extra="forbid")

    ttl_s: int = Field(
        default=900,
        ge=60,
        le=86_400,
        description="how long a request waits before it expires (a deny); a policy's "
        "@approval_ttl_s may shorten it",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s?#]+$",
        description="the gateway's address as approvers reach it; one-click links in "
        "notifications need it (no links without it)",
    )
    link_ttl_s: int = Field(default=900, ge=60, le=86_400, description="one-click link lifetime")


class WebhookSettings(BaseModel):
    """Where notifications (approval requests, alerts) are POSTed, signed."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    max_attempts: int = Field(default=5, ge=1, le=20)
    first_backoff_s: float = Field(default=1.0, gt=0, le=600)
    max_backoff_s: float = Field(default=60.0, gt=0, le=3600)
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class DirectorySettings(BaseModel):
    """How the directory bounds agents by the people they work for."""

    model_config = ConfigDict(extra="forbid")

    unlisted: Literal["open", "deny"] = Field(
        default="open",
        description="a resource or tool no access rule names: open to every person "
        "cleared for its label, or to nobody",
    )


class FlowSettings(BaseModel):
    """Information flow: where the organization ends, and how tool outputs are read."""

    model_config = ConfigDict(extra="forbid")

    organization_domains: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="the organization's e-mail and web domains (subdomains included); a "
        "send_external to any other is held; none configured: every recipient is outside",
    )
    injection_threshold: float = Field(
        default=0.55, gt=0, le=1, description="the injection screen's flagging threshold"
    )
    stamp_template: str = Field(
        default="— Written by AI agent {agent} for {on_behalf_of} (task {task}, decision "
        "{decision_id}); {review}.",
        min_length=1,
        max_length=1000,
        description="the provenance stamp put on what agents publish or send; fields: "
        "{agent}, {on_behalf_of}, {task}, {decision_id}, {review}",
    )

    @field_validator("stamp_template")
    @classmethod
    def _stamp_fields(cls, template: str) -> str:
        return _check_stamp_template(template)


def _check_stamp_template(template: str) -> str:
    try:
        template.format(agent="a", on_behalf_of="p", task="t", decision_id="d", review="r")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            "the stamp template may use {agent}, {on_behalf_of}, {task}, {decision_id}, "
            f"{{review}} only ({exc})"
        ) from None
    return template


class MonitorSettings(BaseModel):
    """Behavioural monitoring: where rate limits are counted, when alerts are raised,
    what trips a breaker. The limits themselves are declared in ``proctor.yaml``."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        default=True,
        description="rate limits and anomaly facts; off: no limits, facts all zero "
        "(breakers a person tripped still hold)",
    )
    redis_url: str | None = Field(
        default=None,
        pattern=r"^rediss?://\S+$",
        description="count rate limits in this Redis, shared by every replica; "
        "default: in this process",
    )
    on_redis_error: Literal["deny", "local"] = Field(
        default="deny",
        description="while Redis does not answer: refuse calls a limit covers, or count "
        "them in this process (logged); never unlimited",
    )
    alert_threshold: float = Field(
        default=0.7, gt=0, le=1, description="an anomaly score at least this raises an alert"
    )
    alert_quiet_period_s: int = Field(
        default=1800, ge=0, le=86_400, description="one alert per agent per episode this long"
    )
    learning_calls: int = Field(
        default=300, ge=1, le=1_000_000, description="calls before an agent's baseline counts"
    )
    learning_period_s: int = Field(
        default=86_400, ge=0, le=30 * 86_400, description="and time before it counts"
    )
    breakers: dict[str, Any] = Field(
        default_factory=dict,
        description="on_trip, cool_down, probe_calls, probe_max_score, rules "
        "(docs/monitoring.md); empty: the default rules",
    )

    @field_validator("breakers")
    @classmethod
    def _breaker_rules(cls, raw: dict[str, Any]) -> dict[str, Any]:
        # Here: the Claude Code hook imports this module and must not load the monitor.
        from proctor.monitor import BreakerSettings

        try:
            BreakerSettings.from_mapping(raw)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        return raw


class Settings(BaseModel):
    """What an operator may tune; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")

    store_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: store.db in the data directory"
    )
    durability: Durability = Durability.PROCESS
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    audit_checkpoint_every: int = Field(default=1000, ge=1)
    audit_checkpoint_interval_s: float = Field(default=1.0, gt=0)
    inventory_poll_interval_s: float = Field(default=1.0, gt=0)
    token_issuer: str = Field(
        default="proctor", min_length=1, max_length=200, description="the iss of agent tokens"
    )
    token_ttl_s: int = Field(
        default=900, ge=1, le=86_400, description="agent token lifetime; 24 h is the ceiling"
    )
    max_delegation_depth: int = Field(default=4, ge=0, le=8)
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    directory: DirectorySettings = Field(default_factory=DirectorySettings)
    flow: FlowSettings = Field(default_factory=FlowSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "proctor"


def resolve_home(data_dir: Path | str | None = None) -> Path:
    if data_dir:
        return Path(data_dir).expanduser()
    from_env = os.environ.get(HOME_ENV)
    return Path(from_env).expanduser() if from_env else default_home()


@dataclass(frozen=True)
class Home:
    """Paths inside one data directory."""

    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / "store.db"

    @property
    def admin_key_path(self) -> Path:
        return self.path / "admin.key"

    @property
    def audit_key_path(self) -> Path:
        return self.path / "audit-signing.key"

    @property
    def audit_anchor_path(self) -> Path:
        return self.path / "audit-checkpoints.jsonl"

    @property
    def webhook_secret_path(self) -> Path:
        return self.path / "webhook.secret"

    @property
    def approval_link_key_path(self) -> Path:
        return self.path / "approval-links.key"

    @property
    def provenance_key_path(self) -> Path:
        return self.path / "provenance.key"

    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS_FILE

    def exists(self) -> bool:
        return self.store_path.exists()

    def ensure_directory(self) -> bool:
        """Create the directory (mode 0700) if needed; True when it was created."""
        if self.path.is_dir():
            return False
        self.path.mkdir(parents=True, mode=0o700)
        return True

    def load_settings(self) -> Settings:
        import yaml  # here: the Claude Code hook imports this module and reads no settings

        if not self.settings_path.exists():
            return Settings()
        try:
            raw = yaml.safe_load(self.settings_path.read_text(encoding="utf-8")) or {}
            return Settings.model_validate(raw)
        except (yaml.YAMLError, ValidationError) as exc:
            raise InvalidInput(f"{self.settings_path}: invalid settings: {exc}") from exc

    def store_url(self, settings: Settings) -> str:
        return settings.store_url or f"sqlite:///{self.store_path}"

    def read_admin_key(self) -> str | None:
        if not self.admin_key_path.exists():
            return None
        return self.admin_key_path.read_text(encoding="utf-8").strip() or None

    def write_admin_key(self, key: str) -> None:
        write_secret_file(self.admin_key_path, key + "\n")


def load_or_create_secret(path: Path) -> bytes:
    """The 256-bit secret in ``path`` (hex), created (mode 0600) on first use."""
    if not path.exists():
        # Another process may create it first: then its secret is the one to use.
        with contextlib.suppress(FileExistsError):
            write_secret_file(path, secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="utf-8").strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise InvalidInput(f"{path}: expected a hex-encoded secret") from None
    if len(secret) < 32:
        raise InvalidInput(f"{path}: the secret must hold at least 256 bits")
    return secret


def write_secret_file(path: Path, content: str) -> None:
    """Create ``path`` with mode 0600 from the first byte on; refuses to overwrite."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)


def is_private(path: Path) -> bool:
    """True when neither group nor others can read or write ``path``."""
    return not (path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
