"""``python -m sim.research.optimise`` is ``sim optimise``."""

from sim.commandline import module_main
from sim.research.optimise.command import main

raise SystemExit(module_main(main))
