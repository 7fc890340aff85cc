"""``python -m sim.research.loops`` is ``sim loops``."""

from sim.commandline import module_main
from sim.research.loops.command import main

raise SystemExit(module_main(main))
