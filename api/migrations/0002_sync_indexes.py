"""Indexes for the API's incremental sync (``updated_since`` + keyset on ``(updated_at, id)``).

They index tables of lower apps; the API is the only reader that walks them by
``updated_at``, so it owns them (docs/api.md, "Incremental sync"). Raw SQL keeps the
lower apps' model state untouched; ``IF NOT EXISTS`` makes the migration safe to rerun.
"""

from django.db import migrations

INDEXES = [
    ("api_sync_order_updated_idx", "orders_order"),
    ("api_sync_customer_updated_idx", "customers_customer"),
    ("api_sync_product_updated_idx", "orders_product"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("orders", "0001_initial"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} (updated_at, id)",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table in INDEXES
    ]
