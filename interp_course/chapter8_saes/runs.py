"""Sparse autoencoders trained on the activations of the course's own models: configs and the
cached stacks.

Each config is many autoencoders trained at once (one instance per L1 coefficient and seed),
all on the same activations, by the reference ``solutions.chapter8_saes.train_sae`` (exercise
8.5). They are runs built on runs: a :class:`ToySAEConfig` requires chapter 4's toy-model sweep
and a :class:`GrokkedMLPSAEConfig` chapter 1's grokked model, so editing either model's code
trains the autoencoders again.

Example::

    from interp_course.chapter8_saes import runs as saes
    stack = saes.load_or_train(saes.FIVE_INTO_TWO_L1)
    stack.W_dec        # [instances, n_latents, d]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from solutions.chapter4_superposition import generate_batch
from solutions.chapter8_saes import train_sae

from ..chapter1_grokking import runs as grokking
from ..chapter2_fourier.analysis import grid_activations
from ..chapter4_superposition import runs as sp
from ..core.cpu import flush_denormals
from ..core.runs import Run, RunConfig, TrainedRecord, load_or_train  # noqa: F401  (load_or_train: for the notebooks)
from ..core.training import optimizer_steps_bar
from ..core.validation import require_int, require_positive_float


class SAEStack(Run):
    """Trained autoencoders: ``W_enc`` [instances, d, n_latents], ``b_enc`` [instances, n_latents],
    ``W_dec`` [instances, n_latents, d], ``b_dec`` [instances, d], ``losses`` [n_steps]."""

    @property
    def W_enc(self) -> torch.Tensor:
        return self.weights["W_enc"]

    @property
    def b_enc(self) -> torch.Tensor:
        return self.weights["b_enc"]

    @property
    def W_dec(self) -> torch.Tensor:
        return self.weights["W_dec"]

    @property
    def b_dec(self) -> torch.Tensor:
        return self.weights["b_dec"]

    @property
    def losses(self) -> torch.Tensor:
        return self.metrics["losses"]


@dataclass(frozen=True)
class SAEConfig(RunConfig):
    """A stack of autoencoders: one instance per (L1 coefficient, seed), in the order
    ``for coefficient: for seed:``. ``k`` > 0 makes them TopK autoencoders (``l1_coefficients``
    then (0.0,)). Everything here, and the run it is trained on, determines the result."""

    kind = "sae"
    run_type = SAEStack

    n_latents: int
    l1_coefficients: tuple[float, ...] = (0.3,)
    seeds: tuple[int, ...] = (0,)
    k: int = 0
    n_steps: int = 3000
    batch_size: int = 1024
    lr: float = 3e-3
    data_seed: int = 0

    def __post_init__(self) -> None:
        require_int(self.n_latents, f"{type(self).__name__}.n_latents", minimum=1)
        require_int(self.k, f"{type(self).__name__}.k", minimum=0)
        require_int(self.n_steps, f"{type(self).__name__}.n_steps", minimum=1)
        require_int(self.batch_size, f"{type(self).__name__}.batch_size", minimum=1)
        require_positive_float(self.lr, f"{type(self).__name__}.lr")
        if not self.l1_coefficients or not self.seeds:
            raise ValueError(f"{type(self).__name__}.l1_coefficients and .seeds must not be empty")
        if any(c < 0 for c in self.l1_coefficients):
            raise ValueError(f"{type(self).__name__}.l1_coefficients must be >= 0, got {self.l1_coefficients}")
        if self.k > self.n_latents:
            raise ValueError(f"{type(self).__name__}.k must be at most n_latents = {self.n_latents}, got {self.k}")

    @property
    def settings(self) -> list[tuple[float, int]]:
        """(L1 coefficient, seed) of each instance, in order."""
        return [(c, s) for c in self.l1_coefficients for s in self.seeds]

    @property
    def n_instances(self) -> int:
        return len(self.settings)

    def sampler(self, inputs: tuple[Run, ...]) -> Callable[[int, torch.Generator], torch.Tensor]:
        """``sample(batch_size, generator)`` -> [batch, d], the activations to train on."""
        raise NotImplementedError

    def initial_decoder_bias(self, inputs: tuple[Run, ...]) -> torch.Tensor:
        """[d], where b_dec starts (zero by default)."""
        return torch.zeros(self.sampler(inputs)(1, torch.Generator().manual_seed(0)).shape[-1])

    def train(self, progress: bool = True, inputs: tuple[Run, ...] = ()) -> TrainedRecord:
        sample = self.sampler(inputs)
        W_enc, b_enc, W_dec, b_dec = initial_weights(self, self.initial_decoder_bias(inputs))
        coefficients = torch.tensor([c for c, _ in self.settings])
        flush_denormals()
        kind = f"TopK (k = {self.k})" if self.k else "L1"
        with optimizer_steps_bar(self.n_steps, f"{self.n_instances} {kind} autoencoders at once", progress):
            losses = train_sae(W_enc, b_enc, W_dec, b_dec, sample, coefficients, n_steps=self.n_steps,
                               batch_size=self.batch_size, lr=self.lr, seed=self.data_seed, k=self.k)
        weights = {name: t.detach() for name, t in zip(("W_enc", "b_enc", "W_dec", "b_dec"), (W_enc, b_enc, W_dec, b_dec))}
        return TrainedRecord({"losses": torch.tensor(losses, dtype=torch.float64)}, {self.n_steps: weights})


def initial_weights(config: SAEConfig, decoder_bias: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """W_enc, b_enc, W_dec, b_dec (module docstring of ``solutions.chapter8_saes``) as leaf
    tensors that require gradients: each instance's decoder rows random unit vectors drawn
    from its own seed, the encoder their transpose, b_enc zero, b_dec ``decoder_bias`` [d]."""
    d = decoder_bias.shape[0]
    rows = []
    for _, seed in config.settings:
        W = torch.randn(config.n_latents, d, generator=torch.Generator().manual_seed(1000 + seed))
        rows.append(W / W.norm(dim=-1, keepdim=True))
    W_dec = torch.stack(rows)  # [instances, n_latents, d]
    W_enc = W_dec.transpose(1, 2).clone()  # [instances, d, n_latents]
    b_enc = torch.zeros(config.n_instances, config.n_latents)
    b_dec = decoder_bias.float().repeat(config.n_instances, 1)
    return tuple(t.requires_grad_(True) for t in (W_enc, b_enc, W_dec, b_dec))


@dataclass(frozen=True)
class ToySAEConfig(SAEConfig):
    """Autoencoders on the hidden vectors h = W x of one toy model of chapter 4 (instance
    ``toy_instance`` of the sweep ``toy``), with x drawn as that model was trained."""

    toy: sp.ToySweepConfig = sp.FIVE_INTO_TWO
    toy_instance: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.toy_instance < self.toy.n_instances:
            raise ValueError(f"ToySAEConfig.toy_instance must be in 0..{self.toy.n_instances - 1}, got {self.toy_instance}")

    def requires(self) -> tuple[RunConfig, ...]:
        return (self.toy,)

    def sampler(self, inputs: tuple[Run, ...]) -> Callable[[int, torch.Generator], torch.Tensor]:
        (toy,) = inputs
        return toy_hidden_sampler(toy.W[self.toy_instance], self.toy.tensors()[0][self.toy_instance])


def toy_hidden_sampler(W: torch.Tensor, feature_probability: torch.Tensor) -> Callable[[int, torch.Generator], torch.Tensor]:
    """``sample(batch_size, generator)`` -> [batch, n_hidden]: features drawn as chapter 4 draws
    them (``feature_probability`` [n_features]), through the toy model's W [n_hidden, n_features]."""
    W = W.detach()

    def sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
        features = generate_batch(batch_size, feature_probability[None], generator)[:, 0]  # [batch, n_features]
        return features @ W.T  # [batch, n_hidden]

    return sample


@dataclass(frozen=True)
class GrokkedMLPSAEConfig(SAEConfig):
    """Autoencoders on the grokked model's MLP activations (after the ReLU, at "=") over all
    p² inputs, divided by their mean norm so that λ means the same as on the toy models."""

    grokking_run: grokking.GrokkingConfig = grokking.CANONICAL

    def requires(self) -> tuple[RunConfig, ...]:
        return (self.grokking_run,)

    def sampler(self, inputs: tuple[Run, ...]) -> Callable[[int, torch.Generator], torch.Tensor]:
        activations = mlp_activations(inputs[0])

        def sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
            return activations[torch.randint(0, activations.shape[0], (batch_size,), generator=generator)]

        return sample

    def initial_decoder_bias(self, inputs: tuple[Run, ...]) -> torch.Tensor:
        return mlp_activations(inputs[0]).mean(dim=0)


def mlp_activations(run: Run) -> torch.Tensor:
    """[p², d_mlp] float32: the run's MLP activations at "=" on every input (a, b), a-major,
    divided by their mean norm."""
    p = run.config.p
    neurons = grid_activations(run.model, run.data.tokens, p)["neurons"].reshape(p * p, -1).float()
    return neurons / neurons.norm(dim=-1).mean()


@dataclass(frozen=True)
class HierarchySAEConfig(SAEConfig):
    """Autoencoders on planted activations with a hierarchy: a parent feature that is present
    whenever one of its children is (and sometimes alone), plus independent features. Each
    feature has its own direction in ``d`` dimensions and is either absent or present with
    value 1; at most one child is present at a time."""

    d: int = 8
    n_children: int = 4
    n_independent: int = 3
    child_probability: float = 0.05
    parent_alone_probability: float = 0.05
    independent_probability: float = 0.05
    directions_seed: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if 1 + self.n_children + self.n_independent > self.d:
            raise ValueError(f"HierarchySAEConfig: 1 + n_children + n_independent features must fit in d = {self.d} "
                             "dimensions (their directions are orthonormal)")

    @property
    def directions(self) -> torch.Tensor:
        """[1 + n_children + n_independent, d] orthonormal rows, a random rotation (seeded by
        ``directions_seed``): the parent, the children, the others. Orthogonal, so that anything
        the autoencoder mixes is mixed because of how the features occur, not of their geometry."""
        random = torch.randn(self.d, self.d, generator=torch.Generator().manual_seed(self.directions_seed))
        return torch.linalg.qr(random)[0].T[: 1 + self.n_children + self.n_independent]

    def features(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """[batch, 1 + n_children + n_independent] in {0, 1}: which features are present."""
        child = torch.rand(batch_size, self.n_children, generator=generator) < self.child_probability
        child &= torch.cumsum(child, dim=1) == 1  # at most one child: the first drawn
        parent = child.any(dim=1) | (torch.rand(batch_size, generator=generator) < self.parent_alone_probability)
        other = torch.rand(batch_size, self.n_independent, generator=generator) < self.independent_probability
        return torch.cat([parent[:, None], child, other], dim=1).float()

    def sampler(self, inputs: tuple[Run, ...]) -> Callable[[int, torch.Generator], torch.Tensor]:
        directions = self.directions

        def sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
            return self.features(batch_size, generator) @ directions  # [batch, d]

        return sample

    def initial_decoder_bias(self, inputs: tuple[Run, ...]) -> torch.Tensor:
        return torch.zeros(self.d)


# The stacks of chapter 8.
FIVE_INTO_TWO_INSTANCE = 2 * len(sp.FIVE_INTO_TWO_SPARSITIES) + sp.FIVE_INTO_TWO_SPARSITIES.index(0.9)
"""Chapter 4's five features in two dimensions, equal importance, sparsity 0.9: a pentagon."""
TWENTY_INTO_FIVE_INSTANCE = sp.TWENTY_INTO_FIVE_SPARSITIES.index(0.99)
"""Chapter 4's twenty features in five dimensions at sparsity 0.99."""

SEEDS = (0, 1, 2, 3, 4)
L1_COEFFICIENTS = (0.01, 0.03, 0.1, 0.3, 0.5, 1.0)
WORKING_BAND = (0.3, 0.5)
"""The L1 coefficients that recover the pentagon's five features (read off our run; the claims test it)."""
BELOW_BAND = (0.01, 0.03, 0.1)
FIVE_INTO_TWO_L1 = ToySAEConfig(8, L1_COEFFICIENTS, SEEDS, toy=sp.FIVE_INTO_TWO, toy_instance=FIVE_INTO_TWO_INSTANCE)
"""Eight-latent L1 autoencoders on the pentagon, across L1 coefficients and five seeds."""
FIVE_INTO_TWO_TOPK = ToySAEConfig(8, (0.0,), SEEDS, k=1, toy=sp.FIVE_INTO_TWO, toy_instance=FIVE_INTO_TWO_INSTANCE)
"""Eight-latent TopK (k = 1) autoencoders on the pentagon, five seeds."""

TWENTY_SEEDS = (0, 1, 2)
TWENTY_INTO_FIVE_L1 = ToySAEConfig(20, (0.1, 0.3, 1.0), TWENTY_SEEDS, toy=sp.TWENTY_INTO_FIVE,
                                   toy_instance=TWENTY_INTO_FIVE_INSTANCE)
"""Twenty-latent L1 autoencoders on twenty features in five dimensions."""
TWENTY_INTO_FIVE_TOPK = ToySAEConfig(20, (0.0,), TWENTY_SEEDS, k=1, toy=sp.TWENTY_INTO_FIVE,
                                     toy_instance=TWENTY_INTO_FIVE_INSTANCE)
"""Twenty-latent TopK (k = 1) autoencoders on the same activations."""

DICTIONARY_SIZES = (5, 10, 15, 20, 30, 40)
DICTIONARY_SWEEP = {m: ToySAEConfig(m, (0.3,), TWENTY_SEEDS, toy=sp.TWENTY_INTO_FIVE, toy_instance=TWENTY_INTO_FIVE_INSTANCE)
                    for m in DICTIONARY_SIZES}
"""{dictionary size: L1 autoencoders of that size at λ = 0.3} on twenty features in five dimensions."""

HIERARCHY = HierarchySAEConfig(12, (0.3,), TWENTY_SEEDS)
"""Twelve-latent L1 autoencoders on a parent feature, its four children and three others, in 8 dimensions."""

GROKKED_MLP = GrokkedMLPSAEConfig(32, (0.01,), (0,), n_steps=2000)
"""32-latent L1 autoencoder on the grokked model's 512 MLP neurons."""
