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
