"""Opening a data directory: the store and every component built on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from proctor.approvals import (
    ApprovalLinks,
    ApprovalNotifications,
    ApprovalRequest,
    Approvals,
    LinkSettings,
    Reach,
)
from proctor.audit import AuditLog, CheckpointSigner
from proctor.directory import Directory
from proctor.flow import Sessions
from proctor.home import Home, MonitorSettings, Settings, load_or_create_secret, resolve_home
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
from proctor.monitor import (
    BaselineSettings,
    BreakerSettings,
    KillSwitch,
    Monitor,
    MonitorSetup,
)
from proctor.notify import DeliveryLog, DeliveryResult, Notifier, RetryPolicy, WebhookNotifier
from proctor.people import People, Person
from proctor.policy import PolicyEngine, PolicyStore, argument_types
from proctor.provenance import ProvenanceKey, SessionProvenance
from proctor.screening import Detector, HeuristicDetector
from proctor.store import Database, utcnow
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
    approvals: Approvals
    approval_links: ApprovalLinks
    deliveries: DeliveryLog
    people: People
    directory: Directory
    sessions: Sessions
    provenance: SessionProvenance
    detector: Detector
    monitor: Monitor
    notifier: Notifier | None = None
    created: bool = False
    admin_key: str | None = None
    closed: bool = False

    @classmethod
    def open(
        cls, data_dir: Path | str | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> Runtime:
        """Open (creating on first start) the data directory and everything in it.

        On first start an admin key is created and written to ``admin.key`` (mode
        0600); :attr:`created` is then True and :attr:`admin_key` holds it. ``clock``
        is what approval requests and the monitor read the time from (tests move it).
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
        inventory = Inventory(database, poll_interval_s=settings.inventory_poll_interval_s)
        policy_store = PolicyStore(
            database, arguments=lambda: argument_types(inventory.snapshot.tools.values())
        )
        policies = PolicyEngine()
        policies.set_inventory(
            inventory.snapshot.agents.values(), inventory.snapshot.tools.values()
        )
        policies.load(policy_store.documents())
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
        people = People(database)
        directory = Directory(
            database,
            people,
            unlisted_open=settings.directory.unlisted == "open",
            poll_interval_s=settings.inventory_poll_interval_s,
        )
        people.on_change(directory.invalidate)
        approvals = Approvals(
            database, audit, clock=clock, reach=_approver_reach(inventory, directory)
        )
        # A request that ran out while no process was running is recorded as expired now.
        approvals.expire_due()
        links = ApprovalLinks(
            database,
            load_or_create_secret(home.approval_link_key_path),
            issuer=settings.token_issuer,
        )
        deliveries = DeliveryLog(database)
        notifier = _notifier(home, settings, deliveries, approvals, people, links)

        def owner_of(agent_id: str) -> str | None:
            agent = inventory.snapshot.agents.get(agent_id)
            return agent.owner if agent is not None else None

        monitor = Monitor(
            database,
            audit,
            monitor_setup(settings.monitor, settings.inventory_poll_interval_s),
            notifier=notifier,
            owner_of=owner_of,
            clock=clock,
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
            approvals=approvals,
            approval_links=links,
            deliveries=deliveries,
            people=people,
            directory=directory,
            sessions=Sessions(database, poll_interval_s=settings.inventory_poll_interval_s),
            provenance=SessionProvenance(
                database,
                ProvenanceKey.load_or_create(home.provenance_key_path),
                poll_interval_s=settings.inventory_poll_interval_s,
                home_domains=settings.flow.organization_domains,
            ),
            detector=HeuristicDetector(threshold=settings.flow.injection_threshold),
            monitor=monitor,
            notifier=notifier,
            created=created,
            admin_key=admin_key,
        )

    def close(self) -> None:
        """Write pending token use and a final checkpoint, then release the store;
        calling it twice is harmless."""
        if self.closed:
            return
        self.closed = True
        self.monitor.close()
        if self.notifier is not None:
            self.notifier.close()
        self.ledger.close()
        self.audit.close()
        self.database.dispose()


def monitor_setup(settings: MonitorSettings, poll_interval_s: float) -> MonitorSetup:
    """The monitor's setup from the data directory's ``monitor:`` settings."""
    return MonitorSetup(
        enabled=settings.enabled,
        redis_url=settings.redis_url,
        on_redis_error=settings.on_redis_error,
        alert_threshold=settings.alert_threshold,
        alert_quiet_period=timedelta(seconds=settings.alert_quiet_period_s),
        breakers=BreakerSettings.from_mapping(settings.breakers),
        baselines=BaselineSettings(
            learning_calls=settings.learning_calls,
            learning_period=timedelta(seconds=settings.learning_period_s),
        ),
        poll_interval_s=poll_interval_s,
    )


def _approver_reach(inventory: Inventory, directory: Directory) -> Reach:
    """What a person could not do of a held call themselves: an approver can only lift
    what they could have done (their clearance and access, like any requester's)."""

    def lacking(person: Person, request: ApprovalRequest) -> str:
        snapshot = inventory.snapshot
        tool = snapshot.tools.get(request.tool)
        if tool is None:
            # Registered by another process since this one last looked (an MCP proxy
            # registers a server's tools when it first lists them): look again.
            snapshot = inventory.refresh()
            tool = snapshot.tools.get(request.tool)
        if tool is None:
            return f"tool {request.tool} is not in the inventory"
        label = snapshot.data_label(tool, request.resource)
        owner = snapshot.resource(request.resource) if request.resource else None
        bound = directory.index.bound(
            (person.id,),
            tool.action_class,
            label,
            request.resource,
            request.tool,
            owner.owner if owner else None,
        )
        return "" if bound.cleared and bound.permitted else bound.why

    return lacking


def _notifier(
    home: Home,
    settings: Settings,
    deliveries: DeliveryLog,
    approvals: Approvals,
    people: People,
    links: ApprovalLinks,
) -> Notifier | None:
    """The webhook notifier (when a URL is configured), listening to approval events."""
    webhook = settings.webhook
    if webhook.url is None:
        return None
    handlers: list[ApprovalNotifications] = []

    def on_result(result: DeliveryResult) -> None:
        for handler in handlers:
            handler.delivered(result)

    notifier = WebhookNotifier(
        webhook.url,
        load_or_create_secret(home.webhook_secret_path),
        deliveries,
        retry=RetryPolicy(
            max_attempts=webhook.max_attempts,
            first_backoff_s=webhook.first_backoff_s,
            max_backoff_s=webhook.max_backoff_s,
            timeout_s=webhook.timeout_s,
        ),
        on_result=on_result,
    )
    public_url = settings.approvals.public_url
    link_settings = (
        LinkSettings(public_url, timedelta(seconds=settings.approvals.link_ttl_s))
        if public_url
        else None
    )
    notifications = ApprovalNotifications(approvals, people, notifier, links, link_settings)
    handlers.append(notifications)
    approvals.subscribe(notifications)
    return notifier
