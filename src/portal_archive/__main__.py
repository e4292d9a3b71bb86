"""``python -m portal_archive``: the command line."""

from .cli import main

main()
