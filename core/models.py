"""Core holds no business models of its own yet; see roles, audit, uploads."""
