"""The layering of the apps (docs/architecture.md): an app imports only from the apps below it.

    api            (the REST API: calls every app's actions and selectors)
    reports        (reads every app, the archive included; writes only its own table)
    archive        (may import every app below it)
    insights       (nightly forecasts and scores)
    customer_portal (the customer's side: signed links)
    finance        (settlement statements)
    aftersales
    fulfillment
    orders
    contracts      (when contracts are an app of their own)
    customers
    core           (knows no business app)

Every .py file of every app is read with ``ast`` — module-level imports, imports inside
functions and ``if TYPE_CHECKING:`` blocks, relative imports, and the string given to
``importlib.import_module(...)`` / ``import_module(...)`` / ``__import__(...)``. An app's
own tests and migrations obey the same rule; only the cross-app tests in tests/ may
import anything. A lower app that must tell a higher one something sends a signal or
calls a registry the higher app fills (core.actions.on, core.outbox.outbox_handler).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
LAYERS = (
    "core",
    "customers",
    "contracts",
    "orders",
    "fulfillment",
    "aftersales",
    "finance",
    "customer_portal",
    "insights",
    "archive",
    "reports",
    "api",
)
RANK = {app: rank for rank, app in enumerate(LAYERS)}
IMPORT_FUNCTIONS = {"import_module", "__import__"}


@dataclass(frozen=True)
class Import:
    file: Path
    line: int
    module: str

    def __str__(self) -> str:
        return f"{self.file.relative_to(BASE_DIR)}:{self.line} imports {self.module}"


def app_folders() -> list[Path]:
    return [BASE_DIR / app for app in LAYERS if (BASE_DIR / app / "__init__.py").exists()]


def python_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def _package(path: Path) -> list[str]:
    """The dotted package a file's relative imports start from."""
    parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
    return parts[:-1]  # a module's package, or for an __init__.py its own folder


def imports_of(path: Path, source: str | None = None) -> Iterator[Import]:
    if source is None:
        source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package(path)
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if node.module is None or node.level:
                # ``from . import x`` / ``from .. import orders``: the names may be modules.
                for alias in node.names:
                    yield Import(path, node.lineno, f"{module}.{alias.name}".strip("."))
            else:
                yield Import(path, node.lineno, module)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in IMPORT_FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield Import(path, node.lineno, node.args[0].value)


def app_of_file(path: Path) -> str:
    return path.relative_to(BASE_DIR).parts[0]


def violations() -> list[Import]:
    found = []
    for folder in app_folders():
        for path in python_files(folder):
            rank = RANK[app_of_file(path)]
            for imp in imports_of(path):
                target = imp.module.split(".")[0]
                if target in RANK and RANK[target] > rank:
                    found.append(imp)
    return found


def test_the_scan_sees_every_app_and_every_kind_of_import():
    folders = {folder.name for folder in app_folders()}
    assert {"core", "customers", "orders", "fulfillment", "aftersales", "archive", "reports"} <= (
        folders
    )
    sample = BASE_DIR / "core" / "sample.py"  # read from the string below, not from disk
    source = (
        "import os\n"
        "from orders.models import Order\n"
        "def f():\n"
        "    import fulfillment.services\n"
        "    from importlib import import_module\n"
        "    import_module('aftersales.models')\n"
        '    importlib.import_module("archive.tasks")\n'
        "from . import models\n"
        "from .. import customers\n"
    )
    found = {(imp.line, imp.module) for imp in imports_of(sample, source)}
    assert {
        (2, "orders.models"),
        (4, "fulfillment.services"),
        (6, "aftersales.models"),
        (7, "archive.tasks"),
        (8, "core.models"),
        (9, "customers"),
    } <= found


def test_no_app_imports_from_an_app_above_it():
    found = violations()
    for imp in found:
        print(imp)
    assert not found, f"{len(found)} imports from a higher app:\n" + "\n".join(map(str, found))
