from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from core.navigation import nav_for
from core.roles import ROLE_LABELS, user_roles
from core.selectors import unread_notification_count


def portal(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "portal_name": settings.PORTAL_NAME,
        "portal_company": settings.PORTAL_COMPANY,
    }
    if getattr(user, "is_authenticated", False):
        context["nav_items"] = nav_for(user)
        context["my_roles"] = [(role, ROLE_LABELS[role]) for role in user_roles(user)]
        # Called by the template only where the bell is drawn, and at most once
        # per request (cached): one cheap indexed COUNT, not one per render.
        context["unread_notification_count"] = functools.cache(
            functools.partial(unread_notification_count, user=user)
        )
        path = request.path
        context["nav_active"] = next(
            (
                item["key"]
                for item in context["nav_items"]
                if path.startswith(item["url"]) and item["url"] != "/"
            ),
            {"/": "home", reverse("core:my_work"): "my_work"}.get(path, ""),
        )
    return context
