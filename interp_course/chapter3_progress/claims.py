"""What chapter 3 concludes about the progress measures, worded to hold on any machine.

The phase boundaries fall on checkpoints 50 steps apart and move by a checkpoint or more from
one machine's run to another's, so they appear only as "this run" numbers; the order of the
phases and of the two losses is the claim (see ``core/claims.py``).
"""

from __future__ import annotations

import torch

from ..core.claims import Claim, Claims
from .measures import first_step_below

PhaseSpans = dict[str, "tuple[int, int] | None"]


def _spans(phases: PhaseSpans) -> str:
    return "; ".join(f"{name} {'never' if span is None else f'{span[0]}-{span[1]}'}" for name, span in phases.items())


def three_phases(measures: dict[str, torch.Tensor], phases: PhaseSpans, threshold: float) -> Claims:
    """With weight decay: memorisation, circuit formation and clean-up, in that order, and the
    restricted loss falls below ``threshold`` before the test loss does.

    measures: {"step" [n], "restricted_loss" [n], "test_loss" [n], ...} at the checkpoints."""
    spans = [phases.get(name) for name in ("memorisation", "circuit formation", "clean-up")]
    in_order = all(span is not None and span[0] < span[1] for span in spans) and all(
        a[1] == b[0] for a, b in zip(spans, spans[1:]))
    restricted = first_step_below(measures["step"], measures["restricted_loss"], threshold)
    test = first_step_below(measures["step"], measures["test_loss"], threshold)
    return Claims(
        Claim("all three phases happen, one after another: memorisation, circuit formation, clean-up",
              holds=in_order, this_run=_spans(phases)),
        Claim(f"the restricted loss falls below {threshold} before the test loss does",
              holds=restricted is not None and test is not None and restricted < test,
              this_run=f"steps {restricted} and {test}"),
    )


def control(measures: dict[str, torch.Tensor], phases: PhaseSpans) -> Claims:
    """Without weight decay the run stays in memorisation: no circuit forms, no clean-up."""
    final_restricted = measures["restricted_loss"][-1].item()
    return Claims(
        Claim("without weight decay, memorisation lasts the whole run: circuit formation and clean-up never begin",
              holds=phases["circuit formation"] is None and phases["clean-up"] is None, this_run=_spans(phases)),
        Claim("the restricted loss ends above 1, far from solving the task with the key frequencies alone",
              holds=final_restricted > 1.0, this_run=f"{final_restricted:.2f}"),
    )


def against_random_frequencies(key: list[int], key_losses: dict[str, float], baseline: dict[str, torch.Tensor],
                               train_loss: float, control_losses: dict[str, float],
                               control_baseline: dict[str, torch.Tensor], uniform_loss: float) -> Claims:
    """The key frequencies against sets of as many frequencies drawn at random, in both runs.

    ``key``: the canonical run's key frequencies; ``*_losses``: {"excluded_loss",
    "restricted_loss"} of a final model with its own top frequencies; ``*baseline``:
    :func:`measures.random_frequency_losses` of the same run; ``train_loss``: the canonical
    run's final training loss."""
    draws = len(baseline["restricted_loss"])

    def beats(losses, base):
        return (losses["restricted_loss"] < base["restricted_loss"].min().item()
                and losses["excluded_loss"] > base["excluded_loss"].max().item())

    def numbers(losses, base):
        return (f"restricted {losses['restricted_loss']:.3g} vs random {base['restricted_loss'].min():.3g} to "
                f"{base['restricted_loss'].max():.3g}; excluded {losses['excluded_loss']:.3g} vs random at most "
                f"{base['excluded_loss'].max():.3g}")

    with_key = torch.tensor([bool(set(row) & set(key)) for row in baseline["frequencies"].tolist()])
    raised = baseline["excluded_loss"] > 10 * train_loss
    return Claims(
        Claim(f"with weight decay, the key frequencies beat every one of {draws} random sets of as many: keeping "
              "only them gives a lower loss (restricted), and removing them a higher one (excluded)",
              holds=beats(key_losses, baseline), this_run=numbers(key_losses, baseline)),
        Claim("removing a random set raises the training loss more than tenfold exactly when it holds a key frequency",
              holds=bool((with_key == raised).all()),
              this_run=f"{int(raised.sum())} sets raise it, {int(with_key.sum())} hold a key frequency"),
        Claim("without weight decay the top frequencies beat every random set too, but keeping only them stays "
              "worse than a uniform guess (ln p): they carry more of the fit than others, not a solution",
              holds=beats(control_losses, control_baseline) and control_losses["restricted_loss"] > uniform_loss,
              this_run=numbers(control_losses, control_baseline) + f"; uniform {uniform_loss:.2f}"),
    )
