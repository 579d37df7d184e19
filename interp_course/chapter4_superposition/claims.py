"""What chapter 4 concludes about the toy models, worded to hold on any machine.

The counts of represented features are read with a norm threshold (0.5); a feature whose
norm sits near it could be counted on one machine and not on another, so the claims bound
the counts where the runs leave a margin, and print the exact counts as "this run" numbers
(see ``core/claims.py``).
"""

from __future__ import annotations

import math

import torch

from ..core.claims import Claim, Claims

REPRESENTED = 0.5  # a feature is represented when its column of W has at least this norm


def _counts(W: torch.Tensor) -> list[int]:
    """W: [instances, n_hidden, n_features] -> represented features per instance."""
    return (W.norm(dim=1) > REPRESENTED).sum(dim=1).tolist()


def _more_when_sparser(counts: list[int]) -> Claim:
    """Counts of represented features at increasing sparsity never fall."""
    return Claim("the sparser the features, the more are represented (never fewer)",
                 holds=all(b >= a for a, b in zip(counts, counts[1:])), this_run=", ".join(map(str, counts)))


def five_into_two(W: torch.Tensor, sparsities: tuple[float, ...], tolerance_degrees: float = 5.0) -> Claims:
    """Five features into two dimensions: two at S = 0, all five as a pentagon when sparse.

    W: [len(sparsities), 2, 5], sparsities increasing."""
    counts = _counts(W)
    n_hidden, n_features = W.shape[1], W.shape[2]
    angles = torch.atan2(W[-1, 1], W[-1, 0]).sort().values
    gaps = torch.diff(torch.cat([angles, angles[:1] + 2 * math.pi])).rad2deg()
    regular = 360 / n_features
    worst = float((gaps - regular).abs().max())
    return Claims(
        Claim(f"with dense features (S = {sparsities[0]}), only {n_hidden} features are represented, one per dimension",
              holds=counts[0] == n_hidden, this_run=f"{counts[0]}"),
        _more_when_sparser(counts),
        Claim(f"at S = {sparsities[-1]} all {n_features} are, as a regular pentagon "
              f"(neighbours {regular:.0f}° apart, to within {tolerance_degrees:.0f}°)",
              holds=counts[-1] == n_features and worst <= tolerance_degrees,
              this_run="gaps " + ", ".join(f"{g:.0f}°" for g in gaps.tolist())),
    )


def twenty_into_five(W: torch.Tensor, sparsities: tuple[float, ...], at_least_when_sparsest: int = 15) -> Claims:
    """Twenty features into five dimensions: five when dense, three times as many when sparse.

    W: [len(sparsities), 5, 20], sparsities increasing."""
    counts = _counts(W)
    n_hidden = W.shape[1]
    return Claims(
        Claim(f"with dense features exactly {n_hidden} features are represented, as many as dimensions",
              holds=counts[0] == n_hidden, this_run=f"{counts[0]}"),
        _more_when_sparser(counts),
        Claim(f"at the sparsest setting (S = {sparsities[-1]}) at least {at_least_when_sparsest} are, "
              f"in {n_hidden} dimensions", holds=counts[-1] >= at_least_when_sparsest, this_run=f"{counts[-1]}"),
    )


def phase_diagram(phase: torch.Tensor) -> Claims:
    """The phase diagram of one extra feature: superposition needs sparsity.

    phase: [n_importance, n_sparsity] in {0 not represented, 1 its own dimension,
    2 superposition}, sparsity increasing along the columns."""
    counts = [int((phase == k).sum()) for k in range(3)]
    densest = phase[:, 0]
    return Claims(
        Claim("all three behaviours appear: not represented, its own dimension, superposition",
              holds=all(c > 0 for c in counts), this_run=f"{counts[0]}, {counts[1]}, {counts[2]} of {phase.numel()}"),
        Claim("superposition is the most common, in more than half of the settings",
              holds=counts[2] > phase.numel() / 2, this_run=f"{counts[2]} of {phase.numel()}"),
        Claim("with dense features (the first column) there is no superposition at any importance",
              holds=bool((densest != 2).all()), this_run=f"{int((densest == 2).sum())} settings"),
    )
