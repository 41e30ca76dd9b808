"""A state field (django_fsm ``FSMField``) changes only through its transitions.

The engine (core.actions) runs a model's ``@transition`` method; nobody else writes the
field — not by assignment, not by ``QuerySet.update()``, ``setattr()``, ``bulk_update()``,
a constructor or ``create()`` with another state than the default, nor raw SQL. The FSM
fields come from the models themselves (``django.apps``), so a new state machine is
guarded the day it is added.

Allowed: the body of a method decorated with ``@transition``; migrations; tests and
bench/ (which build rows in any state on purpose).

Many models have a ``status`` that is not a state machine (an import job, a change
request, a ticket). A write counts as one to an FSM field unless the source shows
otherwise: the object is of a model without that FSM field (by its annotation, the
model it was fetched from, or its name: ``job``, ``ticket``), or the value is a
member of a choices class that no FSM field uses (``ImportJobStatus.DONE``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django_fsm import FSMFieldMixin

BASE_DIR = Path(settings.BASE_DIR)
SKIPPED_DIRS = {
    ".venv",
    "venv",
    "var",
    "node_modules",
    "static",
    "migrations",
    "tests",
    "bench",
    "test-artifacts",
    "docs",
    "locale",
    "__pycache__",
    "order_portal.egg-info",
}
CREATE_METHODS = {"create", "get_or_create", "update_or_create"}


# --- what the models say --------------------------------------------------------------------
@dataclass
class Knowledge:
    fsm_fields: dict[str, list[Any]]  # field name -> the FSM fields of that name
    fsm_models: dict[str, set[str]]  # model class name -> its FSM field names
    model_names: set[str]  # every project model's class name
    fsm_choice_classes: set[str]  # choices classes an FSM field uses
    other_choice_classes: set[str]  # every other choices class
    choice_values: dict[str, dict[str, str]]  # choices class -> member -> value
    tables: dict[str, set[str]]  # db table -> FSM column names


def project_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if Path(model.__module__.split(".")[0]).name in {p.name for p in BASE_DIR.iterdir()}
        and (BASE_DIR / model.__module__.split(".")[0]).is_dir()
    ]


def _choice_classes() -> list[type[models.Choices]]:
    found, todo = [], list(models.Choices.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {p.name for p in BASE_DIR.iterdir() if p.is_dir()}:
            found.append(cls)
    return found


def knowledge() -> Knowledge:
    fsm_fields: dict[str, list[Any]] = {}
    fsm_models: dict[str, set[str]] = {}
    tables: dict[str, set[str]] = {}
    model_names = set()
    for model in project_models():
        model_names.add(model.__name__)
        for field in model._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin):
                fsm_fields.setdefault(field.name, []).append(field)
                fsm_models.setdefault(model.__name__, set()).add(field.name)
                tables.setdefault(model._meta.db_table, set()).add(field.column)
    fsm_value_sets = [
        frozenset(str(value) for value, _label in field.flatchoices)
        for fields in fsm_fields.values()
        for field in fields
    ]
    fsm_classes, other_classes, values = set(), set(), {}
    for cls in _choice_classes():
        values[cls.__name__] = {member.name: str(member.value) for member in cls}
        if frozenset(str(v) for v in cls.values) in fsm_value_sets:
            fsm_classes.add(cls.__name__)
        else:
            other_classes.add(cls.__name__)
    return Knowledge(
        fsm_fields=fsm_fields,
        fsm_models=fsm_models,
        model_names=model_names,
        fsm_choice_classes=fsm_classes,
        other_choice_classes=other_classes - fsm_classes,
        choice_values=values,
        tables=tables,
    )


# --- what the source does ----------------------------------------------------------------------
@dataclass(frozen=True)
class Write:
    file: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file.relative_to(BASE_DIR)}:{self.line} {self.what}"


def source_files() -> Iterator[Path]:
    for path in sorted(BASE_DIR.rglob("*.py")):
        parts = path.relative_to(BASE_DIR).parts
        if any(part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def _is_transition(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "transition"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.strip("_").split("_"))


def _root_name(node: ast.expr) -> str | None:
    """``Order`` for ``Order.objects.filter(...).select_for_update()``; None otherwise."""
    while True:
        if isinstance(node, ast.Call):
            # get_object_or_404(Order, ...) / get_list_or_404(Order, ...)
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in {"get_object_or_404", "get_list_or_404"} and node.args:
                node = node.args[0]
                continue
            node = func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _annotation_models(annotation: ast.expr | None, known: set[str]) -> set[str]:
    if annotation is None:
        return set()
    names = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in known:
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names |= {word for word in re.findall(r"\w+", node.value) if word in known}
    return names


class Scanner(ast.NodeVisitor):
    def __init__(self, path: Path, facts: Knowledge) -> None:
        self.path = path
        self.facts = facts
        self.writes: list[Write] = []
        self.in_transition = 0
        self.classes: list[str] = []
        self.scopes: list[dict[str, set[str]]] = [{}]

    # scopes: what model each local name holds, as far as the source tells
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        scope: dict[str, set[str]] = {}
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in arguments:
            found = _annotation_models(arg.annotation, self.facts.model_names)
            if found:
                scope[arg.arg] = found
        if self.classes and arguments and arguments[0].arg == "self":
            scope["self"] = {self.classes[-1]}
        # Assignments anywhere in the function: x = Order.objects.get(...), for x in ...
        for child in ast.walk(node):
            targets: list[ast.expr] = []
            value: ast.expr | None = None
            if isinstance(child, ast.Assign):
                targets, value = child.targets, child.value
            elif isinstance(child, ast.AnnAssign):
                targets, value = [child.target], child.value
                found = _annotation_models(child.annotation, self.facts.model_names)
                if found and isinstance(child.target, ast.Name):
                    scope.setdefault(child.target.id, set()).update(found)
            elif isinstance(child, ast.For | ast.comprehension):
                targets, value = [child.target], child.iter
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    root = _root_name(value)
                    if root in self.facts.model_names:
                        scope.setdefault(target.id, set()).add(root)
                    elif (
                        isinstance(value, ast.Call)
                        and isinstance(value.func, ast.Name)
                        and value.func.id[:1].isupper()
                    ):
                        # x = OrderPlan(...): an instance of a class that is no model
                        scope.setdefault(target.id, set()).add(f"~{value.func.id}")
        transition = any(_is_transition(d) for d in node.decorator_list)
        self.scopes.append(scope)
        self.in_transition += transition
        self.generic_visit(node)
        self.in_transition -= transition
        self.scopes.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _models_of(self, node: ast.expr) -> set[str]:
        """The model classes ``node`` holds, if the source tells; empty when it does not."""
        if isinstance(node, ast.Name):
            for scope in reversed(self.scopes):
                if node.id in scope:
                    return scope[node.id]
            if _camel(node.id) in self.facts.model_names:
                return {_camel(node.id)}
            return set()
        root = _root_name(node)
        if root in self.facts.model_names:
            return {root}
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and _camel(node.attr) in self.facts.model_names
        ):
            # self.order / step.order / shipment.order: named like a model
            return {_camel(node.attr)}
        return set()

    def _value_says_other(self, field: str, value: ast.expr | None) -> bool:
        """The value is a choice of a non-FSM field, or a string no FSM field knows."""
        if value is None:
            return False
        classes = {
            node.value.id
            for node in ast.walk(value)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if node.value.id in self.facts.choice_values
        }
        if classes:
            return not (classes & self.facts.fsm_choice_classes)
        strings = [
            node.value
            for node in ast.walk(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        if strings and all(isinstance(n, ast.Constant | ast.IfExp) for n in [value]):
            known = {str(v) for f in self.facts.fsm_fields[field] for v, _label in f.flatchoices}
            return not (set(strings) & known)
        return False

    def _is_fsm_write(self, receiver: ast.expr | None, field: str, value: ast.expr | None) -> bool:
        if field not in self.facts.fsm_fields or self.in_transition:
            return False
        holders = self._models_of(receiver) if receiver is not None else set()
        if holders:
            return any(field in self.facts.fsm_models.get(name, ()) for name in holders)
        return not self._value_says_other(field, value)

    def _is_default(self, field: str, value: ast.expr, holders: set[str]) -> bool:
        """The value is the default of the field (of the model, when the source tells)."""
        resolved: str | None = None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            resolved = value.value
        elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            resolved = self.facts.choice_values.get(value.value.id, {}).get(value.attr)
        fields = [
            f for f in self.facts.fsm_fields[field] if not holders or f.model.__name__ in holders
        ]
        return resolved is not None and any(resolved == str(f.default) for f in fields)

    def add(self, node: ast.AST, what: str) -> None:
        self.writes.append(Write(self.path, getattr(node, "lineno", 0), what))

    # assignments
    def _check_target(self, target: ast.expr, value: ast.expr | None, kind: str) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._check_target(element, None, kind)
        elif isinstance(target, ast.Attribute) and self._is_fsm_write(
            target.value, target.attr, value
        ):
            self.add(target, f"{kind} {ast.unparse(target)}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target, node.value, "assigns")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target, node.value, "augments")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target, node.value, "assigns")
        self.generic_visit(node)

    # calls
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        receiver = func.value if isinstance(func, ast.Attribute) else None
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        if method == "setattr" and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                value = node.args[2] if len(node.args) > 2 else None
                if self._is_fsm_write(node.args[0], name.value, value):
                    self.add(node, f"setattr(..., {name.value!r})")
        elif method == "update" and receiver is not None:
            for field, value in keywords.items():
                if self._is_fsm_write(receiver, field, value):
                    self.add(node, f"{ast.unparse(func)}({field}=...)")
        elif method == "bulk_update" and receiver is not None and len(node.args) >= 2:
            names = node.args[1]
            if isinstance(names, ast.List | ast.Tuple):
                for element in names.elts:
                    if isinstance(element, ast.Constant) and self._is_fsm_write(
                        receiver, str(element.value), None
                    ):
                        self.add(node, f"bulk_update(..., [{element.value!r}])")
        elif method in CREATE_METHODS and receiver is not None:
            given = dict(keywords)
            defaults = keywords.get("defaults") or keywords.get("create_defaults")
            if isinstance(defaults, ast.Dict):
                for key, value in zip(defaults.keys, defaults.values, strict=True):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        given[key.value] = value
            for field, value in given.items():
                if (
                    field in self.facts.fsm_fields
                    and self._is_fsm_write(receiver, field, value)
                    and not self._is_default(field, value, self._models_of(receiver))
                ):
                    self.add(node, f"{ast.unparse(func)}({field}=...)")
        elif method in self.facts.fsm_models and not self.in_transition:
            # Order(status=...): a row born in another state than the default.
            for field, value in keywords.items():
                if field in self.facts.fsm_models[method] and not self._is_default(
                    field, value, {method}
                ):
                    self.add(node, f"{method}({field}=...)")
        self.generic_visit(node)

    # raw SQL
    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and not self.in_transition:
            text = node.value.lower()
            for table, columns in self.facts.tables.items():
                for column in columns:
                    pattern = rf'update\s+"?{table}"?\s+set\b[^;]*?\b"?{column}"?\s*='
                    if re.search(pattern, text, flags=re.DOTALL):
                        self.add(node, f"raw SQL updates {table}.{column}")


def writes_outside_transitions(facts: Knowledge) -> list[Write]:
    found: list[Write] = []
    for path in source_files():
        scanner = Scanner(path, facts)
        scanner.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found.extend(scanner.writes)
    return found


# --- the tests -----------------------------------------------------------------------------------
def test_the_fsm_fields_are_found_from_the_models():
    facts = knowledge()
    assert "status" in facts.fsm_models.get("Order", set())
    assert "status" in facts.fsm_models.get("Borrowing", set())
    assert "OrderStatus" in facts.fsm_choice_classes
    assert "ImportJobStatus" in facts.other_choice_classes
    print("FSM fields:", {name: sorted(fields) for name, fields in facts.fsm_models.items()})


def _scan(source: str) -> list[str]:
    path = BASE_DIR / "orders" / "sample.py"
    scanner = Scanner(path, knowledge())
    scanner.visit(ast.parse(source))
    return [f"{w.line} {w.what}" for w in scanner.writes]


def test_the_scan_finds_each_kind_of_write_and_spares_the_transitions():
    source = """
from django_fsm import transition

class Order:
    @transition(field="status", source="draft", target="pending_review")
    def submit(self):
        self.status = "pending_review"

def services(order: Order, job, ticket, qs):
    order.status = OrderStatus.CONFIRMED
    job.status = ImportJobStatus.DONE
    ticket.status = "closed"
    Order.objects.filter(pk=1).update(status="archived")
    qs.update(status=OrderStatus.ARCHIVED)
    qs.update(status=ImportJobStatus.READY)
    setattr(order, "status", "confirmed")
    Order.objects.create(customer=c, status=OrderStatus.CONFIRMED)
    Order.objects.create(customer=c, status=OrderStatus.DRAFT)
    Order(customer=c, status=status)
    JsonResponse({}, status=503)
    Order.objects.bulk_update(orders, ["status"])
    cursor.execute("UPDATE orders_order SET status = 'archived' WHERE id = %s", [1])
    x = Order.objects.select_for_update().get(pk=1)
    x.status += "x"
"""
    found = _scan(source)
    assert found == [
        "10 assigns order.status",
        "13 Order.objects.filter(pk=1).update(status=...)",
        "14 qs.update(status=...)",
        "16 setattr(..., 'status')",
        "17 Order.objects.create(status=...)",
        "19 Order(status=...)",
        "21 bulk_update(..., ['status'])",
        "22 raw SQL updates orders_order.status",
        "24 augments x.status",
    ], found


def test_state_fields_change_only_inside_their_transitions():
    found = writes_outside_transitions(knowledge())
    for write in found:
        print(write)
    assert not found, f"{len(found)} writes of an FSM field outside its transitions:\n" + "\n".join(
        map(str, found)
    )
