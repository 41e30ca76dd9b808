from __future__ import annotations

from typing import Any


def person_name(user: Any) -> str:
    """A person's name as colleagues write it: 李强 for Chinese names, "Qiang Li" otherwise."""
    # Not only None: an unset relation in a template (``preparation.qc_inspector`` with no
    # preparation yet) arrives here as the empty string.
    if not user:
        return ""
    last, first = (user.last_name or "").strip(), (user.first_name or "").strip()
    if not (last or first):
        return user.get_username()
    if any("\u4e00" <= char <= "\u9fff" for char in last + first):
        return f"{last}{first}"
    return f"{first} {last}".strip()
