"""``python -m sim.research.sensitivity`` is ``sim sensitivity``."""

from sim.commandline import module_main
from sim.research.sensitivity.command import main

raise SystemExit(module_main(main))
