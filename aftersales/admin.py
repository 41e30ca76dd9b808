from django.contrib import admin

from aftersales.models import (
    Acceptance,
    AcceptanceIssue,
    AftersalesTicket,
    FollowUpVisit,
    RepairRecord,
    ReplacementShipment,
    TicketResponse,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class AcceptanceIssueInline(ReadOnlyInline):
    model = AcceptanceIssue
    fields = ["issue_type", "description", "created_at"]
    readonly_fields = fields


@admin.register(Acceptance)
class AcceptanceAdmin(admin.ModelAdmin):
    list_display = ["order", "signer", "signed_on", "recorded_by", "recorded_at"]
    search_fields = ["order__number", "signer"]
    readonly_fields = ["order", "recorded_by", "recorded_at", "receipt", "receipt_name"]
    inlines = [AcceptanceIssueInline]


class TicketResponseInline(ReadOnlyInline):
    model = TicketResponse
    fields = ["text", "author", "created_at"]
    readonly_fields = fields


class RepairInline(ReadOnlyInline):
    model = RepairRecord
    fields = ["repair_date", "technician", "work_done", "parts", "result"]
    readonly_fields = fields


class ReplacementInline(ReadOnlyInline):
    model = ReplacementShipment
    fields = ["status", "item", "quantity", "carrier", "tracking_number", "eta", "received_on"]
    readonly_fields = fields


@admin.register(AftersalesTicket)
class AftersalesTicketAdmin(admin.ModelAdmin):
    """To look at only: a ticket changes through its actions (aftersales/actions.py), which
    keep its clocks, its order's timeline and the order's completion in step."""

    list_display = ["number", "order", "kind", "status", "owner", "opened_at", "rating"]
    list_filter = ["status", "kind", "source"]
    search_fields = ["number", "order__number", "description"]
    list_select_related = ["order", "owner"]
    inlines = [TicketResponseInline, RepairInline, ReplacementInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(FollowUpVisit)
class FollowUpVisitAdmin(admin.ModelAdmin):
    list_display = ["order", "method", "visit_date", "person", "satisfaction", "new_demand"]
    list_filter = ["method", "satisfaction", "new_demand"]
    search_fields = ["order__number", "person"]
    list_select_related = ["order"]
