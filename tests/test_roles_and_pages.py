import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from core.roles import ALL_ROLES, ROLE_LABELS
from customers.models import Customer
from orders.models import Product


@pytest.mark.django_db
def test_every_role_exists_after_migrate_with_its_permissions():
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions__content_type")}
    assert set(ALL_ROLES) <= groups.keys()

    def perms(role):
        return {f"{p.content_type.app_label}.{p.codename}" for p in groups[role].permissions.all()}

    assert "customers.add_customer" in perms("sales_assistant")
    assert "customers.view_credit" in perms("sales_manager")
    assert "customers.view_credit" not in perms("sales_assistant")
    assert "orders.view_prices" not in perms("warehouse")
    assert "orders.view_prices" not in perms("logistics")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_sees_its_own_workbench(role_client, role):
    page = role_client(role).get("/").content.decode()
    label = str(ROLE_LABELS[role])
    from django.utils import translation

    with translation.override("zh-hans"):
        label = str(ROLE_LABELS[role])
    assert f'data-role="{role}"' in page
    assert f"{label}工作台" in page
    others = [r for r in ALL_ROLES if r != role]
    assert not any(f'data-role="{other}"' in page for other in others)


def test_a_user_with_two_roles_sees_both_workbenches(role_client):
    page = role_client("sales_assistant", "account_manager").get("/").content.decode()
    assert 'data-role="sales_assistant"' in page and 'data-role="account_manager"' in page


def test_navigation_shows_only_what_the_role_may_open(role_client):
    page = role_client("warehouse").get("/").content.decode()
    assert "/catalog/" in page
    assert 'href="/customers/"' not in page


@pytest.mark.parametrize("url", ["/", "/customers/", "/catalog/", "/customers/new/"])
def test_anonymous_users_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_login_page_is_chinese_by_default_and_switches_to_english(client, db):
    assert "登录" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page and 'lang="en"' in page


def test_health_check_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_unknown_page_gets_the_friendly_404(role_client, settings):
    settings.DEBUG = False
    response = role_client("sales_assistant").get("/no-such-page/")
    assert response.status_code == 404
    assert "您访问的页面不存在" in response.content.decode()


def test_logout_is_post_only_and_ends_the_session(role_client):
    client = role_client("sales_assistant")
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_password_change_page_is_there_for_every_user(role_client):
    assert "修改密码" in role_client("logistics").get("/accounts/password_change/").content.decode()


@pytest.mark.django_db
def test_demo_data_loads_once_and_is_valid(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)  # the second run changes nothing
    assert Customer.objects.count() == 25
    assert Product.objects.get(code="S-001").name == "服务器A型"
    for customer in Customer.objects.all():
        customer.full_clean()  # demo credit codes pass the GB 32100 check
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.prefetch_related("groups")
    held = {g.name for u in users for g in u.groups.all()}
    assert set(ALL_ROLES) <= held
    from orders.models import Order

    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"draft", "pending_review", "needs_info", "pending_approval", "confirmed"} <= statuses
