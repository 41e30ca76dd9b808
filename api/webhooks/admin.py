"""Webhook subscriptions and their delivery log in the admin, with replay and resume
(each an action of the engine, api/webhooks/__init__.py). Registered by ``api.webhooks.register``
unless the API's own admin module registered the models already."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api.models import WebhookDelivery, WebhookSubscription
from core.errors import as_domain_error, user_message


def _run(request: HttpRequest, call: Any, items: QuerySet[Any], done: Any) -> None:
    count = 0
    for item in items:
        try:
            call(item)
        except Exception as exc:
            if as_domain_error(exc) is None:
                raise
            messages.error(request, f"{item}: {user_message(exc)}")
            continue
        count += 1
    if count:
        messages.success(request, done % {"count": count})


@admin.action(description=_("Send again"))
def replay_deliveries(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    from api.webhooks import webhook_replay

    _run(
        request,
        lambda delivery: webhook_replay(actor=request.user, delivery=delivery),
        queryset,
        _("%(count)s deliveries queued again."),
    )


@admin.action(description=_("Resume (send what waited)"))
def resume_subscriptions(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    from api.webhooks import webhook_resume

    _run(
        request,
        lambda subscription: webhook_resume(actor=request.user, subscription=subscription),
        queryset,
        _("%(count)s subscriptions resumed."),
    )


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).order_by("-created_at", "-id")


class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["client", "url", "active", "paused_at", "consecutive_failures", "created_at"]
    list_filter = ["active", "client"]
    readonly_fields = ["paused_at", "consecutive_failures", "created_at"]
    exclude = ["secret"]
    actions = [resume_subscriptions]
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made through the API: the secret is shown once there


class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "subscription",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "subscription__url", "subscription__client__name"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = [replay_deliveries]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _model, _admin in (
    (WebhookSubscription, WebhookSubscriptionAdmin),
    (WebhookDelivery, WebhookDeliveryAdmin),
):
    if not admin.site.is_registered(_model):
        admin.site.register(_model, _admin)
