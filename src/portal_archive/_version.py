"""The version of portal-archive (also recorded with every extracted article)."""

__version__ = "0.1.0"
