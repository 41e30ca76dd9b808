from django.contrib import admin

from contracts.models import Contract, ContractAmendment, ContractEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """To look at: contracts and amendments change only through their actions
    (contracts/actions.py), which lock the contract, check the state, the role and four
    eyes, and write its timeline — an edit here would do none of that."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "title", "amount", "start_date", "end_date", "status"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    search_fields = ["number", "title", "customer__name"]


@admin.register(ContractAmendment)
class ContractAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["contract", "sequence", "status", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["contract", "created_by"]


@admin.register(ContractEvent)
class ContractEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "contract", "action", "from_status", "to_status", "actor"]
    list_select_related = ["contract", "actor"]
