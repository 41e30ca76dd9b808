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

from core.migration_helpers import move_content_types

MODELS = ("improvementitem",)


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, MODELS, source="archive", target="reports")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, MODELS, source="reports", target="archive")


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
