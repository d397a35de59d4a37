"""Results of a run and their renderings (table, JSON, CSV)."""
