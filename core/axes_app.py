"""django-axes (the login lockout) as the admin shows it, in the portal's languages.

django-axes ships no Chinese catalogue and names its app "Axes". This configuration
gives the app a name people understand; the list below puts the labels its admin shows
into the portal's own catalogue (locale/), which takes precedence over the package's.
Installed in config/settings.py in place of "axes". The last list holds three labels of
Django's own admin that its Chinese catalogue lacks.
"""

from __future__ import annotations

from axes.apps import AppConfig as _AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class AxesConfig(_AxesAppConfig):
    verbose_name = _("Login protection")


# The labels of django-axes's models and admin (axes/models.py, axes/admin.py), extracted
# by makemessages from here and translated in locale/.
AXES_LABELS = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
]

# Django's admin (5.2) labels its index table with these; its zh_Hans catalogue has none.
DJANGO_ADMIN_LABELS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
