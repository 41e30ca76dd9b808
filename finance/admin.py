"""Finance in the admin: to read. Statements, notes and payments are written by actions only."""

from typing import Any

from django.contrib import admin

from finance.models import Payment, SettlementLine, SettlementNote, SettlementStatement


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = SettlementLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in SettlementLine._meta.fields]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SettlementStatement)
class SettlementStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "order",
        "customer",
        "issued_at",
        "amount_due",
        "balance_due",
        "due_date",
    ]
    search_fields = ["number", "order__number", "customer__name"]
    inlines = [LineInline]


@admin.register(SettlementNote)
class SettlementNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "statement", "kind", "amount", "issued_by", "issued_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "customer", "order", "kind", "amount", "received_on", "posted_by"]
    search_fields = ["reference", "customer__name", "order__number"]
