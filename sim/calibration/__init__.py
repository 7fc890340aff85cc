"""Declared, joint calibration (``sim calibrate``): targets, free parameters, fit, report.

One module per concern: ``declaration`` (reading and checking the YAML), ``moments``
(the statistics of one run's tables), ``fit`` (surrogate, distance, identifiability),
``calibrate`` (the design sweeps and the fit), ``report`` and ``command``.
"""

from sim.calibration.command import main

__all__ = ["main"]
