"""Helpers for migrations that move models between apps without moving their tables
(docs/architecture.md §1): the content types follow the models, so permissions and every
row that points at an object through its content type (notifications, SLA clocks, outbox
rows, the document register) keep pointing at it. Used by historical migrations: keep the
behaviour stable."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def _content_type_references(apps: Any) -> Iterator[tuple[Any, str]]:
    """The (model, field name) of every FK to ContentType in the migration state."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                field.many_to_one
                and field.concrete
                and field.related_model is content_type
                and model._meta.label_lower != "auth.permission"
            ):
                yield model, field.name


def move_content_types(
    apps: Any, schema_editor: Any, models: Iterable[str], *, source: str, target: str
) -> None:
    """Relabel the content types of ``models`` from app ``source`` to app ``target``."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for model in models:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:  # a fresh database: post_migrate creates the content types later
            continue
        new = ContentType.objects.using(db).filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (the target was made by a run of post_migrate in between): keep the
        # target, move everything that points at the old one onto it.
        for related, name in _content_type_references(apps):
            related.objects.using(db).filter(**{name: old}).update(**{name: new})
        # The old permissions are the ones the role groups hold: they win.
        kept = Permission.objects.using(db).filter(content_type=old).values("codename")
        Permission.objects.using(db).filter(content_type=new, codename__in=kept).delete()
        Permission.objects.using(db).filter(content_type=old).update(content_type=new)
        old.delete()
    ContentType.objects.clear_cache()
