"""The teaching dashboard: a Solara app on Mesa's SolaraViz (``python -m sim.dashboard``).

Importing this package does not import Solara; ``sim.dashboard.components`` does.
"""
