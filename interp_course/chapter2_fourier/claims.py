"""What chapter 2 concludes about the grokked model, worded to hold on any machine.

Each function takes what the notebook has just computed and returns the chapter's claims
with the numbers of this run (see ``core/claims.py``); ``tests/chapter2_fourier/test_claims.py``
computes the same quantities with the reference solutions and asserts the claims on the
cached runs. Which frequencies are key, how many neurons use each, the fitted weights: those
differ from one machine's run to another's and appear only as "this run" numbers.
"""

from __future__ import annotations

import math

import torch

from ..core.claims import Claim, Claims
from .analysis import basis_labels

MAX_KEY_FREQUENCIES = 6  # "a handful": the runs we have seen use 3 to 5


def _frequency_of_row(row: int) -> int:
    """The frequency of row ``row`` of the Fourier basis (0 for the constant)."""
    return (row + 1) // 2


def embedding(key: list[int], share: float, share_at_initialisation: float) -> Claims:
    """W_E is concentrated on a handful of key frequencies that training picked out."""
    return Claims(
        Claim(f"W_E uses a handful of key frequencies (between 2 and {MAX_KEY_FREQUENCIES})",
              holds=2 <= len(key) <= MAX_KEY_FREQUENCIES, this_run=f"{key}"),
        Claim("they hold more than 80% of W_E's squared norm, against less than 20% at initialisation",
              holds=share > 0.8 and share_at_initialisation < 0.2,
              this_run=f"{share:.2f} and {share_at_initialisation:.2f}"),
    )


def neuron(coefficients: torch.Tensor, key: list[int]) -> Claims:
    """One neuron is mostly one key frequency: its largest 2-D Fourier term involves a single
    key frequency k, and the terms built from k alone (rows and columns: the constant, cos k,
    sin k) hold most of its variance.

    (Not "its few largest terms all involve k": a ReLU also makes harmonics, terms at 2k, and
    under other CPU kernels one of them was among neuron 0's six largest.)

    coefficients: [p, p], one neuron's 2-D Fourier coefficients (rows a, columns b)."""
    strength = coefficients.pow(2).double()
    total = strength.sum() - strength[0, 0]
    p = strength.shape[0]
    largest = int(strength.flatten().argsort(descending=True)[1])  # [0, 0] is the mean
    frequencies = {_frequency_of_row(r) for r in divmod(largest, p)} - {0}
    share = 0.0
    if len(frequencies) == 1:
        k = next(iter(frequencies))
        rows = [0, 2 * k - 1, 2 * k]
        share = float((strength[rows][:, rows].sum() - strength[0, 0]) / total)
    return Claims(
        Claim("its largest term involves a single frequency, a key one",
              holds=len(frequencies) == 1 and frequencies <= set(key), this_run=f"frequencies {sorted(frequencies)}"),
        Claim("and that frequency's terms hold more than 70% of its variance", holds=share > 0.7, this_run=f"{share:.2f}"),
    )


def neurons(best_fve: torch.Tensor, best_frequency: torch.Tensor, key: list[int]) -> Claims:
    """Neurons are mostly one key frequency.

    best_fve, best_frequency: [d_mlp], the largest fraction of each neuron's variance one
    frequency explains, and that frequency.

    The first claim is about the neurons one frequency explains well: a neuron that no single
    frequency explains (a run trained with other CPU kernels had one, 0.40 at best, at a
    frequency just below the key threshold) may have any best frequency."""
    n = len(best_frequency)
    is_key = torch.isin(best_frequency, torch.tensor(key))
    on_key = int(is_key.sum())
    well_explained = best_fve > 0.5
    mostly = int(well_explained.sum())
    mostly_on_key = int((is_key & well_explained).sum())
    above_80 = int((best_fve > 0.8).sum())
    return Claims(
        Claim("every neuron that one frequency explains more than half of has a key frequency as that frequency",
              holds=mostly > 0 and mostly_on_key == mostly,
              this_run=f"{mostly_on_key} of {mostly}; every neuron's best frequency: a key one for {on_key} of {n}"),
        Claim("for more than three quarters of the neurons it explains more than half of the variance",
              holds=mostly > 0.75 * n, this_run=f"{mostly} of {n}; more than 80% for {above_80}"),
    )


def attention(key_share_per_head: list[float]) -> Claims:
    """Each head's attention pattern is made of the key frequencies.

    key_share_per_head: for each head, the fraction of the variance of its attention to a
    (over the (a, b) grid) that the key frequencies explain together."""
    return Claims(
        Claim("the key frequencies together explain more than 90% of every head's attention to a",
              holds=all(s > 0.9 for s in key_share_per_head),
              this_run=", ".join(f"{s:.2f}" for s in key_share_per_head)),
    )


def logits(share: torch.Tensor, key: list[int], n_top: int = 6) -> Claims:
    """The logits, as functions of (a, b), are products of key-frequency waves.

    share: [p, p], each 2-D Fourier term's share of the centred logits' squared norm."""
    p = share.shape[0]
    products = [(r, s) for k in key for r in (2 * k - 1, 2 * k) for s in (2 * k - 1, 2 * k)]
    product_share = float(sum(share[r, s] for r, s in products))
    top = [divmod(flat, p) for flat in share.flatten().argsort(descending=True)[:n_top].tolist()]
    top_are_products = all(_frequency_of_row(i) == _frequency_of_row(j) and _frequency_of_row(i) in key for i, j in top)
    return Claims(
        Claim(f"the {n_top} largest terms are all products of one key frequency's waves in a and in b",
              holds=top_are_products, this_run=", ".join(f"{basis_labels(p)[i]} x {basis_labels(p)[j]}" for i, j in top)),
        Claim("the product terms of the key frequencies (four each) hold more than 95% of it",
              holds=product_share > 0.95, this_run=f"{product_share:.3f} in {4 * len(key)} terms"),
    )


def logit_map(key_share: float) -> Claims:
    """The neuron-to-logit map reads out the key frequencies only."""
    return Claims(Claim("more than 90% of W_L's squared norm lies in the key frequencies",
                        holds=key_share > 0.9, this_run=f"{key_share:.3f}"))


USED_BY_THE_LOGITS = 0.1
"""A key frequency is *used by the logits* when its product terms' mean amplitude is at least
this share of the strongest key frequency's: a frequency can hold 5% of the embedding and still
carry almost nothing to the logits (under some CPU kernels, frequency 42 of the canonical run
does, its terms about 2e-4 as strong), and the phases of a wave that is not there are noise."""


def waves(rows: list[tuple[int, str, float, float]], tolerance_degrees: float = 20.0) -> Claims:
    """For each key frequency the logits use (:data:`USED_BY_THE_LOGITS`), the four product
    terms are waves in c with the phases of
    cos(w(a + b - c)) = cos wa cos wb cos wc - sin wa sin wb cos wc + (cos wa sin wb + sin wa cos wb) sin wc.

    rows: (frequency, term, amplitude, phase in degrees) for the terms "cos a · cos b",
    "− sin a · sin b" (expected phase 0°) and "cos a · sin b", "sin a · cos b" (90°)."""
    expected = {"cos a · cos b": 0.0, "− sin a · sin b": 0.0, "cos a · sin b": 90.0, "sin a · cos b": 90.0}
    strength = {k: sum(a for kk, _, a, _ in rows if kk == k) / 4 for k in sorted({r[0] for r in rows})}
    used = [k for k, a in strength.items() if a >= USED_BY_THE_LOGITS * max(strength.values())]
    left_out = "".join(f"; frequency {k} left out, its terms {strength[k] / max(strength.values()):.1e} of the strongest"
                       for k in strength if k not in used)
    worst = max(abs((phase - expected[term] + 180) % 360 - 180) for k, term, _, phase in rows if k in used)
    spreads = {}
    for k in used:
        amplitudes = [amplitude for kk, _, amplitude, _ in rows if kk == k]
        spreads[k] = max(amplitudes) / min(amplitudes)
    return Claims(
        Claim(f"in every key frequency the logits use, every term has the phase cos(w(a + b - c)) predicts, "
              f"to within {tolerance_degrees:.0f}°",
              holds=worst <= tolerance_degrees, this_run=f"largest deviation {worst:.0f}°{left_out}"),
        Claim("the four terms of each of those frequencies have amplitudes within a factor of 1.5 of each other",
              holds=all(s <= 1.5 for s in spreads.values()),
              this_run=", ".join(f"{k}: {s:.2f}" for k, s in spreads.items())),
    )


def idealised_fit(coefficients: torch.Tensor, fraction_explained: float) -> Claims:
    """A formula with one weight per key frequency explains the logits."""
    weights = coefficients.tolist()
    return Claims(
        Claim("every fitted weight is positive", holds=all(w > 0 for w in weights),
              this_run=", ".join(f"{w:.1f}" for w in weights)),
        Claim("the formula explains more than 90% of the centred logits' variance",
              holds=fraction_explained > 0.9, this_run=f"{fraction_explained:.3f}"),
    )


def ablations(model: tuple[float, float], idealised: tuple[float, float], key_only: tuple[float, float],
              key_removed: tuple[float, float], p: int) -> Claims:
    """The idealised algorithm and the key-frequency neurons do the model's job; the rest do not.

    Each argument is (loss, accuracy) over all p² inputs: of the model, of the idealised
    algorithm, and of the logits computed from the neurons with only their key frequencies
    kept, or with those removed."""
    works = {"model": model, "idealised": idealised, "key frequencies only": key_only}
    removed_loss, removed_accuracy = key_removed
    return Claims(
        Claim("the model, the idealised algorithm and the neurons' key frequencies alone are all 100% accurate",
              holds=all(accuracy == 1.0 for _, accuracy in works.values()),
              this_run=", ".join(f"{accuracy:.3f}" for _, accuracy in works.values())),
        Claim("the idealised algorithm's loss is at most 10 times the model's",
              holds=idealised[0] <= 10 * model[0], this_run=f"{idealised[0]:.1e} against {model[0]:.1e}"),
        Claim("without the key frequencies the neurons are no better than a wild guess "
              "(accuracy under 10%, loss above half a uniform guess's)",
              holds=removed_accuracy < 0.1 and removed_loss > 0.5 * math.log(p),
              this_run=f"accuracy {removed_accuracy:.3f}, loss {removed_loss:.1f}"),
    )


def other_seed(key: list[int], other_key: list[int], other_ideal_accuracy: float) -> Claims:
    """Another seed learns the same algorithm on its own choice of frequencies."""
    return Claims(
        Claim("the other seed chose a different set of key frequencies", holds=set(key) != set(other_key),
              this_run=f"{other_key} against {key}"),
        Claim("and the idealised algorithm on its frequencies is 100% accurate too",
              holds=other_ideal_accuracy == 1.0, this_run=f"{other_ideal_accuracy:.3f}"),
    )
