"""``python -m sim`` is the ``sim`` command."""

from sim.cli import cli_entry

cli_entry()
