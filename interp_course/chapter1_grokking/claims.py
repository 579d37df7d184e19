"""What chapter 1 concludes from its runs, worded to hold on any machine (see core/claims.py).

Each function takes the metrics of trained runs (``Run.metrics``) and returns the chapter's
claims about them with the numbers of this run; the notebook displays them and
``tests/chapter1_grokking/test_claims.py`` asserts them on the cached runs.
"""

from __future__ import annotations

import torch

from solutions.chapter1_grokking import first_step_reaching

from ..core.claims import Claim, Claims

# The canonical run memorises in about 60 steps and generalises 10-15 times later on the
# machines we tried (see the README's "Your numbers will differ in detail"). The bounds leave
# room for another machine's run without letting a run that does not grok pass.
MEMORISED_BY = 150  # 100% train accuracy within this many steps
DELAY_AT_LEAST = 5  # test 99% at least this many times later than train 100%


def _milestones(metrics: dict[str, torch.Tensor]) -> tuple[int | None, int | None]:
    """(first step with 100% train accuracy, first evaluated step with 99% test accuracy)."""
    memorised = first_step_reaching(metrics["step"], metrics["train_accuracy"], 1.0)
    generalised = first_step_reaching(metrics["eval_step"], metrics["test_accuracy"], 0.99)
    return memorised, generalised


def _step(step: int | None) -> str:
    return "never" if step is None else f"step {step}"


def grokking(metrics: dict[str, torch.Tensor]) -> Claims:
    """The canonical run memorises early and generalises much later, and ends at 100%."""
    memorised, generalised = _milestones(metrics)
    delay = None if memorised is None or generalised is None else generalised / memorised
    final_train, final_test = metrics["train_accuracy"][-1].item(), metrics["test_accuracy"][-1].item()
    return Claims(
        Claim(f"train accuracy reaches 100% within the first {MEMORISED_BY} steps",
              holds=memorised is not None and memorised <= MEMORISED_BY, this_run=_step(memorised)),
        Claim(f"test accuracy reaches 99% at least {DELAY_AT_LEAST} times later",
              holds=delay is not None and delay >= DELAY_AT_LEAST,
              this_run=f"{_step(generalised)}" + ("" if delay is None else f", {delay:.1f} times later")),
        Claim("at the end, train and test accuracy are both at least 99%",
              holds=final_train >= 0.99 and final_test >= 0.99,
              this_run=f"train {final_train:.3f}, test {final_test:.3f}"),
    )


def control(control_metrics: dict[str, torch.Tensor]) -> Claims:
    """Without weight decay the run memorises just as fast and never generalises."""
    memorised, generalised = _milestones(control_metrics)
    final_test = control_metrics["test_accuracy"][-1].item()
    best_test = control_metrics["test_accuracy"].max().item()
    return Claims(
        Claim(f"without weight decay, train accuracy still reaches 100% within {MEMORISED_BY} steps",
              holds=memorised is not None and memorised <= MEMORISED_BY, this_run=_step(memorised)),
        Claim("but test accuracy never reaches 99%, nor even 50%, in the whole run",
              holds=generalised is None and best_test < 0.5,
              this_run=f"best {best_test:.2f}, at the end {final_test:.2f}"),
    )


def train_fractions(metrics_by_fraction: dict[float, dict[str, torch.Tensor]]) -> Claims:
    """More training data: every run groks, and the smallest fraction waits longest."""
    milestones = {f: _milestones(m) for f, m in sorted(metrics_by_fraction.items())}
    smallest, largest = min(milestones), max(milestones)
    all_grok = all(m is not None and g is not None for m, g in milestones.values())
    delays = {f: g / m for f, (m, g) in milestones.items()} if all_grok else {}
    summary = ", ".join(f"{f:.0%}: {_step(g)}" for f, (_, g) in milestones.items())
    return Claims(
        Claim("at every train fraction the model memorises first and then generalises (99% test accuracy)",
              holds=all_grok and all(g > m for m, g in milestones.values()), this_run=summary),
        Claim(f"the smallest fraction ({smallest:.0%}) takes the longest to generalise, "
              f"at least twice as long as the largest ({largest:.0%})",
              holds=all_grok and milestones[smallest][1] == max(g for _, g in milestones.values())
              and milestones[smallest][1] >= 2 * milestones[largest][1],
              this_run=", ".join(f"{f:.0%}: {d:.1f}x" for f, d in delays.items())),
    )
