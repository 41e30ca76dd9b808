"""Admin for the business calendar, SLA clocks and notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core import services
from core.calendar import calendar_coverage_warnings, calendar_fallback_help
from core.models import CalendarOverride, Notification, OutboxMessage, SlaClock
from core.outbox import outbox_retry

# The admin index shows the calendar's gaps (years whose holidays are missing).
admin.site.index_template = "core/admin_index.html"


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_working_day", "note")
    list_filter = ("is_working_day",)
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarOverride) -> str:
        return obj.date.strftime("%a")

    # Years without an official schedule: holidays by rule, 调休 unknown (core.calendar).
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "calendar_warnings": calendar_coverage_warnings(),
            "calendar_fallback_help": calendar_fallback_help(),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name == "is_working_day":
            field.help_text = f"{field.help_text} {calendar_fallback_help()}"
        return field

    # Through the services, so open deadlines follow the new calendar.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and "date" in form.changed_data:
            old = CalendarOverride.objects.get(pk=obj.pk)
            services.calendar_override_delete(override=old)
            obj.pk = None
        saved = services.calendar_override_save(
            day=obj.date, is_working_day=obj.is_working_day, note=obj.note
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.calendar_override_delete(override=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for override in queryset:
            services.calendar_override_delete(override=override)


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "owner",
        "escalate_to",
        "started_at",
        "due_at",
        "met_at",
        "breached_at",
        "escalated_at",
    )
    list_filter = ("kind", "content_type", ("met_at", admin.EmptyFieldListFilter), "breached_at")
    search_fields = ("owner__username", "owner__last_name", "note", "object_id")
    date_hierarchy = "due_at"
    list_select_related = ("owner", "escalate_to", "content_type")
    raw_id_fields = ("owner", "escalate_to")
    readonly_fields = (
        "content_type",
        "object_id",
        "started_at",
        "duration_unit",
        "duration_amount",
        "breached_at",
        "reminded_at",
        "escalated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Clocks are started by the business processes, never by hand.
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "recipient",
        "verb",
        "created_at",
        "read_at",
        "emailed_at",
        "webhook_sent_at",
        "webhook_attempts",
    )
    list_filter = ("verb", ("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("title", "body", "recipient__username", "recipient__last_name")
    date_hierarchy = "created_at"
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient", "clock")
    readonly_fields = (
        "clock",
        "created_at",
        "email_claimed_at",
        "emailed_at",
        "webhook_queued_at",
        "webhook_sent_at",
        "webhook_attempts",
        "webhook_error",
    )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What left (or waits to leave) the database: read-only, with one action — another
    round of attempts for messages that were given up (docs/architecture.md §4)."""

    list_display = ("kind", "target_label", "created_at", "sent_at", "attempts", "failed_at")
    list_filter = (
        "kind",
        ("sent_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("kind", "key", "last_error")
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]

    @admin.display(description=_("about"))
    def target_label(self, message: OutboxMessage) -> str:
        return f"{message.content_type.model} #{message.object_id}" if message.content_type else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Try the selected messages again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = 0
        for message in queryset.filter(sent_at__isnull=True):
            outbox_retry(message=message)
            count += 1
        self.message_user(
            request, _("%(count)s message(s) will be tried again.") % {"count": count}
        )
