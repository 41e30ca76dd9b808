"""Contracts move from the customers app to their own app (docs/architecture.md, "Layers").

The code moves, the data does not: the three models keep their tables
(``db_table`` = the customers_* names), so this migration only creates them in the
migration state (no SQL). ``customers/migrations/0006_contracts_moved_out.py`` removes
them from the customers app's state after this one and after every FK that pointed at
``customers.Contract`` now points here (orders 0016, state only).

The content types move too, so that permissions ("contracts.review_contract", ...)
and the rows that point at a contract through its content type (notifications, SLA
clocks, outbox rows, the document register) keep pointing at it.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import django_fsm
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from core.migration_helpers import move_content_types

import core.uploads

MODELS = ("contract", "contractamendment", "contractevent")


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, MODELS, source="customers", target="contracts")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, MODELS, source="contracts", target="customers")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('customers', '0005_trigram_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    # The customers app forgets the models only once they are known here.
    run_before = [
        ('customers', '0006_contracts_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Contract',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(editable=False, max_length=30, unique=True, verbose_name='contract number')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('amount', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=16, validators=[django.core.validators.MinValueValidator(Decimal('0'))], verbose_name='contract amount (CNY)')),
                        ('start_date', models.DateField(verbose_name='start date')),
                        ('end_date', models.DateField(verbose_name='end date')),
                        ('terms', models.TextField(blank=True, help_text='Specification, quantity, price, delivery, payment, quality, liability.', verbose_name='main terms')),
                        ('status', django_fsm.FSMField(choices=[('draft', 'Draft'), ('supervisor_review', 'Supervisor review'), ('legal_review', 'Legal review'), ('ready_to_sign', 'Ready to sign'), ('signed', 'Signed'), ('in_force', 'In force'), ('expired', 'Expired'), ('terminated', 'Terminated')], db_index=True, default='draft', max_length=20, protected=True, verbose_name='status')),
                        ('signed_scan', models.FileField(blank=True, max_length=200, upload_to=core.uploads.PrivateUploadTo('contracts'), verbose_name='signed scan')),
                        ('signed_scan_name', models.CharField(blank=True, max_length=200, verbose_name='file name')),
                        ('signed_on', models.DateField(blank=True, null=True, verbose_name='signed on')),
                        ('expiry_reminded_at', models.DateTimeField(blank=True, null=True, verbose_name='expiry reminder sent')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='drafted by')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='customers.customer', verbose_name='customer')),
                        ('legal_reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='legal review by')),
                        ('supervisor_reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='supervisor review by')),
                    ],
                    options={
                        'verbose_name': 'contract',
                        'verbose_name_plural': 'contracts',
                        'db_table': 'customers_contract',
                        'ordering': ['-created_at'],
                        'permissions': [('review_contract', 'Can review contracts as sales supervisor'), ('legal_review_contract', 'Can give the legal review of contracts'), ('sign_contract', 'Can record the signing of contracts'), ('end_contract', 'Can put contracts in force, expire or terminate them')],
                        'indexes': [models.Index(condition=models.Q(('status', 'in_force')), fields=['end_date'], name='contract_in_force_end')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('end_date__gte', models.F('start_date'))), name='contract_end_not_before_start'), models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='contract_amount_not_negative')],
                    },
                    bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
                ),
                migrations.CreateModel(
                    name='ContractAmendment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sequence', models.PositiveSmallIntegerField(verbose_name='amendment number')),
                        ('description', models.TextField(verbose_name='what changes')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('status', django_fsm.FSMField(choices=[('supervisor_review', 'Supervisor review'), ('legal_review', 'Legal review'), ('approved', 'Approved'), ('sent_back', 'Sent back')], default='supervisor_review', max_length=20, protected=True, verbose_name='status')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='amendments', to='contracts.contract', verbose_name='contract')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
                    ],
                    options={
                        'verbose_name': 'contract amendment',
                        'verbose_name_plural': 'contract amendments',
                        'db_table': 'customers_contractamendment',
                        'ordering': ['contract', 'sequence'],
                        'constraints': [models.UniqueConstraint(fields=('contract', 'sequence'), name='contract_amendment_sequence_unique')],
                    },
                    bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
                ),
                migrations.CreateModel(
                    name='ContractEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=30, verbose_name='action')),
                        ('from_status', models.CharField(blank=True, max_length=20, verbose_name='from')),
                        ('to_status', models.CharField(blank=True, max_length=20, verbose_name='to')),
                        ('comment', models.TextField(blank=True, verbose_name='comment')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                        ('amendment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='contracts.contractamendment', verbose_name='amendment')),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='contracts.contract', verbose_name='contract')),
                    ],
                    options={
                        'verbose_name': 'contract step',
                        'verbose_name_plural': 'contract steps',
                        'db_table': 'customers_contractevent',
                        'ordering': ['created_at', 'id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
