"""Reading one configuration file, tolerantly: a file that is missing is simply not
there; one that cannot be read or parsed becomes a ``ConfigProblem``, never an
exception, so one broken file does not hide the servers declared in the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctor.discover.jsonc import loads_jsonc
from proctor.discover.model import ConfigProblem


@dataclass(frozen=True)
class Document:
    path: Path
    data: Any


def read_document(path: Path) -> Document | ConfigProblem | None:
    """The parsed file, a problem, or ``None`` when there is no such file.

    Every file is read as JSONC, even those whose client wants strict JSON: a file its
    client refuses still says which servers someone meant to run.
    """
    if path.is_dir():
        return ConfigProblem(path, "is a directory, expected a configuration file")
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        return ConfigProblem(path, "cannot be read: permission denied")
    except OSError as exc:
        return ConfigProblem(path, f"cannot be read: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ConfigProblem(path, f"is not UTF-8 text (byte {exc.start})")
    try:
        return Document(path, loads_jsonc(text))
    except json.JSONDecodeError as exc:
        return ConfigProblem(path, f"is not valid JSON: {exc.msg}", exc.lineno, exc.colno)
    except RecursionError:
        return ConfigProblem(path, "is not valid JSON: nested too deeply")
