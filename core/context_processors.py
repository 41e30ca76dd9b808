from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core.navigation import nav_for
from core.roles import ROLE_LABELS, user_roles


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "portal_name": settings.PORTAL_NAME,
        "portal_company": settings.PORTAL_COMPANY,
    }
    if getattr(user, "is_authenticated", False):
        context["nav_items"] = nav_for(user)
        context["my_roles"] = [(role, ROLE_LABELS[role]) for role in user_roles(user)]
        path = request.path
        context["nav_active"] = next(
            (
                item["key"]
                for item in context["nav_items"]
                if path.startswith(item["url"]) and item["url"] != "/"
            ),
            "home" if path == "/" else "",
        )
    return context
