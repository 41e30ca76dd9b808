"""Index helpers shared by the apps."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import TextField
from django.db.models.functions import Cast, Upper


def trigram_index(field: str, *, name: str) -> GinIndex:
    """A pg_trgm index that serves Django's ``__icontains`` on ``field``.

    On PostgreSQL ``icontains`` compiles to ``UPPER("field"::text) LIKE UPPER(%s)``, so the
    index is on exactly that expression (a plain trigram index on the column is ignored).
    The ``pg_trgm`` extension is created by customers/migrations/0005.
    """
    return GinIndex(
        OpClass(Upper(Cast(field, output_field=TextField())), name="gin_trgm_ops"), name=name
    )
