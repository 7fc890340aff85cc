"""The Solara app file: ``solara run sim/dashboard/app.py`` (``python -m sim.dashboard`` runs it).

Two pages: ``/`` for students (join a class, or play alone) and ``/teacher``. Solara
renders them afresh for every browser session.
"""

import warnings

import solara

from sim.dashboard.components import Layout, Page, Teacher

__all__ = ["Layout", "Page", "routes"]

# The dashboard is served over plain http on a classroom network and never embedded in
# an iframe, so Solara's fallback (a samesite=lax session cookie) is exactly what we
# want; its warning, printed for every new session, says nothing a teacher can act on.
warnings.filterwarnings(
    "ignore", message="Cookies with samesite=none require https", category=UserWarning
)

routes = [
    # The root route's layout wraps every page.
    solara.Route(path="/", component=Page, label="Students", layout=Layout),
    solara.Route(path="teacher", component=Teacher, label="Teacher"),
]
