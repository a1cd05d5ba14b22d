"""Grading one submission and many: the engine, batches, results, budgets, the registry."""
