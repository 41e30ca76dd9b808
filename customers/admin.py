from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from customers.models import (
    Address,
    Contact,
    CreditPolicy,
    Customer,
    PaymentRecord,
    QualificationDocument,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "credit_code",
        "region",
        "industry",
        "qualification_status",
        "account_manager",
    ]
    list_filter = ["region", "industry", "qualification_status", "is_active"]
    search_fields = ["code", "name", "credit_code"]
    list_select_related = ["account_manager"]
    inlines = [ContactInline, AddressInline]
    readonly_fields = ["created_by", "created_at", "updated_at"]


@admin.register(QualificationDocument)
class QualificationDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["customer", "kind", "original_name", "uploaded_by", "uploaded_at"]
    list_select_related = ["customer", "uploaded_by"]
    readonly_fields = [
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]


@admin.register(PaymentRecord)
class PaymentRecordAdmin(SimpleHistoryAdmin):
    list_display = [
        "customer",
        "invoice_number",
        "invoiced_amount",
        "invoice_date",
        "due_date",
        "received_amount",
        "received_date",
    ]
    list_select_related = ["customer"]
    search_fields = ["invoice_number", "customer__name"]
    list_filter = ["due_date"]


@admin.register(CreditPolicy)
class CreditPolicyAdmin(SimpleHistoryAdmin):
    """One row: the limit new customers start with (docs/decisions/0009-credit-policy.md)."""

    list_display = ["__str__", "new_customer_credit_limit", "updated_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not CreditPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def changelist_view(self, request, extra_context=None):  # type: ignore[no-untyped-def]
        CreditPolicy.current()  # the row exists before anyone looks for it
        return super().changelist_view(request, extra_context)
