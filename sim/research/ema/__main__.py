"""``python -m sim.research.ema`` is ``sim ema``."""

from sim.commandline import module_main
from sim.research.ema.command import main

raise SystemExit(module_main(main))
