"""The action engine: one road for every change (docs/architecture.md, "The action engine").

An *action* is declared once — its name, the model it acts on, the ``django_fsm``
transition it runs (or the states it may run in), its permission as a ``rules``
predicate over ``(user, object)`` and its effect. :func:`perform` runs it, always the
same way, in one transaction:

1. lock the rows: the root object (e.g. the order) first, then the subject (e.g. one of
   its shipments) — always in this order, so two actions never deadlock;
2. refuse a write to a read-only (archived) root → :class:`~core.errors.ReadOnly` (409);
3. check the state: the FSM transition can run from here, or the state is one of the
   action's ``states`` → :class:`~core.errors.WrongState` (409);
4. check the predicate → :class:`~core.errors.Forbidden` (403);
5. run the effect (which may raise any :class:`~core.errors.DomainError`, rolling all back),
   apply the transition if the effect did not, save;
6. write the one event row (who, when, from, to, note, payload) through the writer
   registered for the root's model;
7. run the hooks other apps registered for the action (e.g. fulfillment reserves stock
   when an order is confirmed) — inside the same transaction: they fail, all fails;
8. whatever leaves the database was put in the outbox (:mod:`core.outbox`) by the effect
   or the hooks, and is delivered after the commit.

Pages, Celery tasks, the importer, the month close, the API and the customer pages all
call :func:`perform`; none of them re-implements a step of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union

import rules
from django.db import models, transaction
from django_fsm import can_proceed

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

from core.errors import MSG_WRONG_STATE, DomainError, Forbidden, ReadOnly, WrongState
from core.messages import JsonDict, MessageLike, Msg, message_store

M = TypeVar("M", bound=models.Model)

# Who runs an action: a person or an API client's technical user; None for a step the
# system takes on its own (an allocation, a deadline's report), which only predicates
# written for system steps allow.
Actor = Union["User", "AnonymousUser", None]

Effect = Callable[["Step[Any]"], Any]
Hook = Callable[["Step[Any]"], None]
EventWriter = Callable[["Step[Any]"], Any]


@dataclass(frozen=True)
class Action(Generic[M]):
    """A declared change. ``name`` is ``"<subject>.<verb>"`` (e.g. ``"order.approve"``)."""

    name: str
    model: type[M]
    predicate: rules.Predicate
    effect: Effect | None = None
    transition: str | None = None
    # Without a transition: the states of ``state_field`` it may run in (None = any).
    states: tuple[str, ...] | None = None
    state_field: str = "status"
    # Attribute path from the subject to the root whose lock, read-only rule and
    # timeline the action shares (e.g. "order" for a shipment); "" = the subject itself.
    root: str = ""
    # Creates its subject: no row to lock; the predicate sees the root given as ``obj``.
    creates: bool = False
    # What the timeline calls the step (event kind); "" = the writer decides.
    event: str = ""
    # Written to the timeline at all (a read-only action such as a download is not).
    records: bool = True

    def __str__(self) -> str:
        return self.name


@dataclass
class Step(Generic[M]):
    """One running action: what the effect, the event writer and the hooks see."""

    action: Action[M]
    actor: Any  # the effect reads what it needs (actions of the system pass None)
    obj: Any
    root: Any
    # The timeline note as text: a person's words, or a system message's text in the
    # default language; ``note_msg`` is that message (core.messages), rendered per reader.
    note: str = ""
    note_msg: JsonDict | None = None
    params: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    from_state: str = ""
    transitioned: bool = False
    result: Any = None
    # Extra event kind / action name for the timeline, set by the effect when one action
    # records something other than its own name (e.g. "credit_hold").
    event_kind: str = ""
    event_action: str = ""
    skip_event: bool = False
    stayed: bool = False

    @property
    def verb(self) -> str:
        """What the timeline calls the step: the effect's ``event_action``, or the action's
        verb (``"approve"`` for ``"order.approve"``)."""
        return self.event_action or self.action.name.split(".", 1)[-1]

    @property
    def to_state(self) -> str:
        return str(getattr(self.obj, self.action.state_field, "") or "")

    def set_note(self, note: MessageLike) -> None:
        """The timeline note: a system message (a ``Msg``, stored language-neutral) or a
        person's text (kept as written)."""
        self.note, self.note_msg = message_store(note)

    def note_message(self) -> tuple[str, JsonDict | None]:
        """``(text, json)`` for the event row. An effect that assigned ``note`` directly (a
        person's reason) after a system message was set wins: the text is what it wrote."""
        if self.note_msg is not None:
            text, _json = message_store(Msg.from_json(self.note_msg))
            if text == self.note:
                return self.note, self.note_msg
        return self.note, None

    def stay(self, *, event_kind: str = "", event_action: str = "", note: MessageLike = "") -> None:
        """End the step without its transition but keep what the effect wrote (e.g. an
        approval that puts the order on credit hold instead): the event records
        ``event_kind`` / ``event_action`` and ``note`` in place of the move."""
        self.stayed = True
        self.event_kind = event_kind or self.event_kind
        self.event_action = event_action or self.event_action
        if note:
            self.set_note(note)

    def transition(self, **kwargs: Any) -> None:
        """Apply the action's FSM transition now (the effect may need the new state)."""
        name = self.action.transition
        if name is None or self.transitioned or self.stayed:
            return
        method = getattr(self.obj, name)
        if not can_proceed(method):
            raise WrongState(_wrong_state_message(self.obj, self.action.state_field))
        method(**kwargs)
        self.obj.save()
        self.transitioned = True


_actions: dict[str, Action[Any]] = {}
_hooks: dict[str, list[Hook]] = defaultdict(list)
_event_writers: dict[type[models.Model], EventWriter] = {}
_read_only: dict[type[models.Model], Callable[[Any], bool]] = {}


def register(action: Action[M]) -> Action[M]:
    if action.name in _actions and _actions[action.name] != action:
        raise ValueError(f"action {action.name!r} is declared twice")
    _actions[action.name] = action
    return action


def action(
    name: str,
    *,
    model: type[M],
    predicate: rules.Predicate,
    transition: str | None = None,
    states: Iterable[str] | None = None,
    state_field: str = "status",
    root: str = "",
    creates: bool = False,
    event: str = "",
    records: bool = True,
) -> Callable[[Effect], Action[M]]:
    """Declare an action whose effect is the decorated function (see the module doc)."""

    def declare(effect: Effect) -> Action[M]:
        return register(
            Action(
                name=name,
                model=model,
                predicate=predicate,
                effect=effect,
                transition=transition,
                states=tuple(states) if states is not None else None,
                state_field=state_field,
                root=root,
                creates=creates,
                event=event,
                records=records,
            )
        )

    return declare


def get_action(name: str) -> Action[Any]:
    return _actions[name]


def all_actions() -> dict[str, Action[Any]]:
    return dict(_actions)


def on(name: str) -> Callable[[Hook], Hook]:
    """Register ``hook(step)`` to run inside the transaction of every ``name`` action.

    The way a higher app takes part in a lower app's step (stock reservation when an
    order is confirmed) without the lower app importing it. Register in ``ready()``.
    """

    def register_hook(hook: Hook) -> Hook:
        if hook not in _hooks[name]:
            _hooks[name].append(hook)
        return hook

    return register_hook


def event_writer(model: type[models.Model]) -> Callable[[EventWriter], EventWriter]:
    """Register how the timeline of ``model`` (a root) records a step."""

    def register_writer(writer: EventWriter) -> EventWriter:
        _event_writers[model] = writer
        return writer

    return register_writer


def timeline_writer(
    model: type[models.Model],
    event_model: type[models.Model],
    *,
    fk: str,
    note_field: str = "comment",
) -> EventWriter:
    """Register the usual writer for ``model``: one ``event_model`` row per step with the
    root (``fk``), the verb, from, to, the actor and the note."""

    has_message = any(f.name == f"{note_field}_msg" for f in event_model._meta.get_fields())

    def write(step: Step[Any]) -> Any:
        text, message = step.note_message()
        values = {
            fk: step.root,
            "action": step.verb,
            "from_status": step.from_state,
            "to_status": step.root.status,
            "actor": step.actor,
            note_field: text,
        }
        if has_message:  # else: the text, in the default language for a system message
            values[f"{note_field}_msg"] = message
        return event_model._default_manager.create(**values)

    return event_writer(model)(write)


def read_only_when(model: type[models.Model], test: Callable[[Any], bool]) -> None:
    """Declare when a root is read-only for every action (e.g. an archived order)."""
    _read_only[model] = test


def is_read_only(obj: Any) -> bool:
    test = _read_only.get(type(obj))
    return bool(test and test(obj))


def _wrong_state_message(obj: Any, state_field: str) -> object:
    display = getattr(obj, f"get_{state_field}_display", None)
    status = display() if callable(display) else getattr(obj, state_field, "")
    return MSG_WRONG_STATE % {"status": status}


def _resolve(obj: Any, path: str) -> Any:
    for part in path.split(".") if path else []:
        obj = getattr(obj, part)
    return obj


def _lock(model: type[models.Model], pk: Any) -> Any:
    return model._default_manager.select_for_update().get(pk=pk)


def state_allows(act: Action[Any], obj: Any) -> bool:
    """Whether the subject's state allows ``act`` (no predicate, no lock)."""
    if act.transition is not None:
        return bool(can_proceed(getattr(obj, act.transition), check_conditions=False))
    if act.states is not None:
        return getattr(obj, act.state_field) in act.states
    return True


def refusal(name: str, actor: Actor, obj: Any) -> DomainError | None:
    """Why :func:`perform` would refuse ``actor`` on ``obj`` now, or None.

    The same checks as :func:`perform`, in the same order, on the object as the page
    read it (no lock): pages use it to show a button, or to refuse a form before the
    user fills it in.
    """
    act = _actions[name]
    root = obj if act.creates else _resolve(obj, act.root)
    if root is not None and is_read_only(root):
        return ReadOnly()
    if not act.creates and not state_allows(act, obj):
        return WrongState(_wrong_state_message(obj, act.state_field))
    if not act.predicate.test(actor, obj):
        return Forbidden()
    return None


def allowed(name: str, actor: Actor, obj: Any) -> bool:
    """Whether ``actor`` may run ``name`` on ``obj`` now — what pages use to show a button."""
    return refusal(name, actor, obj) is None


def available(actor: Actor, obj: Any, names: Iterable[str]) -> dict[str, bool]:
    """``{name: allowed}`` for each action name (keys with dots replaced by underscores)."""
    return {name.replace(".", "_"): allowed(name, actor, obj) for name in names}


def perform(name: str, /, *, actor: Actor, obj: Any, note: MessageLike = "", **params: Any) -> Any:
    """Run the action ``name`` on ``obj`` for ``actor`` (see the module doc); returns the
    effect's result, or the (locked, updated) subject.

    ``note``: a person's text, or a system message (``core.messages.Msg``) that the
    timeline stores language-neutral."""
    act = _actions[name]
    with transaction.atomic():
        if act.creates:
            root = obj
            if root is not None:
                root = _lock(type(root), root.pk)
                if is_read_only(root):
                    raise ReadOnly()
            subject = None
        else:
            if obj is None or obj.pk is None:
                raise DomainError(code="missing")
            root = _resolve(obj, act.root)
            if act.root:
                # Fixed order: the root first, then the subject (no deadlock between steps
                # that lock an order and one of its parts).
                root = _lock(type(root), root.pk)
                subject = _lock(act.model, obj.pk)
            else:
                subject = root = _lock(act.model, obj.pk)
            if is_read_only(root):
                raise ReadOnly()
            if not state_allows(act, subject):
                raise WrongState(_wrong_state_message(subject, act.state_field))
        if not act.predicate.test(actor, subject if subject is not None else root):
            raise Forbidden()
        step: Step[Any] = Step(
            action=act,
            actor=actor,
            obj=subject,
            root=root,
            params=params,
            from_state=str(getattr(subject, act.state_field, "") or "") if subject else "",
        )
        if isinstance(note, str):
            step.note = note.strip()
        else:
            step.set_note(note)
        if act.effect is not None:
            step.result = act.effect(step)
        if act.creates:
            step.obj = step.result
            if step.root is None:
                step.root = _resolve(step.obj, act.root) if act.root else step.obj
        step.transition()
        if act.records and not step.skip_event:
            writer = _event_writers.get(type(step.root))
            if writer is not None:
                writer(step)
        for hook in _hooks.get(name, ()):
            hook(step)
    return step.result if step.result is not None else step.obj


# --- predicates shared by every app (docs/architecture.md, "Where each rule lives") ---
def has_perm(permission: str) -> rules.Predicate:
    """The user holds the Django permission (through a role group)."""

    @rules.predicate(name=f"has_perm:{permission}")
    def holds(user: Any, obj: Any = None) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.has_perm(permission))

    return holds


def not_author(
    *fields: str, extra: Callable[[Any], Iterable[Any]] | None = None
) -> rules.Predicate:
    """Four eyes: the user is none of the people in ``fields`` (e.g. created_by, owner) and,
    with ``extra``, none of the ids it returns (e.g. whoever edited the lines)."""

    @rules.predicate(name=f"not_author:{','.join(fields)}")
    def other_person(user: Any, obj: Any) -> bool:
        if obj is None:
            return True
        authors = {getattr(obj, f"{name}_id", None) for name in fields}
        if user.pk in authors:
            return False
        return not (extra is not None and user.pk in set(extra(obj)))

    return other_person


def one_of(*fields: str) -> rules.Predicate:
    """The user is one of the people in ``fields`` (e.g. the creator or the owner)."""

    @rules.predicate(name=f"one_of:{','.join(fields)}")
    def is_one(user: Any, obj: Any) -> bool:
        return obj is not None and user.pk in {getattr(obj, f"{name}_id", None) for name in fields}

    return is_one


def via(path: str, predicate: rules.Predicate) -> rules.Predicate:
    """``predicate`` tested on the object at ``path`` (e.g. the shipment's order)."""

    @rules.predicate(name=f"via:{path}:{predicate.name}")
    def on_related(user: Any, obj: Any) -> bool:
        return bool(predicate.test(user, _resolve(obj, path) if obj is not None else None))

    return on_related


always = rules.always_allow
