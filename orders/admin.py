from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from orders.models import ApprovalPolicy, Product


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "spec", "unit", "list_price", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "spec"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(SimpleHistoryAdmin):
    """One row: the director threshold, discount and price limits, the collection rate and
    the change window (orders/approval.py reads it)."""

    list_display = ["__str__", "director_threshold", "minimum_collection_rate", "updated_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not ApprovalPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        ApprovalPolicy.current()  # the row exists before anyone looks for it
        return super().changelist_view(request, extra_context)
