"""Reading inputs: cleaning raw cell values and matching unit names (SPEC 4)."""
