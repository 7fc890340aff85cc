"""Performance yardsticks for ``sim bench``: the weekly customer update written two more ways.

The full model (``sim.model``) updates every customer each week inside a whole firm
(employees, rivals, word of mouth, books). To judge its speed we write the customer part
of that week two further ways, from the same parameters and the same starting population:

* ``sim.perf.mesa_peer``: one Mesa agent per person with a ``step()``, activated with
  ``shuffle_do``, per-agent random draws: what most Mesa users would write;
* ``sim.perf.kernel``: the same update as bare NumPy over whole columns, with no model
  around it: the practical speed limit.

``sim.perf.update`` defines the update once (its parameters and outcome counters).
"""
