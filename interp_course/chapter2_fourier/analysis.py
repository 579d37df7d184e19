"""Fourier analysis of a grokked modular-addition model (chapters 2 and 3).

The exercises' reference functions live in ``solutions/chapter2_fourier.py``; this module
adds what the chapters use around them: the model's activations and logits over the whole
(a, b) grid, the key frequencies, the fit of the idealised algorithm, and ablations.

Grid convention: row a * p + b of a [p * p, ...] tensor is the input (a, b); reshaped to
[p, p, ...] it is indexed [a, b, ...].
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions.chapter2_fourier import fourier_basis, idealised_logits, norm_per_frequency

from ..core.losses import loss_and_accuracy  # noqa: F401  (the chapter's notebook uses it from here)
from ..core.transformer import HookedTransformer
from ..core.validation import require_fraction, require_frequencies, require_frequency, require_int, require_tensor

KEY_FREQUENCY_SHARE = 0.05
"""A frequency is *key* when it holds more than this share of the embedding's squared norm
(the constant term left out)."""


def basis_labels(p: int) -> list[str]:
    """Names of the rows of ``fourier_basis(p)``: "const", "cos 1", "sin 1", "cos 2", ..."""
    return ["const"] + [f"{kind} {k}" for k in range(1, (p - 1) // 2 + 1) for kind in ("cos", "sin")]


def embedding_spectrum(
    model: HookedTransformer, p: int, norm_per_frequency: Callable = norm_per_frequency,
    basis: torch.Tensor | None = None,
) -> torch.Tensor:
    """Squared norm of the number tokens' embeddings per frequency: [(p + 1) / 2] float64
    (entry 0 the constant term; the "=" token is left out).

    ``norm_per_frequency`` and ``basis`` (p x p) default to the reference solutions; chapter 2
    passes the learner's."""
    W_E = model.W_E[:p].detach().to(torch.float64)  # [p, d_model]
    basis = fourier_basis(p) if basis is None else basis
    return norm_per_frequency(basis @ W_E)


def neuron_logit_map(model: HookedTransformer) -> torch.Tensor:
    """W_L = W_out W_U: how each MLP neuron of the last layer writes to the logits.
    [d_mlp, d_vocab_out] float64."""
    mlp = model.blocks[-1].mlp
    return (mlp.W_out @ model.W_U).detach().to(torch.float64)


def neuron_logit_spectrum(model: HookedTransformer) -> torch.Tensor:
    """Squared norm of W_L per output frequency: [(p + 1) / 2] float64 (p = d_vocab_out)."""
    W_L = neuron_logit_map(model)  # [d_mlp, p]
    return norm_per_frequency(fourier_basis(W_L.shape[1]) @ W_L.T)


def key_frequencies(spectrum: torch.Tensor, min_share: float = KEY_FREQUENCY_SHARE) -> list[int]:
    """The frequencies k >= 1 that hold more than ``min_share`` of the spectrum's total
    (constant term left out), in increasing order.

    Args:
        spectrum: [(p + 1) / 2], e.g. ``embedding_spectrum(model, p)``.
    """
    require_tensor(spectrum, "spectrum", ndim=1, dtype_kind="float")
    min_share = require_fraction(min_share, "min_share")
    shares = spectrum[1:] / spectrum[1:].sum()
    return [int(k) + 1 for k in (shares > min_share).nonzero().flatten()]


def share_of_spectrum(spectrum: torch.Tensor, frequencies: list[int]) -> float:
    """The fraction of the spectrum's total (constant included) held by ``frequencies``
    (0 for none: a run that found no key frequency)."""
    require_tensor(spectrum, "spectrum", ndim=1, dtype_kind="float", non_empty=True)
    frequencies = require_frequencies(frequencies, 2 * spectrum.shape[0] - 1, allow_empty=True)
    return float(spectrum[list(frequencies)].sum() / spectrum.sum())


def top_frequencies(spectrum: torch.Tensor, n: int) -> list[int]:
    """The ``n`` frequencies k >= 1 with the largest entries of ``spectrum``, in increasing order."""
    require_tensor(spectrum, "spectrum", ndim=1, dtype_kind="float")
    n = require_int(n, "n", minimum=0)
    if n > spectrum.shape[0] - 1:
        raise ValueError(f"n must be at most {spectrum.shape[0] - 1} (the spectrum's frequencies), got {n}")
    return sorted(int(k) + 1 for k in spectrum[1:].argsort(descending=True)[:n])


@torch.no_grad()
def grid_activations(model: HookedTransformer, tokens: torch.Tensor, p: int) -> dict[str, torch.Tensor]:
    """Run the model on every input (a, b) and keep what chapter 2 studies, at the final
    position ("="), in float64:

    - ``logits`` [p * p, p]
    - ``neurons``: MLP activations after the ReLU, [p, p, d_mlp]
    - ``attention``: attention paid by "=" to a, [p, p, n_heads]
    - ``resid_mid``: the residual stream before the MLP, [p * p, d_model]

    Args:
        tokens: [p * p, 3], all inputs in grid order (``ModularAdditionData.tokens``).
    """
    require_tensor(tokens, "tokens", shape=(p * p, 3), dtype_kind="int")
    logits, cache = model.run_with_cache(tokens)
    last = model.cfg.n_layers - 1
    return {
        "logits": logits[:, -1].to(torch.float64),
        "neurons": cache[f"blocks.{last}.mlp.hook_post"][:, -1].to(torch.float64).reshape(p, p, -1),
        "attention": cache["pattern", last][:, :, -1, 0].to(torch.float64).reshape(p, p, -1),
        "resid_mid": cache[f"blocks.{last}.hook_resid_mid"][:, -1].to(torch.float64),
    }


@torch.no_grad()
def logits_from_neurons(model: HookedTransformer, resid_mid: torch.Tensor, neurons: torch.Tensor) -> torch.Tensor:
    """The logits the model would give if its MLP neurons took the values ``neurons``: the
    rest of the forward pass (MLP output weights, residual connection, unembedding) as is.

    Args:
        resid_mid: [p * p, d_model], from :func:`grid_activations`.
        neurons: [p, p, d_mlp] (e.g. an ablated copy of ``grid_activations(...)["neurons"]``).

    Returns:
        [p * p, d_vocab_out] float64.
    """
    mlp = model.blocks[-1].mlp
    n_inputs = resid_mid.shape[0]
    mlp_out = neurons.reshape(n_inputs, -1) @ mlp.W_out.double() + mlp.b_out.double()  # [p*p, d_model]
    return (resid_mid + mlp_out) @ model.W_U.double()  # the unembedding has no bias


def fit_idealised_coefficients(logits: torch.Tensor, p: int, frequencies: list[int]) -> torch.Tensor:
    """Least-squares weights for the idealised logits sum_k c_k cos(w_k (a + b - c)).

    The model's logits are centred over c first: a softmax ignores a constant per input.

    Args:
        logits: [p * p, p].

    Returns:
        [len(frequencies)] float64.
    """
    centred = logits.to(torch.float64) - logits.to(torch.float64).mean(dim=1, keepdim=True)
    waves = torch.stack(
        [idealised_logits(p, [k], torch.ones(1, dtype=torch.float64)).flatten() for k in frequencies], dim=1
    )  # [p^3, K]
    return torch.linalg.lstsq(waves, centred.flatten()[:, None]).solution.flatten()


def fraction_of_variance_explained(approximation: torch.Tensor, target: torch.Tensor) -> float:
    """1 - |target - approximation|^2 / |target - mean(target)|^2 over all entries."""
    residual = (target - approximation).pow(2).sum()
    return float(1 - residual / (target - target.mean()).pow(2).sum())


def fit_wave(curve: torch.Tensor, frequency: int) -> tuple[float, float]:
    """The amplitude and phase (degrees) of the wave of ``frequency`` that best fits ``curve``.

    curve: [p], a function of the answer c; the fit is x cos(wc) + y sin(wc) with w = 2 pi k / p,
    and the phase is atan2(y, x): 0° for a cosine, 90° for a sine.
    """
    require_tensor(curve, "curve", ndim=1, dtype_kind="float")
    p = curve.shape[0]
    frequency = require_frequency(frequency, p)
    c = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * frequency / p
    waves = torch.stack([torch.cos(w * c), torch.sin(w * c)], dim=1)  # [p, 2]
    x, y = torch.linalg.lstsq(waves, curve.to(torch.float64)[:, None]).solution.flatten().tolist()
    return math.hypot(x, y), math.degrees(math.atan2(y, x))


def product_terms(logit_coefficients: torch.Tensor, frequency: int) -> dict[str, torch.Tensor]:
    """The four 2-D Fourier terms of one frequency in the logits, as functions of c.

    logit_coefficients: [p, p, p], ``fourier_2d`` of the centred logits [a, b, c].
    Returns {"cos a · cos b", "− sin a · sin b", "cos a · sin b", "sin a · cos b"} -> [p]; by
    cos(w(a + b - c)) the first two should be cosine waves in c and the last two sine waves.
    """
    require_tensor(logit_coefficients, "logit_coefficients", ndim=3, dtype_kind="float")
    frequency = require_frequency(frequency, logit_coefficients.shape[0])
    cos_row, sin_row = 2 * frequency - 1, 2 * frequency
    return {
        "cos a · cos b": logit_coefficients[cos_row, cos_row],
        "− sin a · sin b": -logit_coefficients[sin_row, sin_row],
        "cos a · sin b": logit_coefficients[cos_row, sin_row],
        "sin a · cos b": logit_coefficients[sin_row, cos_row],
    }
