# A ticket's and a replacement's status become protected django_fsm fields: they change
# only through the transitions of aftersales/models.py (docs/architecture.md §3).

import django_fsm
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0002_choice_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="aftersalesticket",
            name="status",
            field=django_fsm.FSMField(
                choices=[
                    ("open", "Waiting for a response"),
                    ("in_progress", "In progress"),
                    ("resolved", "Resolved"),
                ],
                default="open",
                max_length=12,
                protected=True,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="replacementshipment",
            name="status",
            field=django_fsm.FSMField(
                choices=[("planned", "To be shipped"), ("shipped", "Shipped")],
                default="planned",
                max_length=10,
                protected=True,
                verbose_name="status",
            ),
        ),
    ]
