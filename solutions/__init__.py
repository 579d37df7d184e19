"""Reference solutions to the exercises, one module per chapter."""
