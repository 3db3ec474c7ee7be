"""`python -m service ...` is the `docqa` command."""

from .cli import main

main(prog_name="docqa")
