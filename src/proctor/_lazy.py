"""Package ``__init__``s that load their submodules on first use.

A package lists, per submodule, the names it re-exports; ``from proctor.monitor import
Alert`` then imports ``proctor.monitor._alerts`` only, not the whole package. What
starts a process for one small job (``proctor hook claude-code``, before and after every
tool call) so imports only what that job uses. Each package keeps the same imports
under ``TYPE_CHECKING``, so type checkers see them as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: ``exports`` maps a submodule (``"_alerts"``)
    to the names taken from it. A name is looked up once, then kept on the package."""
    home = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
