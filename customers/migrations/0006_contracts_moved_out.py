"""Contracts now live in the contracts app (docs/architecture.md, "Layers").

Their tables stay where they are (the contracts models keep ``db_table`` =
customers_contract, customers_contractamendment, customers_contractevent): this
migration only removes the models from the customers app's migration state. It runs
after contracts 0001 (which declares them there) and after every migration that points
an FK at them (their ``run_before``), so no state in between misses a model.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0005_trigram_search'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ContractEvent'),
                migrations.DeleteModel(name='ContractAmendment'),
                migrations.DeleteModel(name='Contract'),
            ],
            database_operations=[],
        ),
    ]
