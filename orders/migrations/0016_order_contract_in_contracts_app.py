# Contracts moved to their own app (contracts 0001): Order.contract points there now.
# The table and the FK constraint do not change (state only).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0001_initial'),
        ('orders', '0015_orderevent_payload'),
    ]
    run_before = [
        ('customers', '0006_contracts_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='order',
                    name='contract',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='contracts.contract', verbose_name='contract'),
                ),
            ],
            database_operations=[],
        ),
    ]
