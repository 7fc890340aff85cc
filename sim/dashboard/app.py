"""The Solara app file: ``solara run sim/dashboard/app.py`` (``python -m sim.dashboard`` runs it).

Solara serves the module's ``Page`` component, rendered afresh for every browser session.
"""

from sim.dashboard.components import Page

__all__ = ["Page"]
