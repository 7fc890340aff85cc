"""The teaching dashboard: a Solara app for classroom sessions (``python -m sim.dashboard``).

Importing this package does not import Solara; ``sim.dashboard.components`` does.
"""
