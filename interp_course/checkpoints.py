"""Weights saved during training, and models rebuilt from them."""

from __future__ import annotations

import torch

from .transformer import HookedTransformer, TransformerConfig


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's weights."""
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def model_at(config: TransformerConfig, checkpoints: dict[int, dict[str, torch.Tensor]], step: int) -> HookedTransformer:
    """A fresh model (in eval mode) holding the weights saved after ``step`` training steps."""
    if step not in checkpoints:
        steps = list(checkpoints)
        shown = steps if len(steps) <= 6 else [*steps[:2], "...", steps[-1]]
        raise ValueError(f"step must be one of the saved checkpoint steps {shown}, got {step}")
    model = HookedTransformer(config)
    model.load_state_dict(checkpoints[step])
    model.eval()
    return model
