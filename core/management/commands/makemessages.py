"""Django's makemessages, also finding the project's short names of ``gettext_lazy``.

Modules that build many language-neutral messages import ``gettext_lazy as _l`` (or
``as _lazy``) next to ``gettext as _`` (docs/decisions/0011-language-neutral-messages.md);
xgettext knows only the names it is told, so without these keywords their msgids would
silently drop out of the catalogue and be shown in English to every reader.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l", "--keyword=_lazy"]
