from typing import Any

from django.contrib import admin

from fulfillment.models import (
    AllocationRule,
    BomLine,
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
    list_display = [
        "priority",
        "region",
        "min_amount",
        "max_amount",
        "warehouse",
        "responsible",
        "account_manager",
    ]
    list_filter = ["warehouse", "region"]

    def formfield_for_foreignkey(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "account_manager":
            # Only people of the account_manager role speak to the customer (docs/workflow.md §2).
            from django.contrib.auth import get_user_model

            from core import roles

            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_active=True, groups__name=roles.ACCOUNT_MANAGER)
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Stock changes only through movements (the stock actions in fulfillment/actions.py)."""

    list_display = ["warehouse", "product", "on_hand", "reserved", "in_transit", "safety_stock"]
    list_filter = ["warehouse"]
    search_fields = ["product__code", "product__name"]
    readonly_fields = ["on_hand", "reserved"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """To look at: these rows change only through the fulfillment actions
    (fulfillment/actions.py), which lock the order, refuse an archived one and write
    its timeline — an edit here would do none of that."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
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


admin.site.register(PurchaseAlert, ReadOnlyAdmin)
admin.site.register(OrderFulfillment, ReadOnlyAdmin)
admin.site.register(ProgressEntry, ReadOnlyAdmin)
admin.site.register(Shipment, ReadOnlyAdmin)


@admin.register(BomLine)
class BomLineAdmin(admin.ModelAdmin):
    """The bill of materials the MES work orders check raw materials against."""

    list_display = ["product", "component", "quantity"]
    search_fields = ["product__code", "product__name", "component__code", "component__name"]
    autocomplete_fields = ["product", "component"]
