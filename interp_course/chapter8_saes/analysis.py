"""Chapter 8's measures of a trained stack of autoencoders: the ones used where nobody knows the
true features (L0, fraction of variance unexplained, dead latents, the model's loss with the
reconstruction spliced in) and the one only planted features allow (mean max cosine
similarity), all computed with the reference solutions on fresh samples of the activations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from solutions.chapter2_fourier import fourier_2d, fourier_basis, frequency_fve
from solutions.chapter4_superposition import generate_batch, importance_weighted_loss
from solutions.chapter8_saes import (
    dead_latents, decode, encode, fraction_of_variance_unexplained, keep_top_k, mean_max_cosine_similarity,
)

from ..chapter4_superposition.claims import REPRESENTED
from .runs import HierarchySAEConfig, SAEConfig, SAEStack, ToySAEConfig, initial_weights

EVALUATION_SEED = 12345  # the samples the measures use, never the ones the autoencoders were trained on
EVALUATION_BATCHES = 4
EVALUATION_BATCH_SIZE = 4096


@torch.no_grad()
def run_stack(stack: SAEStack, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents [batch, instances, n_latents] and reconstruction [batch, instances, d] of the
    activations h [batch, d] (every instance sees the same h)."""
    h = h[:, None, :].expand(-1, stack.config.n_instances, -1)
    latents = encode(h, stack.W_enc, stack.b_enc, stack.b_dec)
    if stack.config.k:
        latents = keep_top_k(latents, stack.config.k)
    return latents, decode(latents, stack.W_dec, stack.b_dec)


def true_directions(config: ToySAEConfig, toy_W: torch.Tensor) -> torch.Tensor:
    """[n_represented, d]: the directions of the features the toy model represents (its W's
    columns with norm above chapter 4's threshold), one per row. toy_W: [n_hidden, n_features]."""
    return toy_W.T[toy_W.norm(dim=0) > REPRESENTED]


def evaluation_batches(sample) -> list[torch.Tensor]:
    """The activations every measure is computed on: EVALUATION_BATCHES batches of
    ``sample(EVALUATION_BATCH_SIZE, generator)`` from a generator seeded with EVALUATION_SEED,
    each [EVALUATION_BATCH_SIZE, d]."""
    generator = torch.Generator().manual_seed(EVALUATION_SEED)
    return [sample(EVALUATION_BATCH_SIZE, generator) for _ in range(EVALUATION_BATCHES)]


@dataclass
class Scores:
    """Each measure per instance ([instances] tensors), in the stack's order of settings."""

    l0: torch.Tensor  # mean number of latents above 0 per input
    fvu: torch.Tensor  # fraction of variance unexplained
    dead: torch.Tensor  # number of latents that never fired on the evaluation samples
    mmcs: torch.Tensor | None = None  # mean max cosine similarity with the true features
    loss_recovered: torch.Tensor | None = None  # of the toy model's loss, spliced (1 = as good as h itself)
    shrinkage: torch.Tensor | None = None  # reconstruction's length along h, on one-feature inputs (1 = none)


@torch.no_grad()
def score(stack: SAEStack, sample, toy=None) -> Scores:
    """The measures of every instance of ``stack`` on EVALUATION_BATCHES fresh batches of
    ``sample(batch_size, generator)``. With ``toy`` (the chapter 4 sweep a ToySAEConfig is
    trained on), also the measures that need the true features and the toy model."""
    h = torch.cat(evaluation_batches(sample))  # [n, d]
    latents, reconstruction = run_stack(stack, h)
    n_instances = stack.config.n_instances
    scores = Scores(
        l0=(latents > 0).float().sum(dim=-1).mean(dim=0),
        fvu=fraction_of_variance_unexplained(h[:, None].expand(-1, n_instances, -1), reconstruction),
        dead=dead_latents(list(latents.split(EVALUATION_BATCH_SIZE))).sum(dim=-1),
    )
    if toy is not None:
        config: ToySAEConfig = stack.config
        W, b = toy.W[config.toy_instance], toy.b[config.toy_instance]
        scores.mmcs = mean_max_cosine_similarity(stack.W_dec, true_directions(config, W))
        scores.loss_recovered = _loss_recovered(config, W, b, reconstruction)
        scores.shrinkage = _shrinkage(stack, W, config)
    return scores


def _loss_recovered(config: ToySAEConfig, W, b, reconstruction) -> torch.Tensor:
    """1 - (loss spliced - loss clean) / (loss zeroed - loss clean): the toy model's own loss
    when its hidden vector is replaced by the reconstruction, against the hidden vector itself
    (1) and a zero vector (0). The features are redrawn exactly as the evaluation drew them."""
    probability, importance = (t[config.toy_instance] for t in config.toy.tensors())
    again = torch.Generator().manual_seed(EVALUATION_SEED)
    features = torch.cat([generate_batch(EVALUATION_BATCH_SIZE, probability[None], again)[:, 0]
                          for _ in range(EVALUATION_BATCHES)])  # [n, n_features]

    def loss(hidden: torch.Tensor) -> torch.Tensor:  # hidden [n, instances, d] -> [instances]
        out = torch.relu(torch.einsum("nid,df->nif", hidden, W) + b)
        instances = hidden.shape[1]
        return importance_weighted_loss(out, features[:, None].expand(-1, instances, -1), importance.expand(instances, -1))

    clean = loss((features @ W.T)[:, None])
    zeroed = loss(torch.zeros_like(reconstruction[:, :1]))
    return 1 - (loss(reconstruction) - clean) / (zeroed - clean)


def _shrinkage(stack: SAEStack, W: torch.Tensor, config: ToySAEConfig) -> torch.Tensor:
    """The reconstruction's component along h, as a fraction of |h|, averaged over inputs with
    exactly one represented feature active, at values 0.5 and 1 ([instances]). 1: no shrinkage."""
    directions = true_directions(config, W)  # [n_true, d]
    h = torch.cat([directions * 0.5, directions])  # [2 n_true, d]
    _, reconstruction = run_stack(stack, h)
    along = torch.einsum("nid,nd->ni", reconstruction, h) / h.pow(2).sum(dim=-1, keepdim=True)
    return along.mean(dim=0)


def by_setting(values: torch.Tensor, config: SAEConfig) -> torch.Tensor:
    """[instances, ...] -> [n_coefficients, n_seeds, ...], rows in the order of ``l1_coefficients``."""
    return values.reshape(len(config.l1_coefficients), len(config.seeds), *values.shape[1:])


@torch.no_grad()
def best_frequency(values: torch.Tensor, p: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each of n functions of (a, b), given as values [p * p, n] (a-major), the largest
    fraction of its variance one frequency explains, and that frequency: ([n], [n])."""
    coefficients = fourier_2d(values.reshape(p, p, -1), fourier_basis(p))
    fve = torch.stack([frequency_fve(coefficients, k) for k in range(1, (p - 1) // 2 + 1)])  # [frequencies, n]
    best, index = fve.max(dim=0)
    return best, index + 1


@dataclass
class FrequencyReport:
    """How cleanly units (neurons or latents) of the grokked MLP belong to one frequency."""

    units: int  # units that vary over the inputs at all
    mostly_one: int  # of those, the ones one frequency explains more than half of
    on_key: int  # of those, the ones whose frequency is a key frequency
    frequencies: list[int]  # the distinct best frequencies of the mostly-one units

    @property
    def share_mostly_one(self) -> float:
        return self.mostly_one / self.units


def frequency_report(best: torch.Tensor, frequency: torch.Tensor, key: list[int]) -> FrequencyReport:
    """best, frequency: [n], :func:`best_frequency` of n units that vary over the inputs."""
    mostly = best > 0.5
    return FrequencyReport(units=len(best), mostly_one=int(mostly.sum()),
                           on_key=int(torch.isin(frequency[mostly], torch.tensor(key)).sum()),
                           frequencies=sorted(set(frequency[mostly].tolist())))


def varying(values: torch.Tensor) -> torch.Tensor:
    """values [n_inputs, n] -> the columns that vary over the inputs (a dead latent does not)."""
    return values[:, values.std(dim=0) > 1e-6]


def seed_agreement(W_dec: torch.Tensor) -> float:
    """How alike the dictionaries of several seeds are: for each ordered pair of seeds, the mean
    max cosine similarity of one's latent directions against the other's (the other's taken as
    the "true" directions), averaged over the pairs. W_dec: [seeds, n_latents, d]."""
    seeds = W_dec.shape[0]
    pairs = [float(mean_max_cosine_similarity(W_dec[a:a + 1], W_dec[b])) for a in range(seeds) for b in range(seeds) if a != b]
    return sum(pairs) / len(pairs)


@dataclass
class Absorption:
    """How a stack trained on a planted hierarchy treats the parent feature ([instances] each)."""

    parent_alone: torch.Tensor  # share of parent-alone inputs on which the parent's latent fires
    parent_with_child: torch.Tensor  # share of inputs with a child (so with the parent too) on which it fires
    absorbing_children: torch.Tensor  # children on whose inputs the parent's latent fires less than half the time
    child_towards_parent: torch.Tensor  # children's latents: mean cosine of their direction with the parent's
    n_children: int = 0


@torch.no_grad()
def absorption(stack: SAEStack, config: HierarchySAEConfig, n: int = 20000) -> Absorption:
    """The parent's latent is the one that fires most often on inputs where the parent is alone;
    each child's latent, the one other than the parent's that fires most often on that child's
    inputs. Measured on ``n`` fresh inputs."""
    features = config.features(n, torch.Generator().manual_seed(EVALUATION_SEED))  # [n, features]
    latents, _ = run_stack(stack, features @ config.directions)  # [n, instances, n_latents]
    fires = (latents > 0).float()
    child = features[:, 1:1 + config.n_children].bool()
    alone = features[:, 0].bool() & ~child.any(dim=1)
    parent_latent = fires[alone].mean(dim=0).argmax(dim=-1)  # [instances]
    rows = torch.arange(stack.config.n_instances)
    towards, absorbing = [], []
    for c in range(config.n_children):
        rate = fires[child[:, c]].mean(dim=0)  # [instances, n_latents]
        absorbing.append(rate[rows, parent_latent] < 0.5)
        rate[rows, parent_latent] = -1
        child_latent = rate.argmax(dim=-1)
        towards.append(stack.W_dec[rows, child_latent] @ config.directions[0])
    return Absorption(parent_alone=fires[alone][:, rows, parent_latent].mean(dim=0),
                      parent_with_child=fires[child.any(dim=1)][:, rows, parent_latent].mean(dim=0),
                      absorbing_children=torch.stack(absorbing).sum(dim=0),
                      child_towards_parent=torch.stack(towards).mean(dim=0), n_children=config.n_children)


def random_dictionary_mmcs(config: SAEConfig, truth: torch.Tensor) -> torch.Tensor:
    """[instances]: the mean max cosine similarity of the dictionaries the autoencoders of
    ``config`` start from (random unit directions, :func:`~.runs.initial_weights`): the
    score of a dictionary that learned nothing. truth: [n_true, d]."""
    W_dec = initial_weights(config, torch.zeros(truth.shape[1]))[2].detach()
    return mean_max_cosine_similarity(W_dec, truth)


@torch.no_grad()
def near_a_feature(stack: SAEStack, truth: torch.Tensor, latents: torch.Tensor, cosine: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
    """(live latents, live latents within ``cosine`` of a true feature), each [instances].
    latents: [n, instances, n_latents] on some inputs; truth: [n_true, d]."""
    live = (latents > 0).any(dim=0)  # [instances, n_latents]
    best = torch.einsum("imd,td->imt", stack.W_dec, truth / truth.norm(dim=-1, keepdim=True)).max(dim=-1).values
    return live.sum(dim=-1), (live & (best > cosine)).sum(dim=-1)
