"""The data administrator's page of webhook subscriptions and their delivery log, with
resume and replay (each an action of api/webhooks/__init__.py, through ``core.web.run_step``)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from core.actions import allowed
from core.web import run_step

VIEW = "api.view_webhooksubscription"


@permission_required(VIEW, raise_exception=True)
def subscription_list(request: HttpRequest) -> HttpResponse:
    subscriptions = list(
        WebhookSubscription.objects.select_related("client").order_by("client__name", "pk")
    )
    for subscription in subscriptions:
        subscription.may_resume = subscription.paused_at is not None and allowed(  # type: ignore[attr-defined]
            "webhook.resume", request.user, subscription
        )
    return render(
        request,
        "api/webhook_subscriptions.html",
        {"subscriptions": subscriptions, "nav_active": "webhooks"},
    )


@permission_required(VIEW, raise_exception=True)
def delivery_log(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription.objects.select_related("client"), pk=pk)
    deliveries = list(subscription.deliveries.order_by("-created_at", "-id")[:200])
    return render(
        request,
        "api/webhook_deliveries.html",
        {
            "subscription": subscription,
            "deliveries": deliveries,
            "may_replay": allowed("webhook.replay", request.user, deliveries[0])
            if deliveries
            else False,
            "nav_active": "webhooks",
        },
    )


@require_POST
@permission_required(VIEW, raise_exception=True)
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    return run_step(
        request,
        lambda: webhooks.webhook_resume(actor=request.user, subscription=subscription),
        success=_("The subscription is resumed; what waited is sent now."),
        back=reverse("webhooks:list"),
    )


@require_POST
@permission_required(VIEW, raise_exception=True)
def replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    return run_step(
        request,
        lambda: webhooks.webhook_replay(actor=request.user, delivery=delivery),
        success=_("The delivery is queued to be sent again."),
        back=reverse("webhooks:deliveries", args=[delivery.subscription_id]),
    )
