"""Create one group per role (docs/workflow.md §2) so roles exist right after migrate.

Permissions are attached by core.roles.sync_role_permissions after every
migrate, because permissions themselves only exist after post_migrate.
"""

from django.db import migrations

ROLES = [
    "sales_assistant",
    "sales_manager",
    "sales_director",
    "warehouse",
    "logistics",
    "account_manager",
    "aftersales",
    "data_admin",
    "legal",
    "general_manager",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, remove_roles)]
