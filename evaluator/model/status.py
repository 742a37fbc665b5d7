"""The three outcomes of a comparison, criterion or tier: met, not met, or missing (the data
that would decide it is absent)."""
MET, NOT_MET, MISSING = "met", "not_met", "missing"
STATUSES = (MET, NOT_MET, MISSING)
