"""What PreToolUse decided, kept until PostToolUse records the outcome.

Claude Code runs the hook as a new process for each event, so the decision id of a
call must outlive the process that got it. It is kept in a small JSON file named by
a digest of ``(session_id, tool_use_id)`` in a private directory (mode 0700, owned by
the user running Claude Code; any other owner or mode is refused). PostToolUse reads
and removes it. Re-deriving instead (checking again after the call) would record a
second decision for one call, and could not tell which decision let it run.

Files left behind (a call Claude Code never ran, a session killed mid-call) are
removed once they are a day old.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from proctor.errors import StoreError

#: Overrides where the state is kept (tests; machines with an odd temp directory).
STATE_DIR_ENV = "PROCTOR_HOOK_STATE_DIR"
#: Files older than this are left-overs of calls that never finished.
STALE_AFTER_S = 86_400


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A decision PreToolUse gave and PostToolUse still has to report on."""

    decision_id: str
    outcome: str
    tool: str
    approval_id: str | None = None


def default_state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "proctor-claude-code"
    return Path(tempfile.gettempdir()) / f"proctor-claude-code-{os.getuid()}"


class CallState:
    """Pending calls of one user, one file each."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_state_dir()

    def save(self, session_id: str, tool_use_id: str, pending: PendingCall) -> None:
        directory = self._private_directory()
        self._sweep(directory)
        target = directory / _file_name(session_id, tool_use_id)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(asdict(pending), handle)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def take(self, session_id: str, tool_use_id: str) -> PendingCall | None:
        """The pending call, removed from the state; None when there is none."""
        target = self._private_directory() / _file_name(session_id, tool_use_id)
        try:
            raw = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        target.unlink(missing_ok=True)
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return _pending(data) if isinstance(data, Mapping) else None

    def _private_directory(self) -> Path:
        directory = self.directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
        # Another user's directory (or a symlink planted in /tmp) could feed PostToolUse
        # a decision id of someone else's choosing: refuse rather than trust it.
        if (
            not stat.S_ISDIR(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        ):
            raise StoreError(
                f"{directory} must be a directory of this user with mode 0700; "
                f"remove it or set {STATE_DIR_ENV}",
                code="hook_state_unsafe",
            )
        return directory

    def _sweep(self, directory: Path) -> None:
        cutoff = time.time() - STALE_AFTER_S
        for entry in os.scandir(directory):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
            except OSError:
                continue


def _file_name(session_id: str, tool_use_id: str) -> str:
    # A digest: the ids come from the hook's input and must never become a path.
    key = json.dumps([session_id, tool_use_id]).encode()
    return hashlib.sha256(key).hexdigest()[:40] + ".json"


def _pending(data: Mapping[str, object]) -> PendingCall | None:
    decision_id, outcome, tool = data.get("decision_id"), data.get("outcome"), data.get("tool")
    approval_id = data.get("approval_id")
    if not (isinstance(decision_id, str) and isinstance(outcome, str) and isinstance(tool, str)):
        return None
    return PendingCall(
        decision_id, outcome, tool, approval_id if isinstance(approval_id, str) else None
    )
