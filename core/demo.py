"""Demo users: one per role (DEMO ONLY — documented in README, never in production)."""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core import roles

DEMO_PASSWORD = "demo-pass-2024"  # noqa: S105 - demo data only, printed by make run

# username, family + given name, roles
DEMO_USERS = [
    ("assistant", "王", "丽", [roles.SALES_ASSISTANT]),
    ("assistant2", "陈", "静", [roles.SALES_ASSISTANT]),
    ("manager", "李", "强", [roles.SALES_MANAGER]),
    ("director", "赵", "总", [roles.SALES_DIRECTOR]),
    ("warehouse", "刘", "洋", [roles.WAREHOUSE]),
    ("logistics", "孙", "鹏", [roles.LOGISTICS]),
    ("account", "周", "敏", [roles.ACCOUNT_MANAGER]),
    ("aftersales", "吴", "涛", [roles.AFTERSALES]),
    ("dataadmin", "郑", "华", [roles.DATA_ADMIN]),
    ("legal", "冯", "律", [roles.LEGAL]),
    ("gm", "张", "伟", [roles.GENERAL_MANAGER]),
]


def load(stdout: TextIO) -> None:
    user_model = get_user_model()
    for username, last, first, role_names in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"last_name": last, "first_name": first, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=role_names))
    admin, created = user_model.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "last_name": "管理员"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    stdout.write(f"  demo users: {len(DEMO_USERS) + 1}\n")
