"""``python -m sim.research.clv`` is ``sim clv``."""

from sim.commandline import module_main
from sim.research.clv.command import main

raise SystemExit(module_main(main))
