"""The model's calendar: one step is one week; reports quote rates per year."""

WEEKS_PER_YEAR = 52
WEEKS_PER_QUARTER = 13
