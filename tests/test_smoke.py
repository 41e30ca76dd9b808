import pytest
from django.contrib.auth.models import Group

from core.roles import ALL_ROLES


@pytest.mark.django_db
def test_every_role_exists_after_migrate_with_its_permissions():
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert set(ALL_ROLES) <= groups.keys()
    assert groups["sales_assistant"].permissions.filter(codename="add_customer").exists()
    assert not groups["warehouse"].permissions.filter(codename="view_prices").exists()


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
