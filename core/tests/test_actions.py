"""The action engine (core.actions), the domain errors (core.errors) and their page mapping
(core.web) — docs/architecture.md, "The action engine" and "Errors".

core knows no business app, so these tests act on Django's auth groups: a group's
``name`` stands for its state (``state_field="name"``), a permission's content type is
the root of a permission. The actions are throwaway declarations with names of their
own, registered for this module only and removed afterwards (other tests that walk
``all_actions()`` never see them).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import rules
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import path

from core import actions
from core.actions import (
    Step,
    action,
    all_actions,
    allowed,
    available,
    event_writer,
    has_perm,
    on,
    perform,
    read_only_when,
)
from core.errors import (
    MSG_NOT_ALLOWED,
    MSG_READ_ONLY,
    DomainError,
    Forbidden,
    Invalid,
    ReadOnly,
    WrongState,
    as_domain_error,
    http_status,
    problem,
    user_message,
)
from core.models import Notification
from core.web import DomainErrorMiddleware, back_to, refused, run_step

PERM = "auth.change_group"
OPEN, CLOSED, DONE = "coretest-open", "coretest-closed", "coretest-done"
ARCHIVED_PREFIX = "coretest-archived"
can_change = has_perm(PERM)


# --- the throwaway actions -------------------------------------------------------------------
class Boom(DomainError):
    """An app's own refusal, subclassing the one family (as OrderError does)."""


calls: dict[str, list[Any]] = {"effect": [], "event": [], "hook": []}


def _close(step: Step[Any]) -> Group:
    """Rename the group from open to done and write a second row — the writes to roll back."""
    calls["effect"].append(step.obj.pk)
    step.obj.name = step.params.get("to", DONE) + f"-{step.obj.pk}"
    step.obj.save()
    Group.objects.create(name=f"coretest-side-{step.obj.pk}")
    if step.params.get("fail") == "domain":
        raise Boom("the effect refused")
    if step.params.get("fail") == "bug":
        raise RuntimeError("the effect crashed")
    step.payload["closed"] = True
    return step.obj


def _create(step: Step[Any]) -> Permission:
    return Permission.objects.create(
        name="coretest", codename=f"coretest_{step.params['code']}", content_type=step.root
    )


def _rename_permission(step: Step[Any]) -> Permission:
    step.obj.name = step.params["label"]
    step.obj.save()
    return step.obj


def _nested(step: Step[Any]) -> Group:
    """A composite step: the inner action runs in a savepoint of the same transaction."""
    perform("coretest.close", actor=step.actor, obj=step.obj, note="inner")
    if step.params.get("fail"):
        raise Boom("the outer step refused after the inner one")
    return step.obj


def _declare() -> list[str]:
    """Declare this module's actions; returns their names."""
    declared = [
        action(
            "coretest.close",
            model=Group,
            predicate=can_change,
            states=(OPEN,),
            state_field="name",
            event="closed",
        )(_close),
        action(
            "coretest.close_silently",
            model=Group,
            predicate=can_change,
            states=(OPEN,),
            state_field="name",
            records=False,
        )(_close),
        action(
            "coretest.create_permission",
            model=Permission,
            predicate=can_change,
            root="content_type",
            creates=True,
        )(_create),
        action(
            "coretest.rename_permission",
            model=Permission,
            predicate=can_change,
            root="content_type",
        )(_rename_permission),
        action(
            "coretest.close_twice",
            model=Group,
            predicate=can_change,
            states=(OPEN,),
            state_field="name",
        )(_nested),
    ]
    return [act.name for act in declared]


@pytest.fixture(autouse=True)
def engine() -> Iterator[None]:
    """This module's actions, event writer, hooks and read-only rules — and none after it."""
    saved_actions = dict(actions._actions)
    saved_writers = dict(actions._event_writers)
    saved_read_only = dict(actions._read_only)
    saved_hooks = {name: list(hooks) for name, hooks in actions._hooks.items()}
    for key in calls:
        calls[key].clear()
    _declare()

    @event_writer(Group)
    def write_group_event(step: Step[Any]) -> None:
        calls["event"].append((step.action.name, step.from_state, step.to_state, step.note))
        # A row of its own, like the order's timeline event: rolled back with the step.
        Notification.objects.create(
            recipient=step.actor, title=f"event {step.action.name}", body=step.note
        )

    read_only_when(Group, lambda group: group.name.startswith(ARCHIVED_PREFIX))
    read_only_when(ContentType, lambda ct: ct.model == "coretest-archived")
    yield
    actions._actions.clear()
    actions._actions.update(saved_actions)
    actions._event_writers.clear()
    actions._event_writers.update(saved_writers)
    actions._read_only.clear()
    actions._read_only.update(saved_read_only)
    actions._hooks.clear()
    actions._hooks.update(saved_hooks)


@pytest.fixture
def clerk(make_user):  # type: ignore[no-untyped-def]
    """A user who holds the permission the actions need."""
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="change_group"))
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def outsider(make_user):  # type: ignore[no-untyped-def]
    return make_user()


def group(state: str = OPEN) -> Group:
    return Group.objects.create(name=state)


def snapshot() -> tuple[list[tuple[int, str]], int, int]:
    """What an action could have written: the groups, the event rows, the permissions."""
    groups = list(Group.objects.order_by("pk").values_list("pk", "name"))
    return groups, Notification.objects.count(), Permission.objects.count()


# --- the declarations -----------------------------------------------------------------------
def test_an_action_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        action("coretest.close", model=Group, predicate=rules.always_allow)(_close)


def test_the_fixture_leaves_the_registry_as_it_found_it():
    assert "coretest.close" in all_actions()
    # (the fixture removes them again; tests that walk all_actions() never meet them)


# --- refusals: nothing written ----------------------------------------------------------------
@pytest.mark.django_db
def test_a_user_without_the_permission_is_refused_with_forbidden_and_nothing_is_written(
    outsider,
):
    target = group()
    before = snapshot()
    with pytest.raises(Forbidden) as refusal:
        perform("coretest.close", actor=outsider, obj=target)
    assert refusal.value.status == 403
    assert str(refusal.value.message) == str(MSG_NOT_ALLOWED)
    assert snapshot() == before
    assert calls == {"effect": [], "event": [], "hook": []}


@pytest.mark.django_db
def test_a_step_the_state_does_not_allow_is_refused_with_wrong_state(clerk):
    target = group(CLOSED)
    before = snapshot()
    with pytest.raises(WrongState) as refusal:
        perform("coretest.close", actor=clerk, obj=target)
    assert refusal.value.status == 409
    assert CLOSED in str(refusal.value.message)  # the state the user sees
    assert snapshot() == before
    assert calls["effect"] == [] and calls["event"] == []


@pytest.mark.django_db
def test_the_state_is_checked_before_the_permission(outsider):
    """Someone without the permission, on an object in the wrong state, hears 409: the
    state is the reason anybody would be refused."""
    with pytest.raises(WrongState):
        perform("coretest.close", actor=outsider, obj=group(CLOSED))


@pytest.mark.django_db
def test_the_state_is_read_from_the_locked_row_not_from_the_callers_copy(clerk):
    target = group()
    Group.objects.filter(pk=target.pk).update(name=CLOSED)  # someone else closed it
    with pytest.raises(WrongState):
        perform("coretest.close", actor=clerk, obj=target)  # the caller's copy says open
    assert calls["effect"] == []


@pytest.mark.django_db
def test_a_read_only_object_refuses_every_action_even_to_who_may_do_it(clerk):
    target = group(f"{ARCHIVED_PREFIX}-1")
    before = snapshot()
    with pytest.raises(ReadOnly) as refusal:
        perform("coretest.close", actor=clerk, obj=target)
    assert refusal.value.status == 409
    assert str(refusal.value.message) == str(MSG_READ_ONLY)
    assert snapshot() == before
    assert not allowed("coretest.close", clerk, target)


@pytest.mark.django_db
def test_a_read_only_root_refuses_actions_on_its_parts_and_creating_under_it(clerk):
    archived = ContentType.objects.create(app_label="coretest", model="coretest-archived")
    part = Permission.objects.create(name="part", codename="coretest_part", content_type=archived)
    before = snapshot()
    with pytest.raises(ReadOnly):
        perform("coretest.rename_permission", actor=clerk, obj=part, label="changed")
    with pytest.raises(ReadOnly):
        perform("coretest.create_permission", actor=clerk, obj=archived, code="new")
    assert snapshot() == before
    assert not allowed("coretest.rename_permission", clerk, part)
    assert not allowed("coretest.create_permission", clerk, archived)


@pytest.mark.django_db
def test_an_unsaved_object_is_refused(clerk):
    with pytest.raises(DomainError):
        perform("coretest.close", actor=clerk, obj=Group(name=OPEN))


# --- the effect -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_allowed_step_runs_the_effect_and_writes_one_event(clerk):
    target = group()
    result = perform("coretest.close", actor=clerk, obj=target, note="  because  ")
    assert result.pk == target.pk and result.name == f"{DONE}-{target.pk}"
    target.refresh_from_db()
    assert target.name == f"{DONE}-{target.pk}"
    assert calls["effect"] == [target.pk]
    # One event, with the state before and after and the note as the user meant it.
    assert calls["event"] == [("coretest.close", OPEN, f"{DONE}-{target.pk}", "because")]
    assert Notification.objects.filter(title="event coretest.close").count() == 1


@pytest.mark.django_db
def test_an_action_that_records_nothing_writes_no_event(clerk):
    perform("coretest.close_silently", actor=clerk, obj=group())
    assert calls["effect"] and calls["event"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("failure", ["domain", "bug"])
def test_an_effect_that_raises_rolls_back_everything_it_wrote(clerk, failure):
    target = group()
    before = snapshot()
    with pytest.raises(Boom if failure == "domain" else RuntimeError):
        perform("coretest.close", actor=clerk, obj=target, fail=failure)
    assert calls["effect"] == [target.pk]  # it ran, and wrote two rows …
    assert snapshot() == before  # … which are gone
    assert calls["event"] == []


@pytest.mark.django_db
def test_a_refusal_inside_a_callers_transaction_leaves_that_transaction_usable(clerk):
    """A page that catches the refusal can still read and write (the engine's savepoint)."""
    target = group()
    with transaction.atomic():
        with pytest.raises(Boom):
            perform("coretest.close", actor=clerk, obj=target, fail="domain")
        Group.objects.create(name="coretest-after")
    assert Group.objects.filter(name="coretest-after").exists()


@pytest.mark.django_db
def test_a_composite_step_writes_one_event_per_step_and_rolls_back_whole(clerk):
    target = group()
    perform("coretest.close_twice", actor=clerk, obj=target, note="outer")
    assert [(name, note) for name, _f, _t, note in calls["event"]] == [
        ("coretest.close", "inner"),
        ("coretest.close_twice", "outer"),
    ]

    other = group()
    calls["event"].clear()
    before = snapshot()
    with pytest.raises(Boom):
        perform("coretest.close_twice", actor=clerk, obj=other, fail=True)
    assert len(calls["event"]) == 1  # the inner step had written its event …
    assert snapshot() == before, "… and it went back with the outer refusal"


@pytest.mark.django_db
def test_an_action_that_creates_its_subject_sees_its_root_and_records_on_it(clerk):
    root = ContentType.objects.create(app_label="coretest", model="coretest-root")
    created = perform("coretest.create_permission", actor=clerk, obj=root, code="made")
    assert created.pk and created.content_type_id == root.pk
    assert Permission.objects.filter(codename="coretest_made").exists()


# --- hooks ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_hook_runs_after_the_effect_inside_the_same_transaction(clerk):
    seen: list[tuple[str, bool, int]] = []

    @on("coretest.close")
    def hook(step: Step[Any]) -> None:
        seen.append(
            (
                Group.objects.get(pk=step.obj.pk).name,  # the effect's write is visible
                connection.in_atomic_block,
                len(calls["event"]),  # the event row is written before the hooks
            )
        )
        calls["hook"].append(step.action.name)

    target = group()
    perform("coretest.close", actor=clerk, obj=target)
    assert seen == [(f"{DONE}-{target.pk}", True, 1)]
    assert calls["hook"] == ["coretest.close"]


@pytest.mark.django_db
def test_a_hook_that_fails_rolls_back_the_effect_and_the_event(clerk):
    @on("coretest.close")
    def hook(step: Step[Any]) -> None:
        Group.objects.create(name="coretest-by-hook")
        raise Boom("stock is short")

    target = group()
    before = snapshot()
    with pytest.raises(Boom, match="stock is short"):
        perform("coretest.close", actor=clerk, obj=target)
    assert calls["effect"] == [target.pk] and len(calls["event"]) == 1
    assert snapshot() == before  # the rename, the side row, the event row, the hook's row


@pytest.mark.django_db
def test_a_hook_is_registered_once_however_often_ready_runs(clerk):
    def hook(step: Step[Any]) -> None:
        calls["hook"].append(step.obj.pk)

    on("coretest.close")(hook)
    on("coretest.close")(hook)
    perform("coretest.close", actor=clerk, obj=group())
    assert len(calls["hook"]) == 1


@pytest.mark.django_db
def test_a_refused_step_runs_no_hook(outsider):
    on("coretest.close")(lambda step: calls["hook"].append(step))
    with pytest.raises(Forbidden):
        perform("coretest.close", actor=outsider, obj=group())
    assert calls["hook"] == []


# --- the lock ----------------------------------------------------------------------------------
def _try_lock_elsewhere(model: type[Any], pk: int) -> str:
    """From another connection: take the row's lock without waiting. Returns the outcome."""
    outcome: list[str] = []

    def attempt() -> None:
        try:
            with transaction.atomic():
                model._default_manager.select_for_update(nowait=True).get(pk=pk)
            outcome.append("free")
        except DatabaseError:
            outcome.append("locked")
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=20)
    return outcome[0] if outcome else "timeout"


@pytest.mark.django_db(transaction=True)
def test_the_subject_is_locked_while_the_effect_runs_and_free_after(clerk):
    target = group()
    seen: list[str] = []

    @on("coretest.close")
    def hook(step: Step[Any]) -> None:
        seen.append(_try_lock_elsewhere(Group, step.obj.pk))

    assert _try_lock_elsewhere(Group, target.pk) == "free"
    perform("coretest.close", actor=clerk, obj=target)
    assert seen == ["locked"]
    assert _try_lock_elsewhere(Group, target.pk) == "free"


@pytest.mark.django_db(transaction=True)
def test_the_root_and_the_subject_are_both_locked_while_a_part_changes(clerk):
    root = ContentType.objects.create(app_label="coretest", model="coretest-locked")
    part = Permission.objects.create(name="part", codename="coretest_lock", content_type=root)
    seen: list[tuple[str, str]] = []

    @on("coretest.rename_permission")
    def hook(step: Step[Any]) -> None:
        seen.append(
            (_try_lock_elsewhere(ContentType, root.pk), _try_lock_elsewhere(Permission, part.pk))
        )

    perform("coretest.rename_permission", actor=clerk, obj=part, label="renamed")
    assert seen == [("locked", "locked")]


# --- allowed() agrees with perform() ----------------------------------------------------------
@pytest.mark.django_db
def test_allowed_answers_what_perform_would_do(clerk, outsider):
    archived_ct = ContentType.objects.create(app_label="coretest", model="coretest-archived")
    open_ct = ContentType.objects.create(app_label="coretest", model="coretest-open")
    cases: list[tuple[str, Any]] = []
    for state in (OPEN, CLOSED, f"{ARCHIVED_PREFIX}-2"):
        for name in ("coretest.close", "coretest.close_silently"):
            cases.append((name, lambda state=state: group(state)))
    for ct in (archived_ct, open_ct):
        cases.append(("coretest.create_permission", lambda ct=ct: ct))
        cases.append(
            (
                "coretest.rename_permission",
                lambda ct=ct: Permission.objects.create(
                    name="p", codename=f"coretest_p{Permission.objects.count()}", content_type=ct
                ),
            )
        )
    checked = 0
    for user in (clerk, outsider):
        for n, (name, make) in enumerate(cases):
            with transaction.atomic():  # each case on a fresh object, gone afterwards
                obj = make()
                says = allowed(name, user, obj)
                try:
                    perform(name, actor=user, obj=obj, code=f"c{n}", label="x")
                    did = True
                except DomainError:
                    did = False
                transaction.set_rollback(True)
            assert says == did, (name, user, obj, says, did)
            checked += 1
    assert checked == 2 * len(cases)


@pytest.mark.django_db
def test_available_names_each_action_for_a_template(clerk, outsider):
    target = group()
    names = ["coretest.close", "coretest.close_silently"]
    assert available(clerk, target, names) == {
        "coretest_close": True,
        "coretest_close_silently": True,
    }
    assert available(outsider, target, names) == {
        "coretest_close": False,
        "coretest_close_silently": False,
    }


# --- core.errors: one family, one mapping ------------------------------------------------------
def test_each_domain_error_has_its_http_status():
    assert http_status(Forbidden()) == 403
    assert http_status(WrongState("not now")) == 409
    assert http_status(ReadOnly()) == 409
    assert http_status(DomainError("no")) == 409
    assert http_status(Invalid(fields={"reason": ["required"]})) == 400
    assert http_status(Boom("an app's own")) == 409
    assert http_status(PermissionDenied()) == 403
    assert http_status(RuntimeError("a bug")) == 500  # a bug stays a bug


def test_an_apps_error_class_keeps_its_message_and_the_familys_status():
    class OrderPermissionDenied(Forbidden):
        pass

    error = OrderPermissionDenied("Only the manager approves.")
    assert http_status(error) == 403
    assert user_message(error) == "Only the manager approves."
    assert as_domain_error(error) is error


def test_a_validation_error_is_invalid_input_with_its_fields():
    exc = ValidationError({"reason": ["A reason is required."], "date": ["Too late."]})
    error = as_domain_error(exc)
    assert isinstance(error, Invalid)
    assert http_status(exc) == 400
    assert error.fields == {"reason": ["A reason is required."], "date": ["Too late."]}
    body = problem(exc)
    assert body["status"] == 400
    assert body["errors"] == error.fields
    assert "A reason is required." in body["detail"]


def test_a_plain_validation_error_has_no_fields():
    error = as_domain_error(ValidationError("Nope."))
    assert isinstance(error, Invalid)
    assert error.fields == {} and user_message(error) == "Nope."
    assert "errors" not in problem(error)


def test_problem_details_name_the_refusal():
    body = problem(WrongState("Already shipped."), instance="/orders/1/")
    assert body == {
        "type": "about:blank#wrong_state",
        "title": "wrong_state",
        "status": 409,
        "detail": "Already shipped.",
        "instance": "/orders/1/",
    }
    assert problem(Forbidden())["status"] == 403
    assert problem(ReadOnly())["title"] == "read_only"


# --- core.web: what a page answers --------------------------------------------------------
def _request(user: Any, data: dict[str, str] | None = None) -> HttpRequest:
    request = RequestFactory().post("/somewhere/", data or {})
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user
    return request


@pytest.mark.django_db
def test_run_step_redirects_with_the_success_message_when_allowed(clerk):
    target = group()
    request = _request(clerk)
    response = run_step(
        request,
        lambda: perform("coretest.close", actor=clerk, obj=target),
        success="Closed.",
        back="/groups/1/",
    )
    assert response.status_code == 302 and response["Location"] == "/groups/1/"
    assert [str(m) for m in get_messages(request)] == ["Closed."]


@pytest.mark.django_db
def test_run_step_goes_back_to_next_only_when_it_is_one_of_ours(clerk):
    request = _request(clerk, {"next": "/orders/?page=2"})
    assert back_to(request, "/default/") == "/orders/?page=2"
    evil = _request(clerk, {"next": "https://evil.example.com/"})
    assert back_to(evil, "/default/") == "/default/"
    response = run_step(evil, lambda: None, success="", back="/default/")
    assert response["Location"] == "/default/"


@pytest.mark.django_db
def test_run_step_raises_permission_denied_for_a_forbidden_step(outsider):
    target = group()
    with pytest.raises(PermissionDenied):
        run_step(
            _request(outsider),
            lambda: perform("coretest.close", actor=outsider, obj=target),
            success="Closed.",
            back="/groups/1/",
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("error", "status"),
    [
        (WrongState("It is closed already."), 409),
        (ReadOnly("It is closed already."), 409),
        (Boom("It is closed already."), 409),
        (Invalid("It is closed already.", fields={"reason": ["x"]}), 400),
        (ValidationError("It is closed already."), 400),
    ],
)
def test_run_step_shows_the_refusal_page_with_its_status_and_message(clerk, error, status):
    request = _request(clerk)

    def refuse() -> None:
        Group.objects.create(name="coretest-should-not-stay")
        raise error

    with transaction.atomic():  # what ATOMIC_REQUESTS or the engine would give
        response = run_step(request, refuse, success="Done.", back="/groups/7/")
        transaction.set_rollback(True)
    assert response.status_code == status
    page = response.content.decode()
    assert "It is closed already." in page
    assert 'href="/groups/7/"' in page
    assert list(get_messages(request)) == []  # no success message for a refusal


@pytest.mark.django_db
def test_run_step_lets_a_bug_through(clerk):
    def crash() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        run_step(_request(clerk), crash, success="Done.", back="/")


@pytest.mark.django_db
def test_refused_answers_a_form_view_the_same_way(clerk):
    response = refused(_request(clerk), WrongState("Not now."), back="/x/")
    assert response.status_code == 409 and "Not now." in response.content.decode()
    with pytest.raises(PermissionDenied):
        refused(_request(clerk), Forbidden(), back="/x/")
    with pytest.raises(ZeroDivisionError):
        refused(_request(clerk), ZeroDivisionError(), back="/x/")


# The middleware, through the whole stack: a view that lets a domain error escape.
def _escaping_view(request: HttpRequest, kind: str) -> HttpResponse:
    Group.objects.create(name=f"coretest-escaped-{kind}")
    raise {
        "state": WrongState("Closed meanwhile."),
        "input": Invalid("Say why.", fields={"reason": ["Say why."]}),
        "permission": Forbidden(),
        "bug": LookupError("a bug"),
    }[kind]


def _urlpatterns() -> list[Any]:
    from config.urls import urlpatterns as portal

    return [path("coretest/escape/<str:kind>/", _escaping_view), *portal]


urlpatterns = _urlpatterns()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("kind", "status"), [("state", 409), ("input", 400), ("permission", 403)])
def test_the_middleware_answers_a_domain_error_a_view_let_escape(client, clerk, kind, status):
    client.force_login(clerk)
    response = client.post(f"/coretest/escape/{kind}/", HTTP_REFERER="http://testserver/orders/")
    assert response.status_code == status
    if status != 403:
        assert 'href="http://testserver/orders/"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_middleware_leaves_a_bug_a_500(client, clerk):
    client.force_login(clerk)
    client.raise_request_exception = False
    response = client.post("/coretest/escape/bug/")
    assert response.status_code == 500


def test_the_middleware_passes_on_what_is_not_a_domain_error():
    middleware = DomainErrorMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    assert middleware.process_exception(request, RuntimeError("bug")) is None
    assert middleware.process_exception(request, PermissionDenied()) is None
