"""Contracts live in their own app on the customers app's tables (docs/architecture.md,
"Layers"): a database migrated before the move keeps its contracts, their permissions
and everything that points at a contract through its content type."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contracts.models import Contract
from core.models import Notification
from core.services import notification_create
from tests.factories import ContractFactory, CustomerFactory

MOVED = ("contract", "contractamendment", "contractevent")


def _labels() -> dict[str, set[str]]:
    rows = ContentType.objects.filter(model__in=MOVED).values_list("app_label", "model")
    labels: dict[str, set[str]] = {}
    for app_label, model in rows:
        labels.setdefault(app_label, set()).add(model)
    return labels


def _notify_as_before_the_move(user, contract):  # type: ignore[no-untyped-def]
    """A notification about ``contract`` as the code before the move wrote it (the content
    type of customers.Contract); today's code would make a contracts one at once."""
    notification = notification_create(recipient=user, title="待审合同", target=contract)
    old = ContentType.objects.get(app_label="customers", model="contract")
    Notification.objects.filter(pk=notification.pk).update(content_type=old)
    ContentType.objects.filter(app_label="contracts").delete()
    ContentType.objects.clear_cache()
    return notification


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


@pytest.fixture
def before_the_move(db):  # type: ignore[no-untyped-def]
    """Unapply contracts 0001 (state only: the tables stay), yield, migrate to the end."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    _migrate([("contracts", None)])
    yield
    _migrate(leaves)


def test_the_models_keep_the_customers_tables():
    assert Contract._meta.db_table == "customers_contract"
    assert Contract._meta.app_label == "contracts"


def test_migrating_moves_the_content_types_with_permissions_and_links(make_user, before_the_move):
    boss = make_user("sales_manager")
    contract = ContractFactory(customer=CustomerFactory())
    # Before the move the content types (and so the permissions) are the customers app's.
    assert _labels() == {"customers": set(MOVED)}
    review = Permission.objects.get(content_type__model="contract", codename="review_contract")
    notification = _notify_as_before_the_move(boss, contract)
    assert _labels() == {"customers": set(MOVED)}

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert _labels() == {"contracts": set(MOVED)}
    review.refresh_from_db()
    assert review.content_type.app_label == "contracts"
    boss = type(boss).objects.get(pk=boss.pk)  # a fresh permission cache
    assert boss.has_perm("contracts.review_contract")
    assert Notification.objects.get(pk=notification.pk).target == contract


def test_content_types_made_for_the_new_app_in_between_are_merged(make_user, before_the_move):
    boss = make_user("sales_manager")
    contract = ContractFactory(customer=CustomerFactory())
    notification = _notify_as_before_the_move(boss, contract)
    # e.g. post_migrate of a run that already knew the new app
    early = ContentType.objects.create(app_label="contracts", model="contract")
    Permission.objects.create(content_type=early, codename="review_contract", name="x")

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert _labels() == {"contracts": set(MOVED)}
    assert ContentType.objects.get(app_label="contracts", model="contract").pk == early.pk
    assert Permission.objects.filter(codename="review_contract").count() == 1
    boss = type(boss).objects.get(pk=boss.pk)
    assert boss.has_perm("contracts.review_contract")  # the role group keeps its permission
    assert Notification.objects.get(pk=notification.pk).target == contract


def test_the_customer_file_shows_the_contracts_panel_and_timeline(make_user, client):
    customer = CustomerFactory()
    contract = ContractFactory(customer=customer, title="年度框架合同")
    client.force_login(make_user("sales_assistant"))
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="panel-contracts"' in page
    assert contract.number in page and contract.get_absolute_url() in page
    assert f"/contracts/new/?customer={customer.pk}" in page  # may draft one
    timeline = page.split('data-testid="customer-timeline"', 1)[1]
    assert contract.get_absolute_url() in timeline and "年度框架合同" in timeline
    client.force_login(make_user("aftersales"))  # sees customers, not contracts
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="panel-contracts"' not in page and contract.number not in page
