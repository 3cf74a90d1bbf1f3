"""Packages that load their submodules on first use (``proctor._lazy``) export exactly
what their ``TYPE_CHECKING`` imports say, which is what mypy checks callers against."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import proctor

SOURCE = Path(proctor.__file__).parent


def lazy_packages() -> list[str]:
    found = []
    for init in sorted(SOURCE.rglob("__init__.py")):
        if "lazy_exports(" in init.read_text(encoding="utf-8"):
            parts = init.parent.relative_to(SOURCE.parent).parts
            found.append(".".join(parts))
    return found


def typing_imports(package: str) -> dict[str, str]:
    """``name -> module`` for each ``from module import name`` under ``if TYPE_CHECKING``."""
    init = SOURCE.parent.joinpath(*package.split("."), "__init__.py")
    names = {}
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                assert statement.module is not None
                for alias in statement.names:
                    names[alias.asname or alias.name] = statement.module
    return names


def test_the_lazy_packages_are_found() -> None:
    assert {"proctor.cli", "proctor.gateway", "proctor.monitor", "proctor.sdk"} <= set(
        lazy_packages()
    )


@pytest.mark.parametrize("package", lazy_packages())
def test_every_export_is_what_the_typing_import_names(package: str) -> None:
    module = importlib.import_module(package)
    declared = typing_imports(package)
    # The rest of __all__ is defined in the package itself (proctor.cli's main).
    assert set(declared) <= set(module.__all__)
    assert all(name in vars(module) for name in set(module.__all__) - set(declared))
    for name, source in declared.items():
        assert getattr(module, name) is getattr(importlib.import_module(source), name), name


@pytest.mark.parametrize("package", lazy_packages())
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name", {})  # noqa: S102
