"""API clients in the admin: make one (its key is shown once), rotate and revoke keys,
read the call log (docs/api.md, "Clients and keys")."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from api.keys import api_client_create, api_key_revoke, api_key_rotate
from api.models import ApiCallLog, ApiClient, ApiKey, ApiScope
from core import roles
from core.errors import DomainError, user_message

MSG_KEY_ONCE = _("Key of %(client)s (shown once; store it now): %(key)s")


class ApiClientAddForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=list(roles.ROLE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    scope_list = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiScope.choices,
        initial=["read", "write"],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "rate_limit_per_minute", "note"]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "created_at", "rotated_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "active", "rate_limit_per_minute", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    inlines = [ApiKeyInline]
    actions = ["rotate_keys", "revoke_keys"]
    readonly_fields = ["user", "created_at"]
    fields = ["name", "user", "scopes", "active", "rate_limit_per_minute", "note", "created_at"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiClientAddForm
            kwargs["fields"] = ["name", "rate_limit_per_minute", "note"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "roles", "scope_list", "rate_limit_per_minute", "note"]
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            client, key = api_client_create(
                name=obj.name,
                roles_=form.cleaned_data["roles"],
                scopes=form.cleaned_data["scope_list"],
                rate_limit=obj.rate_limit_per_minute,
            )
        except DomainError as exc:
            messages.error(request, user_message(exc))
            return
        client.note = obj.note
        client.save(update_fields=["note"])
        obj.pk = client.pk
        obj.user = client.user
        messages.warning(request, MSG_KEY_ONCE % {"client": client.name, "key": key})

    @admin.action(description=_("Rotate the key (the old one stops working)"))
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            key = api_key_rotate(client=client)
            messages.warning(request, MSG_KEY_ONCE % {"client": client.name, "key": key})

    @admin.action(description=_("Revoke every key"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        count = sum(api_key_revoke(client=client) for client in queryset)
        messages.success(request, _("%(count)s key(s) revoked.") % {"count": count})


@admin.register(ApiCallLog)
class ApiCallLogAdmin(admin.ModelAdmin):
    list_display = ["at", "client", "method", "path", "status", "duration_ms"]
    list_filter = ["status", "method", "client"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
