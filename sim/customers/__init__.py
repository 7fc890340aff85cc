"""``sim fit-customers``: a real firm's customers as the model's customer world.

A transaction log (customer_id, date, amount) is aggregated to customer-weeks
(``transactions``); the model's customer process (weekly visit chance with lognormal
heterogeneity, a tenure-shaped dropout hazard) is fitted by maximum likelihood on the
calibration period (``likelihood``) and mapped onto the model's ``market`` settings,
measured on the model itself (``mapping``); the cohort is then stepped through the
holdout by the model's own weekly step from each customer's posterior state
(``forecast``) and scored against BG/NBD fitted to the same weekly data (``compare``).
``pipeline`` runs it all, ``report`` writes it, ``command`` is the command line.
"""

from sim.customers.command import main

__all__ = ["main"]
