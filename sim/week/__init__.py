"""The week: one World and the phases that advance it.

``world`` holds the state; ``step.advance`` runs one week as a sequence of phases, one
module each (staffing, tiers, visits, workload, encounters, satisfaction, books,
employees, word_of_mouth, defection, market, rivals, record); ``links`` says which
feedback links are live; ``startup`` opens a world and warms it up; ``changes``
applies policy decisions and outside shocks.
"""
