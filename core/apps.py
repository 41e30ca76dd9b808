from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, using="default", **kwargs):  # type: ignore[no-untyped-def]
    from core.roles import sync_role_permissions

    sync_role_permissions(using=using)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import (
            checks,  # noqa: F401 (registers the system checks)
            outbox_kinds,  # noqa: F401 (registers core's outbox handlers)
        )
        from core.observability import connect_request_signals, connect_task_signals

        # Every Celery task logs its start, end and failure with its arguments.
        connect_task_signals()
        connect_request_signals()

        # post_migrate is sent once per app; sync the role permissions once per
        # migrate, after the last app with models has sent it.
        last = [config for config in apps.get_app_configs() if config.models_module][-1]
        post_migrate.connect(_sync_roles, sender=last, dispatch_uid="core.sync_roles")
