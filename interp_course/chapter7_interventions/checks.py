"""Checks for the exercises of chapter 7, "Causal interventions".

Each ``check_*`` takes the learner's function and returns the function the notebook should go
on with (see :mod:`interp_course.core.exercise`). Each looks for the mistakes a learner makes
with that method (the current token where the next one is meant, a metric the wrong way round,
the patch at the wrong position or in every head, a path patched everywhere, a probe scored on
rows it was fitted on, the circuit ablated instead of kept) and names the one it finds.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions import chapter7_interventions as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values
from ..core.learner_call import LearnerRaised
from ..core.mistakes import name_the_mistake, name_the_raise
from ..core.transformer import HookedTransformer, TransformerConfig


def _model(d_model: int = 16) -> HookedTransformer:
    """A small two-layer attention-only model with two heads a layer (as chapter 5's), random
    weights scaled up so that its heads attend sharply. ``d_model=8`` (= d_head) only to find
    out why a learner's function raised: there, a forgotten W_O runs."""
    cfg = TransformerConfig(d_vocab=12, n_ctx=10, d_model=d_model, n_layers=2, n_heads=2, d_head=8, attn_only=True)
    model = HookedTransformer(cfg, seed=7)
    with torch.no_grad():
        for block in model.blocks:
            block.attn.W_Q.mul_(3.0)
            block.attn.W_K.mul_(3.0)
    return model


def _tokens(batch: int, pos: int, seed: int) -> torch.Tensor:
    return torch.randint(0, 12, (batch, pos), generator=torch.Generator().manual_seed(seed))


def _cache(model, tokens):
    with torch.no_grad():
        return model.run_with_cache(tokens)[1]


def _no_hook_left(model) -> None:
    if any(hp._hooks for hp in model.hook_dict.values()):
        raise ExerciseFailed("a hook was left attached to the model; use model.run_with_hooks")


def _unchanged_cache(cache, before: dict, name: str) -> None:
    for key, value in before.items():
        if not torch.equal(cache[key], value):
            raise ExerciseFailed(f"your function changed {name}[{key!r}] in place; edit a copy (z = z.clone())")


def _attribution(model, cache, z_rows: slice, targets: torch.Tensor, through_W_O: bool = True) -> torch.Tensor:
    """Each head's direct share of the logit of ``targets`` ([batch, rows]) from its z at
    ``z_rows``: [batch, rows, n_layers, n_heads] (without W_O if not ``through_W_O``)."""
    per_layer = []
    for layer, block in enumerate(model.blocks):
        z = cache["z", layer][:, z_rows]
        if through_W_O:
            z = torch.einsum("bphe,hed->bphd", z, block.attn.W_O)
        per_layer.append(torch.einsum("bphd,dbp->bph", z, model.W_U[:, targets]))
    return torch.stack(per_layer, dim=2).detach()


@exercise("7.1", reference.head_logit_attribution)
def check_head_logit_attribution(fn: Callable, reference_fn: Callable) -> str:
    model = _model()
    for batch, pos, seed in ((3, 10, 1), (1, 4, 2)):
        tokens = _tokens(batch, pos, seed)
        cache = _cache(model, tokens)
        try:
            got = fn(model, cache, tokens)
        except LearnerRaised:  # a forgotten W_O raises (d_head 8, d_model 16); where they are equal it runs
            square = _model(d_model=8)
            square_cache = _cache(square, tokens)
            name_the_raise(fn, (square, square_cache, tokens), mistakes=lambda: [
                (_attribution(square, square_cache, slice(None, -1), tokens[:, 1:], through_W_O=False),
                 "a head's z is not in the residual stream: it writes z @ W_O[head] ([..., d_model]) there; "
                 "multiply by W_O before W_U (your function runs only where d_head = d_model)")],
                want=lambda: reference.head_logit_attribution(square, square_cache, tokens))
            raise
        want = reference_fn(model, cache, tokens)

        def mean_logit() -> torch.Tensor:
            per_layer = [torch.einsum("bphe,hed,dv->bphv", cache["z", layer][:, :-1], block.attn.W_O, model.W_U).mean(-1)
                         for layer, block in enumerate(model.blocks)]
            return torch.stack(per_layer, dim=2).detach()

        if isinstance(got, torch.Tensor) and got.shape == (batch, pos, 2, 2):
            raise ExerciseFailed(f"on {batch} sequences of {pos} tokens: the result has {pos} positions; it has one "
                                 "fewer, pos - 1, since the last position has no next token to attribute")
        with torch.no_grad():
            predicted = model(tokens).argmax(dim=-1)[:, :-1]
        name_the_mistake(got, want, [
            (_attribution(model, cache, slice(None, -1), tokens[:, :-1]), "each position's attribution is to the token "
             "at that position; it should be to the next token, tokens[:, i + 1], the one position i predicts"),
            (_attribution(model, cache, slice(1, None), tokens[:, 1:]), "the head outputs are one position late: "
             "position i's output (z[:, :-1]) predicts tokens[:, i + 1]"),
            (want.transpose(2, 3), "the last two dimensions are swapped: [batch, pos - 1, n_layers, n_heads]"),
            (want - mean_logit(), "you subtracted each head's mean logit over the vocabulary; the exercise wants "
             "its share of the right token's logit itself"),
            (_attribution(model, cache, slice(None, -1), predicted), "each position's attribution is to the token the "
             "model predicts there (the argmax of its logits); it should be to the token that comes next, "
             "tokens[:, i + 1]"),
            (want.sum(dim=3), "you summed over the heads; keep one value per head: [batch, pos - 1, n_layers, n_heads]"),
            (want.sum(dim=2), "you summed over the layers; keep one value per layer: [batch, pos - 1, n_layers, n_heads]"),
            (want.flatten(2), "the layers and heads are flattened into one dimension; keep them apart: "
             "[batch, pos - 1, n_layers, n_heads]"),
            (want.transpose(2, 3).flatten(2), "the layers and heads are flattened into one dimension; keep them apart: "
             "[batch, pos - 1, n_layers, n_heads]"),
        ])
        expect_tensor(got, want, f"the attributions on {batch} sequences of {pos} tokens", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model on 2 batches, including a one-sequence batch"


@exercise("7.2", reference.normalised_metric)
def check_normalised_metric(fn: Callable, reference_fn: Callable) -> str:
    cases = [("losses between the two runs", torch.tensor([1.5, 2.5, 4.0, 3.1]), 1.5, 4.0),
             ("a patch that overshoots either way", torch.tensor([[0.5, 5.0], [2.0, 3.0]], dtype=torch.float64), 1.2, 4.4),
             ("one loss, float64", torch.tensor([2.0], dtype=torch.float64), 0.5, 6.0)]
    for name, loss, clean, corrupted in cases:
        got, want = fn(loss, clean, corrupted), reference_fn(loss, clean, corrupted)
        name_the_mistake(got, want, [
            ((loss - clean) / (corrupted - clean), f"on {name}: the metric is the wrong way round: it must be 0 "
             "at the corrupted run's loss and 1 at the clean run's"),
            (corrupted - loss, f"on {name}: not normalised: divide by the gap, corrupted_loss - clean_loss"),
            (loss - clean, f"on {name}: not normalised, and the wrong way round: (corrupted_loss - loss) / "
             "(corrupted_loss - clean_loss)"),
            ((corrupted - loss) / clean, f"on {name}: divide by the gap between the runs, corrupted_loss - clean_loss, "
             "not by the clean loss"),
            (clean / loss, f"on {name}: a ratio of losses is not 0 at the corrupted run; use "
             "(corrupted_loss - loss) / (corrupted_loss - clean_loss)"),
            (want.clamp(0, 1), f"on {name}: you clamped the metric to [0, 1]; a patch can overshoot, so keep "
             "values below 0 and above 1 as they are"),
            (-want, f"on {name}: the sign is reversed (the numerator or the denominator is the wrong way "
             "round): (corrupted_loss - loss) / (corrupted_loss - clean_loss)"),
            (corrupted - loss / (corrupted - clean), f"on {name}: brackets: only the loss was divided; take "
             "(corrupted_loss - loss) / (corrupted_loss - clean_loss)"),
            ((torch.exp(-loss) - math.exp(-corrupted)) / (math.exp(-clean) - math.exp(-corrupted)), f"on {name}: "
             "you compared probabilities, exp(-loss); the metric is linear in the loss itself"),
        ])
        if (isinstance(got, torch.Tensor) and got.numel() == 1 and loss.numel() > 1
                and (same_values(got.reshape(()), want.mean(), atol=1e-5) or same_values(got.reshape(()), want.sum(), atol=1e-5))):
            raise ExerciseFailed(f"on {name}: you reduced the losses to one number; return one value per loss, "
                                 "a tensor of loss's shape")
        expect_tensor(got, want, f"the metric on {name}", atol=1e-6, rtol=1e-6)
    return "3 cases, one that overshoots both ends and one in float64"


@exercise("7.3", reference.patch_head)
def check_patch_head(fn: Callable, reference_fn: Callable) -> str:
    model = _model()
    tokens, other = _tokens(4, 10, 3), _tokens(4, 10, 4)
    source = _cache(model, other)
    before = {("z", layer): source["z", layer].clone() for layer in (0, 1)}
    with torch.no_grad():
        plain = model(tokens)
    for layer, head, position in ((0, 1, 3), (1, 0, None), (0, 0, 0), (1, 1, 9)):
        got = fn(model, tokens, source, layer, head, position)
        want = reference_fn(model, tokens, source, layer, head, position)
        _unchanged_cache(source, before, "source_cache")
        _no_hook_left(model)
        where = f"layer {layer}, head {head}, position {position}"
        mistakes = [(plain, f"{where}: the logits are those of the unpatched run: return the edited z from the hook")]
        if position is not None:
            mistakes += [(reference_fn(model, tokens, source, layer, head, p), f"{where}: you patched position {p}; "
                          f"patch z[:, {position}, head] only") for p in (position - 1, position + 1) if 0 <= p < 10]
            if position == 0:
                mistakes.append((reference_fn(model, tokens, source, layer, head, None),
                                 f"{where}: position 0 was taken for None, so every position was patched "
                                 "(`if position:` or `position or ...` treats 0 as false): test `position is None`"))
            mistakes.append((reference_fn(model, tokens, source, layer, head, None),
                             f"{where}: you patched every position; patch only position {position}"))
        with torch.no_grad():
            def values(v, hook, position=position, layer=layer, head=head):
                v = v.clone()
                where_ = slice(None) if position is None else position
                v[:, where_, head] = source["v", layer][:, where_, head]
                return v
            patched_values = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_v", values)])
        mistakes.append((patched_values, f"{where}: you patched the head's values v (hook_v); patch its output z, "
                                         f"with a hook on blocks.{layer}.attn.hook_z"))
        with torch.no_grad():
            def every_head(z, hook, position=position, layer=layer):
                z = z.clone()
                where_ = slice(None) if position is None else position
                z[:, where_] = source["z", layer][:, where_]
                return z
            all_heads = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", every_head)])
        mistakes.append((all_heads, f"{where}: you patched every head of layer {layer}; patch z[:, ..., head] only"))
        if position is None:
            with torch.no_grad():
                def position_head(z, hook, layer=layer, head=head):
                    z = z.clone()
                    z[:, head] = source["z", layer][:, head]
                    return z
                mistakes.append((model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", position_head)]),
                                 f"{where}: z[:, head] (or z[:, None, head]) indexes the positions, so this patched "
                                 f"position {head} of every head; with position None patch every position of the "
                                 "head, z[:, :, head]"))
        other_layer = reference_fn(model, tokens, source, 1 - layer, head, position)
        mistakes.append((other_layer, f"{where}: you patched head {head} of layer {1 - layer}; use the hook of "
                                      f"blocks.{layer}.attn.hook_z"))
        name_the_mistake(got, want, mistakes)
        expect_tensor(got, want, f"the logits ({where})", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model: 4 heads and positions, one of them every position"


def _path_patch_without_W_O(model, tokens, sender: int, sender_z: torch.Tensor, receiver: str) -> torch.Tensor:
    """Path patching with the sender's change in z added to the receiver without W_O (runs only
    where d_head = d_model)."""
    own_z = _cache(model, tokens)["z", 0][:, :, sender]
    W = {"q": model.blocks[1].attn.W_Q, "k": model.blocks[1].attn.W_K, "v": model.blocks[1].attn.W_V}[receiver]
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}", lambda x, hook: x + torch.einsum(
            "bpd,hde->bphe", sender_z - own_z, W))])


@exercise("7.4", reference.path_patch)
def check_path_patch(fn: Callable, reference_fn: Callable) -> str:
    model = _model()
    tokens, other = _tokens(4, 10, 5), _tokens(4, 10, 6)
    source = _cache(model, other)
    attn0 = model.blocks[0].attn
    for sender, receiver in ((0, "k"), (1, "q"), (0, "v")):
        sender_z = source["z", 0][:, :, sender].clone()
        try:
            got = fn(model, tokens, sender, sender_z, receiver)
        except LearnerRaised:  # a forgotten W_O raises (d_head 8, d_model 16); where they are equal it runs
            square = _model(d_model=8)
            square_z = _cache(square, other)["z", 0][:, :, sender].clone()
            name_the_raise(fn, (square, tokens, sender, square_z, receiver), mistakes=lambda: [
                (_path_patch_without_W_O(square, tokens, sender, square_z, receiver), "the change in z is not in the "
                 "residual stream: the sender writes z @ W_O[sender] there, so add (sender_z - z) @ W_O[sender] @ "
                 f"W_{receiver.upper()} (your function runs only where d_head = d_model)")],
                want=lambda: reference.path_patch(square, tokens, sender, square_z, receiver))
            raise
        want = reference_fn(model, tokens, sender, sender_z, receiver)
        _no_hook_left(model)
        where = f"sender 0.{sender}, receiver {receiver}"
        with torch.no_grad():
            def everywhere(z, hook):
                z = z.clone()
                z[:, :, sender] = sender_z
                return z
            all_paths = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", everywhere)])
            Ws = {"q": model.blocks[1].attn.W_Q, "k": model.blocks[1].attn.W_K, "v": model.blocks[1].attn.W_V}
            W = Ws[receiver]
            added = sender_z @ attn0.W_O[sender]  # the new output added, without removing the old one

            def whole_output(x, hook):
                return x + torch.einsum("bpd,hde->bphe", added, W)
            not_a_difference = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}", whole_output)])
            plain = model(tokens)
        own_z = _cache(model, tokens)["z", 0][:, :, sender]
        delta = (sender_z - own_z) @ attn0.W_O[sender]
        wrong_weight = {"q": model.blocks[1].attn.W_K, "k": model.blocks[1].attn.W_Q, "v": model.blocks[1].attn.W_Q}[receiver]
        with torch.no_grad():
            other_matrix = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}",
                                                                     lambda x, hook: x + torch.einsum("bpd,hde->bphe", delta, wrong_weight))])

            def one_head(x, hook):
                x = x.clone()
                x[:, :, sender] += delta @ W[sender]
                return x
            only_one_head = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}", one_head)])

            def add_through(matrix):
                return lambda x, hook: x + torch.einsum("bpd,hde->bphe", delta, matrix)
            every_receiver = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{r}", add_through(Ws[r]))
                                                                     for r in ("q", "k", "v")])
        mistakes = [
            (reference_fn(model, tokens, sender, 2 * own_z - sender_z, receiver), f"{where}: the change has the wrong "
             "sign: it is (sender_z - z) @ W_O[sender], the new output minus the old"),
            (other_matrix, f"{where}: the change was multiplied by the wrong layer-1 matrix; the {receiver} are "
             f"computed with W_{receiver.upper()}"),
            (only_one_head, f"{where}: you changed the {receiver} of layer-1 head {sender} only; the sender is read by "
             "every layer-1 head"),
            (all_paths, f"{where}: the sender's new output reached everything after it (as if its z were replaced, "
             "or the change added to the residual stream), so every path changed; change only what layer 1's "
             f"{receiver} reads, with a hook on blocks.1.attn.hook_{receiver}"),
            (not_a_difference, f"{where}: you added the new output to the {receiver} without taking the sender's own "
             "output away: add (sender_z - z) @ W_O[sender] @ W_" + receiver.upper()),
            (plain, f"{where}: the logits are those of the unpatched run; return the edited {receiver} from the hook"),
            (every_receiver, f"{where}: you changed layer 1's q, k and v; change only its {receiver}"),
        ]
        mistakes += [(reference_fn(model, tokens, sender, sender_z, r), f"{where}: you patched layer 1's {r}, not its "
                      f"{receiver}") for r in ("q", "k", "v") if r != receiver]
        name_the_mistake(got, want, mistakes)
        expect_tensor(got, want, f"the logits ({where})", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model: both senders, all three receivers"


@exercise("7.5", reference.attribution_patch)
def check_attribution_patch(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(8)
    cases = [("batch 5, 7 positions, 2 heads", *(torch.randn(5, 7, 2, 4, generator=g) for _ in range(3))),
             ("one sequence, 3 positions, 3 heads, float64", *(torch.randn(1, 3, 3, 2, generator=g, dtype=torch.float64)
                                                              for _ in range(3)))]
    for name, clean, corrupted, gradient in cases:
        got, want = fn(clean, corrupted, gradient), reference_fn(clean, corrupted, gradient)
        if isinstance(got, torch.Tensor) and got.shape == want.shape[::-1] and want.shape[0] != want.shape[1]:
            raise ExerciseFailed(f"on {name}: the result is [head, pos]; return [pos, head]")
        name_the_mistake(got, want, [
            (-want, f"on {name}: the sign is reversed: denoising changes z by clean_z - corrupted_z"),
            (want / clean.shape[0], f"on {name}: you averaged over the batch; sum over it (the metric is already a "
             "mean, so its gradient holds the 1/batch)"),
            ((clean * gradient).sum(dim=(0, 3)), f"on {name}: multiply the gradient by the change in z, clean_z - "
             "corrupted_z, not by clean_z"),
            ((corrupted * gradient).sum(dim=(0, 3)), f"on {name}: multiply the gradient by the change in z, clean_z - "
             "corrupted_z, not by corrupted_z"),
            (((clean - corrupted) * gradient).sum(dim=0).mean(dim=-1), f"on {name}: sum over d_head (a dot product), "
             "not a mean"),
            (((clean - corrupted) * gradient).abs().sum(dim=(0, 3)), f"on {name}: keep the sign of each product: "
             "a patch can lower the metric"),
            (((clean - corrupted) * gradient).sum(dim=(0, 3)).abs(), f"on {name}: keep the sign: a patch can lower "
             "the metric"),
            (((clean - corrupted) * gradient).sum(dim=0), f"on {name}: sum over d_head too: each head's estimate is "
             "a dot product over d_head, giving [pos, head]"),
            (((clean - corrupted) * gradient).sum(dim=-1), f"on {name}: sum over the batch too: a patch is made in "
             "every sequence at once, giving [pos, head]"),
            (((clean - corrupted) * gradient).sum(dim=(1, 3)), f"on {name}: you summed over the positions (dim 1); "
             "sum over the batch (dim 0) and d_head, and keep one estimate per position"),
        ])
        expect_tensor(got, want, f"the estimates on {name}", atol=1e-5, rtol=1e-5)
    return "2 cases, one in float64"


@exercise("7.6", reference.probe_accuracy)
def check_probe_accuracy(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(9)
    features = torch.randn(300, 6, generator=g)
    labels = (features @ torch.randn(6, 4, generator=g)).argmax(dim=1)
    noise_features = torch.randn(60, 64, generator=g)
    noise_labels = torch.randint(0, 5, (60,), generator=g)
    cases = [("labels that are pure noise (60 rows of 64 features, 30 to fit)", noise_features, noise_labels, 5, 30),
             ("labels a linear function of the features (300 rows, 200 to fit)", features, labels, 4, 200)]
    unnamed = None  # the first case where the answer is wrong and no one mistake explains it
    for name, x, y, n_classes, n_train in cases:
        got, want = fn(x, y, n_classes, n_train), reference_fn(x, y, n_classes, n_train)
        n_test = len(x) - n_train
        if (isinstance(got, int) and not isinstance(got, bool) and got != want
                and abs(got - want * n_test) <= 1e-4):
            raise ExerciseFailed(f"on {name}: that is how many test rows the probe labels right; return the "
                                 f"fraction: divide by the number of test rows ({n_test}), or take the mean")
        if not isinstance(got, float):
            raise ExerciseFailed(f"on {name}: return a Python float (use .item()), got {type(got).__name__}")
        if abs(got - want) <= 1e-6:
            continue

        def accuracy(fit: slice, score: slice) -> float:
            probe = reference.fit_linear_probe(x[fit], y[fit], n_classes)
            return (probe(x[score]) == y[score]).float().mean().item()

        off_by_one = ("the split is off by one: fit on features[:n_train] (rows 0 to n_train - 1), score on "
                      "features[n_train:]")
        candidates = [
            (1 - want, "that is the error rate; return the fraction labelled right"),
            (100 * want, "that is a percentage; return a fraction between 0 and 1"),
            (want * n_test, "that is how many test rows the probe labels right; return the fraction: divide by the "
             f"number of test rows ({n_test}), or take the mean"),
            (want * n_test / len(x), f"you divided by every row ({len(x)}); divide by the number of test rows, "
             f"rows - n_train ({n_test}), or take the mean over them"),
            (accuracy(slice(n_train, None), slice(None, n_train)), "the split is the wrong way round: fit on the first "
             "n_train rows, score on the rest"),
            (accuracy(slice(None, n_train), slice(None)), "you scored the probe on every row, its training rows "
             "included; score on features[n_train:] only"),
            (accuracy(slice(None, n_train), slice(None, n_train)), "that is the accuracy on the training rows; score "
             "on features[n_train:]"),
            (accuracy(slice(None), slice(n_train, None)), "your probe was fitted on the rows it is scored on too; fit "
             "on features[:n_train] only"),
        ] + [(accuracy(slice(None, fit_end), slice(score_start, None)), off_by_one)
             for fit_end, score_start in ((n_train + 1, n_train + 1), (n_train - 1, n_train - 1),
                                          (n_train, n_train + 1), (n_train - 1, n_train))]
        # On labels of pure noise several mistakes score 1.0: name one only where it alone fits.
        named = {message for value, message in candidates if abs(got - value) <= 1e-4 * max(1.0, abs(value))}
        if len(named) == 1:
            raise ExerciseFailed(f"on {name}: {named.pop()}")
        if unnamed is None:
            unnamed = (name, got, want, n_classes)
    if unnamed is not None:
        name, got, want, n_classes = unnamed
        if n_classes == 5 and 0.6 <= got <= 1:
            raise ExerciseFailed(
                f"on {name}: your probe scores {got:.2f} where chance is 0.2: it was fitted on the rows it is "
                f"scored on (fit on features[:n_train] only, score on features[n_train:])")
        raise ExerciseFailed(f"on {name}: accuracy {got:.4f}, expected {want:.4f}: fit on the first n_train rows, "
                             "score on the rest")
    return "a decodable label and a label of pure noise (a probe that saw its test rows scores high on it)"


@exercise("7.7", reference.resample_ablate_except)
def check_resample_ablate_except(fn: Callable, reference_fn: Callable) -> str:
    model = _model()
    tokens, source_tokens = _tokens(4, 10, 10), _tokens(4, 10, 11)
    every = [(layer, head) for layer in (0, 1) for head in (0, 1)]
    source = _cache(model, source_tokens)
    for keep in ([(0, 0), (1, 1)], [(1, 0)], [], every):
        got = fn(model, tokens, source_tokens, keep)
        want = reference_fn(model, tokens, source_tokens, keep)
        _no_hook_left(model)
        inverse = [pair for pair in every if pair not in keep]

        def replaced(value: Callable) -> torch.Tensor:
            def hook_for(layer):
                def hook(z, hook):
                    z = z.clone()
                    for head in (0, 1):
                        if (layer, head) not in keep:
                            z[:, :, head] = value(layer, head, z)
                    return z
                return hook
            with torch.no_grad():
                return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{l}.attn.hook_z", hook_for(l)) for l in (0, 1)])

        mistakes = [
            (reference_fn(model, tokens, source_tokens, inverse), f"keeping {keep}: you ablated the kept heads and "
             "kept the others; ablate every head NOT in keep"),
            (replaced(lambda layer, head, z: torch.zeros_like(z[:, :, head])), f"keeping {keep}: that is zero "
             "ablation; replace z with the head's z on source_tokens"),
            (replaced(lambda layer, head, z: z[:, :, head].mean(dim=0, keepdim=True).expand_as(z[:, :, head])),
             f"keeping {keep}: that is mean ablation; replace z with the head's z on source_tokens"),
            (replaced(lambda layer, head, z: source["z", layer][:, :, 1 - head]), f"keeping {keep}: each ablated head "
             "took another head's z from the source run; use its own, source z[:, :, head]"),
            (replaced(lambda layer, head, z: source["z", layer][:, :, head].mean(dim=0, keepdim=True).expand_as(z[:, :, head])),
             f"keeping {keep}: you replaced z with its mean over the source batch; use each source sequence's own z"),
            (replaced(lambda layer, head, z: source["z", layer][:, :, head] if layer == 0 else z[:, :, head]),
             f"keeping {keep}: only layer 0's heads were ablated; hook blocks.1.attn.hook_z as well"),
            (replaced(lambda layer, head, z: source["z", layer][:, :, head] if layer == 1 else z[:, :, head]),
             f"keeping {keep}: only layer 1's heads were ablated; hook blocks.0.attn.hook_z as well"),
            (reference_fn(model, tokens, source_tokens, []), f"keeping {keep}: you ablated every head, the kept ones "
             "too; leave the heads in keep as they are"),
        ]
        swapped = [(head, layer) for layer, head in keep]
        if set(swapped) != set(keep):
            mistakes.append((reference_fn(model, tokens, source_tokens, swapped), f"keeping {keep}: you read each "
                             "pair as (head, layer); keep holds (layer, head) pairs"))
        if keep != every:
            with torch.no_grad():
                mistakes.append((model(tokens), f"keeping {keep}: nothing was ablated (these are the logits of the "
                                 "plain run): the hook must return the edited z, and the z put in must come from a run "
                                 "on source_tokens, not on tokens"))
        name_the_mistake(got, want, mistakes)
        expect_tensor(got, want, f"the logits keeping {keep}", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model: 4 circuits, from none to every head"
