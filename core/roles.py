"""Roles of the portal (docs/workflow.md §2) and the registry of what each may do.

Roles are Django groups. The groups themselves are created by a data
migration (core/migrations/0001_roles.py). Which permissions each group
holds is declared by the app that owns the models — in its AppConfig.ready()
via :func:`grant` — so core never imports a business app, and synced after
every ``migrate`` by :func:`sync_role_permissions`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SALES_ASSISTANT = "sales_assistant"
SALES_MANAGER = "sales_manager"
SALES_DIRECTOR = "sales_director"
WAREHOUSE = "warehouse"
LOGISTICS = "logistics"
ACCOUNT_MANAGER = "account_manager"
AFTERSALES = "aftersales"
DATA_ADMIN = "data_admin"
LEGAL = "legal"
GENERAL_MANAGER = "general_manager"

# Order matters: it is the order roles are shown in.
ROLE_LABELS = {
    SALES_ASSISTANT: _("Sales assistant"),
    SALES_MANAGER: _("Sales manager"),
    SALES_DIRECTOR: _("Sales director"),
    WAREHOUSE: _("Warehouse / production"),
    LOGISTICS: _("Logistics"),
    ACCOUNT_MANAGER: _("Account manager"),
    AFTERSALES: _("After-sales"),
    DATA_ADMIN: _("Data administrator"),
    LEGAL: _("Legal"),
    GENERAL_MANAGER: _("General manager"),
}
ALL_ROLES = tuple(ROLE_LABELS)

SALES_ROLES = (SALES_ASSISTANT, SALES_MANAGER, SALES_DIRECTOR)

_grants: dict[str, set[str]] = defaultdict(set)


def grant(roles: str | tuple[str, ...] | list[str], *permissions: str) -> None:
    """Declare that ``roles`` hold ``permissions`` ("app_label.codename")."""
    for role in (roles,) if isinstance(roles, str) else roles:
        if role not in ROLE_LABELS:
            raise ValueError(f"unknown role {role!r}")
        _grants[role].update(permissions)


def declared_permissions() -> dict[str, set[str]]:
    return {role: set(_grants.get(role, set())) for role in ALL_ROLES}


def sync_role_permissions(using: str = "default") -> None:
    """Make every role group hold exactly the permissions the code declares."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # post_migrate runs app by app; make sure every app's permissions exist
    # before they are assigned, whichever app's signal got us here.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    for role, wanted in declared_permissions().items():
        missing = wanted - by_key.keys()
        if missing:
            raise LookupError(f"role {role} is granted unknown permissions: {sorted(missing)}")
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_key[key] for key in sorted(wanted)])


def user_roles(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """The roles a user holds, in display order (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        cached = [role for role in ALL_ROLES if role in names]
        user._portal_roles = cached  # type: ignore[union-attr]
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: str) -> bool:
    return bool(set(user_roles(user)) & set(roles))


def users_with_role(role: str) -> list[Any]:
    """The active users holding ``role`` (e.g. everyone to tell when an order is confirmed)."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk").distinct()
    )


def four_eyes(user: Any, permission: str, author_id: int | None) -> bool:
    """``user`` holds ``permission`` and is not the author of what they would decide on.

    The portal's four-eyes rule: nobody reviews, approves or decides on what they
    entered or asked for themselves (orders, quotations, contracts, borrowings).
    """
    return bool(user.has_perm(permission)) and user.pk != author_id
