"""What chapter 5 concludes about its two-layer attention-only model, worded to hold on any machine.

Which layer-0 head becomes the previous-token head is found from the scores, never assumed;
the scores themselves move in the second digit from one machine's run to another's and
appear as "this run" numbers (see ``core/claims.py``).
"""

from __future__ import annotations

import math

import torch

from ..core.claims import Claim, Claims

CRISP = 0.8  # a previous-token head puts more than this share of its attention one token back
INDUCTION = 0.5  # an induction head puts more than this share of its attention on the right token
NEAR_CHANCE = 0.3  # a loss within this of log(d_vocab) is "at chance"


def _heads(scores: torch.Tensor, layer: int) -> str:
    return ", ".join(f"{layer}.{h} {s:.2f}" for h, s in enumerate(scores.tolist()))


def previous_token_head(previous_scores: torch.Tensor) -> int:
    """The layer-0 head with the highest previous-token score. previous_scores: [n_heads]."""
    return int(previous_scores.argmax())


def training(eval_step: torch.Tensor, eval_loss: torch.Tensor, n_steps: int, d_vocab: int) -> Claims:
    """The repeated half's loss starts at chance and drops late in training.

    eval_step, eval_loss: [n_evals], the test loss on the repeated half of each sequence."""
    chance = math.log(d_vocab)
    below = (eval_loss < 3.0).nonzero()
    first_below = None if len(below) == 0 else int(eval_step[below[0, 0]])
    return Claims(
        Claim("the loss on the repeated half starts at chance, log(vocabulary size)",
              holds=abs(eval_loss[0].item() - chance) < NEAR_CHANCE, this_run=f"{eval_loss[0]:.2f}, chance {chance:.2f}"),
        Claim("it stays near chance for hundreds of steps, then falls below 3.0 before the end",
              holds=first_below is not None and n_steps / 6 < first_below < n_steps,
              this_run=f"below 3.0 from step {first_below}"),
    )


def copies(first_copy_loss: float, second_copy_loss: float, d_vocab: int) -> Claims:
    """Random tokens cannot be predicted; their repetition can."""
    chance = math.log(d_vocab)
    return Claims(
        Claim("on the first copy of a random sequence the loss is at chance or above (a model that expects "
              "repeats is surprised by new tokens)",
              holds=first_copy_loss > chance - NEAR_CHANCE, this_run=f"{first_copy_loss:.2f}, chance {chance:.2f}"),
        Claim("on the second copy it is lower than chance by more than 2",
              holds=second_copy_loss < chance - 2, this_run=f"{second_copy_loss:.2f}"),
    )


def heads(previous_scores: torch.Tensor, induction_scores: torch.Tensor) -> Claims:
    """One previous-token head in layer 0; induction done by both layer-1 heads.

    previous_scores: [n_heads] of layer 0; induction_scores: [n_heads] of layer 1."""
    prev = previous_token_head(previous_scores)
    others = torch.cat([previous_scores[:prev], previous_scores[prev + 1 :]])
    return Claims(
        Claim(f"exactly one layer-0 head is a previous-token head (score above {CRISP}, the others below 0.2)",
              holds=bool(previous_scores[prev] > CRISP and (others < 0.2).all()),
              this_run=_heads(previous_scores, 0)),
        Claim(f"every layer-1 head is an induction head (score above {INDUCTION} on sequences longer and "
              "farther apart than any repeat in training)",
              holds=bool((induction_scores > INDUCTION).all()), this_run=_heads(induction_scores, 1)),
    )


def distances(distance: torch.Tensor, first: torch.Tensor, second: torch.Tensor, d_vocab: int) -> Claims:
    """Induction at every distance: the repeat's loss is far below the source's, everywhere.

    distance, first, second: [n_distances]."""
    chance = math.log(d_vocab)
    gap = first - second
    worst = int(gap.argmin())
    return Claims(
        Claim("the source's tokens are at chance or above at every distance",
              holds=bool((first > chance - NEAR_CHANCE).all()),
              this_run=f"{first.min():.2f} to {first.max():.2f}, chance {chance:.2f}"),
        Claim(f"at every distance from {int(distance[0])} to {int(distance[-1])}, the repeat's loss is "
              "lower by more than 3, held-out distances included",
              holds=bool((gap > 3).all()),
              this_run=f"repeat {second.min():.2f} to {second.max():.2f}; smallest gap {gap[worst]:.2f} at distance {int(distance[worst])}"),
    )


def ablations(repeat_loss: float, ablated: torch.Tensor, both_induction: float, previous_head: int,
              d_vocab: int) -> Claims:
    """Ablating the previous-token head breaks induction; so does ablating both layer-1 heads,
    while ablating either one alone leaves much of it.

    repeat_loss: the loss on the repeated half; ablated: [2, n_heads], the same loss with
    each head ablated (rows: layers); both_induction: with every layer-1 head ablated."""
    chance = math.log(d_vocab)
    gain = chance - repeat_loss
    layer0_others = torch.cat([ablated[0, :previous_head], ablated[0, previous_head + 1 :]])
    return Claims(
        Claim("ablating the previous-token head puts the repeated half's loss back near chance",
              holds=abs(ablated[0, previous_head].item() - chance) < 2 * NEAR_CHANCE,
              this_run=f"{ablated[0, previous_head]:.2f} (head 0.{previous_head}), chance {chance:.2f}"),
        Claim("ablating the other layer-0 head costs less than half the gain over chance",
              holds=bool((layer0_others - repeat_loss < gain / 2).all()),
              this_run=f"{layer0_others.min():.2f} to {layer0_others.max():.2f}, against {repeat_loss:.2f}"),
        Claim("ablating one layer-1 head raises it, but keeps more than a third of the gain: the other carries on",
              holds=bool(((ablated[1] > repeat_loss) & (chance - ablated[1] > gain / 3)).all()),
              this_run=f"{ablated[1].min():.2f} to {ablated[1].max():.2f}"),
        Claim("ablating both layer-1 heads together puts it back near chance",
              holds=abs(both_induction - chance) < 2 * NEAR_CHANCE, this_run=f"{both_induction:.2f}"),
    )


def k_composition(scores: torch.Tensor, previous_head: int, untrained_mean: float) -> Claims:
    """The layer-1 heads read, through K-composition, what the previous-token head wrote.

    scores: [n_heads (layer 0), n_heads (layer 1)]."""
    prev_row = scores[previous_head]
    others = torch.cat([scores[:previous_head], scores[previous_head + 1 :]])
    return Claims(
        Claim("for every layer-1 head, the previous-token head has the largest K-composition score",
              holds=bool((prev_row > others.max(dim=0).values).all()),
              this_run=f"{prev_row.min():.2f} to {prev_row.max():.2f}, others at most {others.max():.2f}"),
        Claim("and larger than an untrained model's scores on average",
              holds=bool(prev_row.min() > untrained_mean), this_run=f"untrained mean {untrained_mean:.2f}"),
    )


def composed(composed_scores: list[float], actual_scores: list[float]) -> Claims:
    """The induction stripe appears in the attention computed from the composed weights alone.

    composed_scores, actual_scores: the induction score of each layer-1 head's composed and
    actual pattern."""
    return Claims(
        Claim("each layer-1 head's pattern computed from the weights (K-composition with the previous-token "
              "head only) has an induction score above 0.4",
              holds=all(s > 0.4 for s in composed_scores),
              this_run=", ".join(f"{c:.2f} (actual {a:.2f})" for c, a in zip(composed_scores, actual_scores))),
    )


def copying(layer1_scores: list[float]) -> Claims:
    """The layer-1 heads copy what they attend to."""
    return Claims(Claim("every layer-1 head copies: its copying score is above 0.9",
                        holds=all(s > 0.9 for s in layer1_scores),
                        this_run=", ".join(f"{s:.2f}" for s in layer1_scores)))


def prediction(top_token: str, probability: float, expected: str) -> Claims:
    """On real words, the model completes a repeated name."""
    return Claims(Claim(f"the most likely next token is {expected!r}, the word that followed the name before",
                        holds=top_token == expected, this_run=f"{top_token!r}, probability {probability:.2f}"))


def phase_change(change_steps: dict[str, int], checkpoint_every: int) -> Claims:
    """The measures tracked over training move together: a phase change.

    change_steps: {measure: the first checkpoint step at which it has moved halfway}."""
    spread = max(change_steps.values()) - min(change_steps.values())
    return Claims(
        Claim("the previous-token score, the induction score, the in-context learning score and the "
              f"test loss each move halfway within {3 * checkpoint_every} steps of one another",
              holds=spread <= 3 * checkpoint_every,
              this_run=", ".join(f"{name} {step}" for name, step in change_steps.items())),
    )


def circuit_formed(previous_score: float, induction_score: float) -> bool:
    """A run has formed the circuit: a previous-token head above CRISP and an induction head above INDUCTION."""
    return previous_score > CRISP and induction_score > INDUCTION


def seeds(formed: dict[int, bool], change_steps: dict[int, int], n_steps: int) -> Claims:
    """The same recipe forms the circuit whatever the seed.

    formed: {seed: circuit formed}; change_steps: {seed: step of the phase change}."""
    return Claims(
        Claim(f"the circuit forms in every one of the {len(formed)} seeds",
              holds=all(formed.values()), this_run=", ".join(f"seed {s}: {'yes' if f else 'no'}" for s, f in formed.items())),
        Claim("in each, the phase change comes after the first sixth of training and before 60% of it",
              holds=all(n_steps / 6 < step < 0.6 * n_steps for step in change_steps.values()),
              this_run=", ".join(f"seed {s}: step {step}" for s, step in change_steps.items())),
    )
