from django.contrib import admin

from fulfillment.models import (
    AllocationRule,
    OrderFulfillment,
    ProgressEntry,
    PurchaseAlert,
    Shipment,
    StockLevel,
    StockMovement,
    Warehouse,
)


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "manager", "is_active"]


@admin.register(AllocationRule)
class AllocationRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "region", "min_amount", "max_amount", "warehouse", "responsible"]
    list_filter = ["warehouse", "region"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Read-only: stock changes only through movements (fulfillment.services)."""

    list_display = ["warehouse", "product", "on_hand", "reserved", "in_transit", "safety_stock"]
    list_filter = ["warehouse"]
    search_fields = ["product__code", "product__name"]
    readonly_fields = ["on_hand", "reserved"]


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "stock",
        "on_hand_delta",
        "reserved_delta",
        "order",
        "actor",
    ]
    list_filter = ["kind"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(PurchaseAlert)
admin.site.register(OrderFulfillment)
admin.site.register(ProgressEntry)
admin.site.register(Shipment)
