"""The improvement list now lives in the reports app (docs/decisions/0007-reports-apart.md).

Its table stays where it is (reports.ImprovementItem keeps ``db_table`` =
archive_improvementitem): this migration only removes the model from the archive app's
migration state. It runs after reports 0001 (which declares it there, see its
``run_before``), so no state in between misses the model.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('archive', '0003_archive_package'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ImprovementItem'),
            ],
            database_operations=[],
        ),
    ]
