"""``python -m sim.customers`` is ``sim fit-customers``."""

from sim.commandline import module_main
from sim.customers.command import main

raise SystemExit(module_main(main))
