"""Pool study-level results across trials: random-effects meta-analysis (see docs/pool.md)."""
