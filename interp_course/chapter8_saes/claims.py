"""What chapter 8 concludes about its autoencoders, worded to hold on any machine.

Each claim bounds a measure where our run leaves a margin (another CPU's rounding moves an
autoencoder's final weights a little, and can move one seed into another basin), and prints
the exact values as "this run" numbers (see ``core/claims.py``).
"""

from __future__ import annotations

import torch

from ..core.claims import Claim, Claims
from .analysis import Absorption, FrequencyReport, Scores

RECOVERED = 0.98  # mean max cosine similarity that counts as recovering every feature (5 into 2)


def _values(t: torch.Tensor, digits: int = 3) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in t.tolist())


def l1_band(scores: Scores, coefficients: tuple[float, ...], band: tuple[float, ...], below: tuple[float, ...],
            seeds: int) -> Claims:
    """The L1 coefficient sweep on five features in two dimensions: a band that recovers every
    feature, below it a dictionary that reconstructs without finding them, above it shrinkage.

    scores: of an L1 stack with instances ``for coefficient: for seed``."""
    mmcs = scores.mmcs.reshape(len(coefficients), seeds)
    fvu = scores.fvu.reshape(len(coefficients), seeds)
    rows = {c: i for i, c in enumerate(coefficients)}
    in_band = torch.stack([mmcs[rows[c]] for c in band])  # [len(band), seeds]
    under = torch.stack([mmcs[rows[c]] for c in below])
    largest = coefficients[-1]
    return Claims(
        Claim(f"in the band λ = {', '.join(map(str, band))}, the dictionary recovers all five features "
              f"(mean max cosine similarity ≥ {RECOVERED}) in at least 4 of {seeds} seeds at each λ",
              holds=bool(((in_band >= RECOVERED).sum(dim=1) >= 4).all()),
              this_run="; ".join(f"λ = {c}: {_values(mmcs[rows[c]])}" for c in band)),
        Claim(f"below the band (λ = {', '.join(map(str, below))}) it recovers them worse: a lower mean over seeds",
              holds=bool(under.mean(dim=1).max() < in_band.mean(dim=1).min()),
              this_run=f"means {_values(under.mean(dim=1))} below, {_values(in_band.mean(dim=1))} in the band"),
        Claim("recovering the features costs reconstruction: every λ in the band leaves more variance "
              "unexplained than every λ below it",
              holds=bool(torch.stack([fvu[rows[c]] for c in band]).min() > torch.stack([fvu[rows[c]] for c in below]).max()),
              this_run=f"FVU {_values(fvu.mean(dim=1))} by λ (means)"),
        Claim(f"above it (λ = {largest}) the penalty costs more than a third of the variance",
              holds=bool((fvu[rows[largest]] > 1 / 3).all()), this_run=f"FVU {_values(fvu[rows[largest]])}"),
    )


def shrinkage(l1: Scores, topk: Scores, band_instances: list[int]) -> Claims:
    """L1 shrinks what it keeps; TopK does not. ``band_instances``: the L1 instances in the band."""
    in_band = l1.shrinkage[band_instances]
    return Claims(
        Claim("in the band, L1 shrinks a lone feature's reconstruction to under 0.9 of its length",
              holds=bool((in_band < 0.9).all()), this_run=f"{float(in_band.min()):.2f} to {float(in_band.max()):.2f}"),
        Claim("TopK (k = 1) keeps it within 0.05 of its full length, and recovers all five features "
              f"(≥ {RECOVERED}) in at least 4 of 5 seeds",
              holds=bool(((topk.shrinkage - 1).abs() < 0.05).all()) and int((topk.mmcs >= RECOVERED).sum()) >= 4,
              this_run=f"lengths {_values(topk.shrinkage)}; scores {_values(topk.mmcs)}"),
        Claim("and TopK leaves less variance unexplained than L1 anywhere in the band",
              holds=bool(topk.fvu.max() < l1.fvu[band_instances].min()),
              this_run=f"TopK {float(topk.fvu.max()):.3f} at most, L1 {float(l1.fvu[band_instances].min()):.3f} at least"),
    )


def twenty_into_five(l1: Scores, topk: Scores, coefficients: tuple[float, ...], seeds: int) -> Claims:
    """Twenty features in five dimensions: TopK recovers the represented features; L1 at its best
    λ too, at the cost of shrinkage, and not with too strong a penalty. The best λ is the row
    with the highest mean score (which λ below it also reaches 0.95 depends on the seed)."""
    mmcs = l1.mmcs.reshape(len(coefficients), seeds)
    best_row = int(mmcs.mean(dim=1).argmax())
    return Claims(
        Claim("TopK (k = 1) recovers the represented features (mean max cosine similarity ≥ 0.95) in every seed",
              holds=bool((topk.mmcs >= 0.95).all()), this_run=_values(topk.mmcs)),
        Claim(f"L1 reaches 0.95 in every seed at its best λ ({coefficients[best_row]}), and falls short in every "
              f"seed at the largest ({coefficients[-1]}): too strong a penalty loses features",
              holds=bool((mmcs[best_row] >= 0.95).all()) and bool((mmcs[-1] < 0.95).all()) and best_row != len(coefficients) - 1,
              this_run="; ".join(f"λ = {c}: {_values(mmcs[r])}" for r, c in enumerate(coefficients))),
        Claim("there, it leaves at least twice TopK's unexplained variance",
              holds=bool(l1.fvu.reshape(len(coefficients), seeds)[best_row].min() > 2 * topk.fvu.max()),
              this_run=f"L1 {_values(l1.fvu.reshape(len(coefficients), seeds)[best_row])}, TopK {_values(topk.fvu)}"),
    )


def dead_latents(dead: dict[int, torch.Tensor], represented: int) -> Claims:
    """Dead latents as the dictionary grows. dead: {dictionary size: [seeds] dead counts}."""
    small = {m: d for m, d in dead.items() if m <= represented}
    largest = max(dead)
    return Claims(
        Claim(f"with no more latents than represented features ({represented}), at most one latent dies",
              holds=all(bool((d <= 1).all()) for d in small.values()),
              this_run="; ".join(f"{m}: {', '.join(map(str, d.tolist()))}" for m, d in small.items())),
        Claim(f"with {largest} latents, at least five die in every seed",
              holds=bool((dead[largest] >= 5).all()), this_run=", ".join(map(str, dead[largest].tolist()))),
    )


def absorption(found: Absorption) -> Claims:
    """A parent feature present whenever a child is: its latent stops firing when a child is
    present, and each child's latent takes up the parent's direction."""
    return Claims(
        Claim("the parent's latent fires on at least 90% of the inputs where the parent is alone, in every seed",
              holds=bool((found.parent_alone >= 0.9).all()), this_run=_values(found.parent_alone, 2)),
        Claim("but at least half of the children absorb it, in every seed: on their inputs the parent's latent "
              "fires less than half the time, though the parent is present in all of them",
              holds=bool((found.absorbing_children * 2 >= found.n_children).all()),
              this_run=f"children absorbing {', '.join(map(str, found.absorbing_children.tolist()))} of {found.n_children}; "
                       f"fires with a child {_values(found.parent_with_child, 2)}"),
        Claim("the children's latents point part of the way to the parent (mean cosine with its direction above 0.5)",
              holds=bool((found.child_towards_parent > 0.5).all()), this_run=_values(found.child_towards_parent, 2)),
    )


def grokked_mlp(neurons: FrequencyReport, latents: FrequencyReport, key: list[int], fvu: float) -> Claims:
    """What an autoencoder on the grokked model's MLP recovers: the frequencies chapter 2 found
    in the neurons, and no cleaner units than the neurons themselves. (Not "every key frequency":
    a run can have a key frequency of its embedding, by chapter 2's 5% threshold, that no neuron
    is mostly made of; under AVX2 kernels the canonical run has four, frequency 42 the fourth.)"""
    return Claims(
        Claim("the autoencoder reconstructs the MLP's activations (under 5% of the variance unexplained)",
              holds=fvu < 0.05, this_run=f"{fvu:.3f}"),
        Claim("at least three quarters of its live latents are mostly one frequency (over half the variance), "
              "and every such frequency is a key frequency",
              holds=latents.share_mostly_one >= 0.75 and latents.on_key == latents.mostly_one,
              this_run=f"{latents.mostly_one} of {latents.units}; frequencies {latents.frequencies}, key {key}"),
        Claim("its latents cover every frequency that some neuron is mostly made of",
              holds=set(latents.frequencies) >= set(neurons.frequencies),
              this_run=f"latents {latents.frequencies}, neurons {neurons.frequencies}"),
        Claim("its latents are no cleaner than the neurons: the share that is mostly one frequency is not "
              "higher by more than 0.05",
              holds=latents.share_mostly_one <= neurons.share_mostly_one + 0.05,
              this_run=f"latents {latents.share_mostly_one:.2f}, neurons {neurons.share_mostly_one:.2f}"),
    )
