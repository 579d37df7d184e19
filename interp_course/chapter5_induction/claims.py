"""What chapter 5 concludes about its two-layer attention-only model, worded to hold on any machine.

Which layer-0 head becomes the previous-token head is found from the scores, never assumed;
the scores themselves move in the second digit from one machine's run to another's and
appear as "this run" numbers (see ``core/claims.py``).
"""

from __future__ import annotations

import math

import torch

from ..core.claims import Claim, Claims

PREVIOUS_TOKEN = 0.5  # a previous-token head puts more than half its attention one token back
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
        Claim("it stays high for the first half of training, then falls below 3.0",
              holds=first_below is not None and first_below > n_steps / 2, this_run=f"below 3.0 from step {first_below}"),
    )


def copies(first_copy_loss: float, second_copy_loss: float, d_vocab: int) -> Claims:
    """Random tokens cannot be predicted; their repetition can."""
    chance = math.log(d_vocab)
    return Claims(
        Claim("on the first copy of a random sequence the loss is at chance",
              holds=abs(first_copy_loss - chance) < NEAR_CHANCE, this_run=f"{first_copy_loss:.2f}, chance {chance:.2f}"),
        Claim("on the second copy it is lower by more than 1",
              holds=second_copy_loss < first_copy_loss - 1, this_run=f"{second_copy_loss:.2f}"),
    )


def heads(previous_scores: torch.Tensor, induction_scores: torch.Tensor) -> Claims:
    """One previous-token head in layer 0; induction shared by the layer-1 heads.

    previous_scores: [n_heads] of layer 0; induction_scores: [n_heads] of layer 1."""
    prev = previous_token_head(previous_scores)
    others = torch.cat([previous_scores[:prev], previous_scores[prev + 1 :]])
    return Claims(
        Claim(f"exactly one layer-0 head is a previous-token head (score above {PREVIOUS_TOKEN}, the others below 0.1)",
              holds=bool(previous_scores[prev] > PREVIOUS_TOKEN and (others < 0.1).all()),
              this_run=_heads(previous_scores, 0)),
        Claim("every layer-1 head does some induction (score between 0.3 and 0.6): the job is shared",
              holds=bool(((induction_scores > 0.3) & (induction_scores < 0.6)).all()),
              this_run=_heads(induction_scores, 1)),
    )


def ablations(repeat_loss: float, ablated: torch.Tensor, previous_head: int, d_vocab: int) -> Claims:
    """Ablating the previous-token head breaks induction; no single layer-1 head does.

    repeat_loss: the loss on the repeated half; ablated: [2, n_heads], the same loss with
    each head ablated (rows: layers)."""
    chance = math.log(d_vocab)
    layer0_others = torch.cat([ablated[0, :previous_head], ablated[0, previous_head + 1 :]])
    return Claims(
        Claim("ablating the previous-token head puts the repeated half's loss back at chance",
              holds=abs(ablated[0, previous_head].item() - chance) < NEAR_CHANCE,
              this_run=f"{ablated[0, previous_head]:.2f} (head 0.{previous_head}), chance {chance:.2f}"),
        Claim("ablating any other layer-0 head changes it by less than 0.5",
              holds=bool(((layer0_others - repeat_loss).abs() < 0.5).all()),
              this_run=f"{layer0_others.min():.2f} to {layer0_others.max():.2f}, against {repeat_loss:.2f}"),
        Claim("ablating any one layer-1 head raises it, but by less than 1: the others carry on",
              holds=bool(((ablated[1] > repeat_loss) & (ablated[1] < repeat_loss + 1)).all()),
              this_run=f"{ablated[1].min():.2f} to {ablated[1].max():.2f}"),
    )


def k_composition(scores: torch.Tensor, previous_head: int, untrained_mean: float) -> Claims:
    """The layer-1 heads read, through K-composition, what the previous-token head wrote.

    scores: [n_heads (layer 0), n_heads (layer 1)]."""
    prev_row = scores[previous_head]
    others = torch.cat([scores[:previous_head], scores[previous_head + 1 :]])
    return Claims(
        Claim("for every layer-1 head, the previous-token head has the largest K-composition score, "
              "more than twice any other layer-0 head's",
              holds=bool((prev_row > 2 * others.max(dim=0).values).all()),
              this_run=f"{prev_row.min():.2f} to {prev_row.max():.2f}, others at most {others.max():.2f}"),
        Claim("and larger than an untrained model's scores on average",
              holds=bool(prev_row.min() > untrained_mean), this_run=f"untrained mean {untrained_mean:.2f}"),
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
