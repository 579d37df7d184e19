"""Support package of the mechanistic-interpretability course."""
