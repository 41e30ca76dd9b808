"""Messages of the customers app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MSG_DUPLICATE_NAME = _(
    "A customer with the same name already exists: %(existing)s. "
    "Tick “save anyway” if this really is a different customer."
)
MSG_DUPLICATE_CREDIT_CODE = _(
    "This unified social credit code already belongs to customer %(existing)s."
)
MSG_ONE_PRIMARY = _("Only one contact can be the primary contact.")
MSG_ONE_DEFAULT = _("Only one address can be the default delivery address.")
MSG_QUICK_CUSTOMER_EXISTS = _("This customer already exists: %(existing)s. Search for it instead.")
