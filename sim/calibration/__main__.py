"""``python -m sim.calibration`` is ``sim calibrate``."""

import sys

from sim.calibration.command import main

sys.exit(main())
