"""A PostgreSQL sequence for customer codes (C00001, …): no duplicates under concurrent saves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS customers_customer_code_seq START 1",
            "DROP SEQUENCE IF EXISTS customers_customer_code_seq",
        )
    ]
