"""The improvement list moves from the archive app to the reports app
(docs/decisions/0007-reports-apart.md).

The code moves, the data does not: the model keeps its table (``db_table`` =
archive_improvementitem), so this migration only creates it in the migration state (no
SQL). ``archive/migrations/0004_improvements_moved_out.py`` removes it from the archive
app's state after this one.

The content type moves too, so that its permissions and any row that points at an item
through its content type keep pointing at it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("improvementitem",)


def _content_type_references(apps):
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


def _move_content_types(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:  # a fresh database: post_migrate creates the content type later
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
        taken = Permission.objects.using(db).filter(content_type=new).values("codename")
        Permission.objects.using(db).filter(content_type=old, codename__in=taken).delete()
        Permission.objects.using(db).filter(content_type=old).update(content_type=new)
        old.delete()
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "archive", "reports")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "reports", "archive")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('archive', '0003_archive_package'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    # The archive app forgets the model only once it is known here.
    run_before = [
        ('archive', '0004_improvements_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImprovementItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period', models.CharField(max_length=7, verbose_name='raised in month')),
                        ('problem', models.CharField(max_length=300, verbose_name='problem')),
                        ('action', models.CharField(max_length=300, verbose_name='corrective action')),
                        ('due_date', models.DateField(verbose_name='due date')),
                        ('status', models.CharField(choices=[('open', 'Not started'), ('in_progress', 'In progress'), ('done', 'Done')], default='open', max_length=12, verbose_name='status')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                    ],
                    options={
                        'verbose_name': 'improvement item',
                        'verbose_name_plural': 'improvement items',
                        'db_table': 'archive_improvementitem',
                        'ordering': ['status', 'due_date'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
