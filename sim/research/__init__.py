"""Research toolkit.

Declared uncertainties, design sweeps, sensitivity analysis, optimisation, EMA Workbench
and CLV interoperability, and loop attribution.
"""
