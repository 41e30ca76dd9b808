from django.contrib import admin

from customer_portal.models import (
    CustomerConfirmation,
    CustomerLink,
    CustomerPortalSettings,
    DeliveryRiskOffer,
)


@admin.register(CustomerPortalSettings)
class CustomerPortalSettingsAdmin(admin.ModelAdmin):
    """One row: prices shown, whether production waits for the customer's confirmation, the
    confirmation clock, link lifetime, the compensation on a late delivery
    (docs/decisions/0014-customer-links-and-sms.md)."""

    list_display = [
        "__str__",
        "show_prices",
        "confirmation_required",
        "link_days",
        "coupon_amount",
        "warranty_months",
        "updated_at",
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not CustomerPortalSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        CustomerPortalSettings.current()  # the row exists before anyone looks for it
        return super().changelist_view(request, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the customer's steps and the order page only (the action engine)."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CustomerLink)
class CustomerLinkAdmin(ReadOnlyAdmin):
    list_display = ["order", "contact", "created_at", "expires_at", "revoked_at", "opened_count"]
    list_select_related = ["order", "contact"]
    search_fields = ["order__number", "contact__name"]
    exclude = ["nonce"]


@admin.register(CustomerConfirmation)
class CustomerConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["order", "kind", "contact", "signed_name", "created_at", "ip"]
    list_select_related = ["order", "contact"]
    search_fields = ["order__number", "contact__name"]


@admin.register(DeliveryRiskOffer)
class DeliveryRiskOfferAdmin(ReadOnlyAdmin):
    list_display = ["order", "promised_date", "new_date", "choice", "answered_at"]
    list_select_related = ["order"]
    search_fields = ["order__number"]
