"""Eurasian trade and investment warehouse: source clients, raw zone, loaders and pipeline steps."""
