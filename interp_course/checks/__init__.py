"""Exercise checks, one module per chapter."""
