"""Chapter 6, "Many seeds, many moduli": robustness and universality of grokking, with many
runs trained at once (``runs``), their measures (``analysis``), figures (``plots``), the
viewer (``viewer``), the conclusions (``claims``) and the exercises' checks (``checks``)."""
