"""Opening a data directory: the store and every component built on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from proctor.audit import AuditLog, CheckpointSigner
from proctor.home import Home, Settings, resolve_home
from proctor.identity import (
    AdminKeys,
    ClientAssertions,
    Revocations,
    SigningKeys,
    TokenLedger,
    TokenService,
    token_endpoint_audience,
)
from proctor.inventory import Inventory, ShadowAgents
from proctor.model import AgentStatus
from proctor.monitor import KillSwitch
from proctor.people import People
from proctor.policy import PolicyEngine, PolicyStore
from proctor.store import Database
from proctor.tasks import Tasks


@dataclass
class Runtime:
    """The components of one running Proctor, sharing one store."""

    home: Home
    settings: Settings
    database: Database
    inventory: Inventory
    tasks: Tasks
    admin_keys: AdminKeys
    policy_store: PolicyStore
    policies: PolicyEngine
    audit: AuditLog
    kill_switch: KillSwitch
    signing_keys: SigningKeys
    tokens: TokenService
    assertions: ClientAssertions
    ledger: TokenLedger
    shadow_agents: ShadowAgents
    people: People
    created: bool = False
    admin_key: str | None = None
    closed: bool = False

    @classmethod
    def open(cls, data_dir: Path | str | None = None) -> Runtime:
        """Open (creating on first start) the data directory and everything in it.

        On first start an admin key is created and written to ``admin.key`` (mode
        0600); :attr:`created` is then True and :attr:`admin_key` holds it.
        """
        home = Home(resolve_home(data_dir))
        created = home.ensure_directory()
        settings = home.load_settings()
        database = Database.open(home.store_url(settings), durability=settings.durability)
        admin_keys = AdminKeys(database)
        admin_key = None
        if not home.admin_key_path.exists() and not admin_keys.list():
            _, admin_key = admin_keys.create("initial admin key")
            home.write_admin_key(admin_key)
            created = True
        policy_store = PolicyStore(database)
        inventory = Inventory(database, poll_interval_s=settings.inventory_poll_interval_s)
        policies = PolicyEngine(policy_store.documents())
        audit = AuditLog(
            database,
            CheckpointSigner.load_or_create(home.audit_key_path),
            checkpoint_every=settings.audit_checkpoint_every,
            checkpoint_interval_s=settings.audit_checkpoint_interval_s,
            anchor_path=home.audit_anchor_path,
        )
        signing_keys = SigningKeys(database, poll_interval_s=settings.inventory_poll_interval_s)

        def agent_status(agent_id: str) -> AgentStatus | None:
            agent = inventory.snapshot.agents.get(agent_id)
            return agent.status if agent is not None else None

        revocations = Revocations(database, poll_interval_s=settings.inventory_poll_interval_s)
        ledger = TokenLedger(database, revocations=revocations)
        tokens = TokenService(
            database,
            signing_keys,
            issuer=settings.token_issuer,
            default_ttl=timedelta(seconds=settings.token_ttl_s),
            revocations=revocations,
            agent_status=agent_status,
            on_issue=ledger.record,
            max_depth=settings.max_delegation_depth,
        )
        return cls(
            home=home,
            settings=settings,
            database=database,
            inventory=inventory,
            tasks=Tasks(database),
            admin_keys=admin_keys,
            policy_store=policy_store,
            policies=policies,
            audit=audit,
            kill_switch=KillSwitch(database, poll_interval_s=settings.inventory_poll_interval_s),
            signing_keys=signing_keys,
            tokens=tokens,
            assertions=ClientAssertions(
                database,
                lambda agent_id: inventory.snapshot.agents.get(agent_id),
                audience=token_endpoint_audience(settings.token_issuer),
            ),
            ledger=ledger,
            shadow_agents=ShadowAgents(database),
            people=People(database),
            created=created,
            admin_key=admin_key,
        )

    def close(self) -> None:
        """Write pending token use and a final checkpoint, then release the store;
        calling it twice is harmless."""
        if self.closed:
            return
        self.closed = True
        self.ledger.close()
        self.audit.close()
        self.database.dispose()
