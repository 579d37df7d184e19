"""What chapter 7 concludes about chapter 5's induction model, worded to hold on any machine.

Each claim bounds a measure where our run leaves a wide margin and prints the exact values as
"this run" numbers (see ``core/claims.py``). Metrics are normalised: 0 is the corrupted run,
1 the clean run (see ``solutions/chapter7_interventions.normalised_metric``).
"""

from __future__ import annotations

import torch

from ..core.claims import Claim, Claims


def _heads(values: torch.Tensor) -> str:
    """[layer, head] -> "0.0: 0.12, 0.1: ..."."""
    return ", ".join(f"{layer}.{head}: {float(v):.2f}" for (layer, head), v in _items(values))


def _items(values: torch.Tensor):
    for layer in range(values.shape[0]):
        for head in range(values.shape[1]):
            yield (layer, head), values[layer, head]


def direct_logit_attribution(before: torch.Tensor, after: torch.Tensor, embeddings_after: float,
                             induction_heads: list[int], steps: tuple[int, int]) -> Claims:
    """The direct logit attribution of each head [layer, head] to the right token on the
    second copy, at a checkpoint before the phase change and after training."""
    induction_after = after[1, induction_heads]
    others = [after[layer, head] for (layer, head), _ in _items(after) if not (layer == 1 and head in induction_heads)]
    return Claims(
        Claim("after training, each induction head adds at least 1 to the right token's logit on the second copy, "
              "more than the embeddings and every layer-0 head do through their direct paths",
              holds=bool((induction_after >= 1).all() and induction_after.min() > max(max(map(float, others)), embeddings_after)),
              this_run=f"step {steps[1]}: {_heads(after)}; embeddings {embeddings_after:.2f}"),
        Claim("before the phase change, no head adds more than 0.5",
              holds=bool(before.max() < 0.5), this_run=f"step {steps[0]}: {_heads(before)}"),
    )


def ablations(losses: torch.Tensor, clean_loss: float, previous_head: int, other_head: int) -> Claims:
    """Each head ablated three ways: losses [kind (zero, mean, resample), layer, head]."""
    worst = losses.flatten(1).argmax(dim=1)  # [kind]: the most damaging head under each ablation
    spread = (losses.max(dim=0).values - losses.min(dim=0).values)  # [layer, head]
    return Claims(
        Claim("every head's ablation raises the loss on the second copy by at least 0.5, whichever of the three it is",
              holds=bool((losses - clean_loss >= 0.5).all()),
              this_run=f"smallest rise {float((losses - clean_loss).min()):.2f}"),
        Claim("the previous-token head does the most damage under all three",
              holds=bool((worst == previous_head).all()),
              this_run="losses " + "; ".join(_heads(kind) for kind in losses)),
        Claim("the three ablations disagree most on the other layer-0 head, where mean ablation is the mildest",
              holds=bool(spread.argmax() == other_head and losses[:, 0, other_head].argmin() == 1),
              this_run=f"spread (largest minus smallest loss) {_heads(spread)}"),
    )


def head_patching(denoised: torch.Tensor, circuit_together: float, previous_head: int, induction_heads: list[int]) -> Claims:
    """Denoising each head [layer, head], and the circuit's heads together."""
    in_circuit = {(0, previous_head), *((1, h) for h in induction_heads)}
    outside = {key: float(v) for key, v in _items(denoised) if key not in in_circuit}
    return Claims(
        Claim("patching the circuit's heads together (the previous-token head and the induction heads) "
              "restores at least 80% of the metric",
              holds=circuit_together >= 0.8, this_run=f"{circuit_together:.3f}"),
        Claim("no head outside the circuit restores more than 10% on its own",
              holds=all(v <= 0.1 for v in outside.values()),
              this_run=", ".join(f"{layer}.{head}: {v:.3f}" for (layer, head), v in outside.items()) or "none"),
        Claim("patching the previous-token head on its own restores nothing (under 5%), although the circuit needs it",
              holds=float(denoised[0, previous_head]) < 0.05, this_run=f"{float(denoised[0, previous_head]):.3f}"),
    )


def key_path(effects: dict[str, float]) -> Claims:
    """The previous-token head noised one path at a time (``analysis.path_effects``)."""
    share = effects["k"] / effects["all"]
    return Claims(
        Claim("at least 70% of the previous-token head's effect flows through the induction heads' keys",
              holds=effects["all"] > 0.5 and share >= 0.7,
              this_run=f"keys {effects['k']:.3f} of {effects['all']:.3f} ({share:.0%}); "
                       f"queries {effects['q']:.3f}, values {effects['v']:.3f}, direct {effects['direct']:.3f}"),
    )


def attribution_patching(layer1_correlation: float, previous_correlation: float,
                         attention: tuple[float, float] | None = None) -> Claims:
    """Attribution patching against activation patching, head outputs by position; ``attention``:
    the induction heads' mean induction score in the corrupted run, and with the previous-token
    head's clean output patched in."""
    extra = () if attention is None else (
        Claim("in the corrupted run the induction heads put under 10% of their attention on the token a clean "
              "run would copy; with the previous-token head patched, over 50%",
              holds=attention[0] < 0.1 and attention[1] > 0.5, this_run=f"{attention[0]:.3f} and {attention[1]:.3f}"),)
    return Claims(
        Claim("on the layer-1 heads' outputs, attribution patching agrees with activation patching "
              "(correlation at least 0.9 over heads and positions)",
              holds=layer1_correlation >= 0.9, this_run=f"{layer1_correlation:.3f}"),
        Claim("on the previous-token head's output it does not (correlation below 0.5)",
              holds=previous_correlation < 0.5, this_run=f"{previous_correlation:.3f}"),
        *extra,
    )


def probes(accuracy: dict[str, float], d_vocab: int) -> Claims:
    """Held-out accuracies of probes for the previous token: {"after layer 0", "before layer 0",
    "previous-token head ablated", "untrained", "after layer 1"}."""
    near_chance = 0.05
    return Claims(
        Claim("after layer 0, a linear probe decodes the previous token on held-out sequences "
              "at least 90% of the time",
              holds=accuracy["after layer 0"] >= 0.9, this_run=f"{accuracy['after layer 0']:.3f}"),
        Claim(f"before layer 0, with the previous-token head ablated, and in the untrained model, "
              f"it decodes it near chance (under {near_chance:.0%}; chance is 1 in {d_vocab})",
              holds=max(accuracy["before layer 0"], accuracy["previous-token head ablated"], accuracy["untrained"]) < near_chance,
              this_run=f"{accuracy['before layer 0']:.3f}, {accuracy['previous-token head ablated']:.3f}, "
                       f"{accuracy['untrained']:.3f}"),
    )


def decodable_not_used(after_layer1: float, direct_effect: float) -> Claims:
    """The previous token in the last residual stream, and what the logits make of it there
    (``direct_effect``: the metric lost when the previous-token head's direct path is resample-ablated)."""
    return Claims(
        Claim("the previous token is still decodable from the last residual stream (probe accuracy at least 70%), "
              "yet the logits do not use it there: resample-ablating the previous-token head's direct path "
              "changes the metric by less than 1%",
              holds=after_layer1 >= 0.7 and abs(direct_effect) < 0.01,
              this_run=f"accuracy {after_layer1:.3f}; direct path {direct_effect:.4f}"),
    )


def completeness(circuit_share: float, induction_only_share: float) -> Claims:
    """The share of the loss gap (everything resample-ablated vs nothing) that a kept circuit recovers."""
    return Claims(
        Claim("chapter 5's circuit (previous-token head and induction heads), with the other head "
              "resample-ablated, recovers between 40% and 90% of the loss: most of it, not all",
              holds=0.4 <= circuit_share <= 0.9, this_run=f"{circuit_share:.3f}"),
        Claim("the induction heads alone recover less than a third",
              holds=induction_only_share < 1 / 3, this_run=f"{induction_only_share:.3f}"),
    )


def current_token_head(resampled: dict[str, float], mean: dict[str, float]) -> Claims:
    """The other layer-0 head ablated one path at a time (``analysis.path_effects``), its output
    replaced by its output on other sequences (``resampled``) or by its mean (``mean``)."""
    through_layer1 = resampled["q"] + resampled["k"] + resampled["v"]
    return Claims(
        Claim("the other layer-0 head works through the induction heads' inputs: resample-ablating it "
              "in their queries, in their keys and in their values each costs more than 3% of the metric, "
              "its direct path to the logits under 1%",
              holds=min(resampled["q"], resampled["k"], resampled["v"]) > 0.03 and abs(resampled["direct"]) < 0.01,
              this_run=f"queries {resampled['q']:.3f}, keys {resampled['k']:.3f}, values {resampled['v']:.3f}, "
                       f"direct {resampled['direct']:.4f}, everywhere {resampled['all']:.3f}"),
        Claim("the three paths together account for at least 70% of its whole effect",
              holds=resampled["all"] > 0 and through_layer1 >= 0.7 * resampled["all"],
              this_run=f"{through_layer1:.3f} of {resampled['all']:.3f}"),
        Claim("mean-ablating it path by path (its information removed, nothing wrong written instead) also "
              "costs each of the three more than 3%",
              holds=min(mean["q"], mean["k"], mean["v"]) > 0.03,
              this_run=f"queries {mean['q']:.3f}, keys {mean['k']:.3f}, values {mean['v']:.3f}"),
    )
