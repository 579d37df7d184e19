"""Hook points and the activation cache, after the classic TransformerLens API.

A :class:`HookPoint` is an identity module placed wherever an activation is worth reading or
editing. Every hook point has a name such as ``blocks.0.attn.hook_pattern``; a hook is a
function ``fn(activation, hook) -> activation | None`` attached to one by name. Hooks are
only ever attached for the duration of one call (:meth:`HookedModule.hooks`), so a model
never keeps a hook by accident.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator

import torch
from torch import nn

HookFn = Callable[[torch.Tensor, "HookPoint"], "torch.Tensor | None"]


class HookPoint(nn.Module):
    """An identity function with a name, on which hooks can be attached."""

    def __init__(self) -> None:
        super().__init__()
        self.name: str = ""
        self._hooks: list[HookFn] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for fn in self._hooks:
            result = fn(x, self)
            if result is not None:
                x = result
        return x

    def __repr__(self) -> str:
        return f"HookPoint({self.name!r})"


class ActivationCache:
    """The activations saved by :meth:`HookedModule.run_with_cache`.

    Index it by full hook name (``cache["blocks.0.attn.hook_pattern"]``) or by a short name
    and a layer (``cache["pattern", 0]``), as in TransformerLens.
    """

    _SHORT_NAMES = {
        "embed": "hook_embed",
        "pos_embed": "hook_pos_embed",
        "resid_pre": "blocks.{layer}.hook_resid_pre",
        "resid_mid": "blocks.{layer}.hook_resid_mid",
        "resid_post": "blocks.{layer}.hook_resid_post",
        "attn_out": "blocks.{layer}.hook_attn_out",
        "mlp_out": "blocks.{layer}.hook_mlp_out",
        "q": "blocks.{layer}.attn.hook_q",
        "k": "blocks.{layer}.attn.hook_k",
        "v": "blocks.{layer}.attn.hook_v",
        "z": "blocks.{layer}.attn.hook_z",
        "attn_scores": "blocks.{layer}.attn.hook_attn_scores",
        "pattern": "blocks.{layer}.attn.hook_pattern",
        "pre": "blocks.{layer}.mlp.hook_pre",
        "post": "blocks.{layer}.mlp.hook_post",
    }

    def __init__(self, activations: dict[str, torch.Tensor]) -> None:
        self._activations = activations

    def _full_name(self, key: str | tuple[str, int]) -> str:
        if isinstance(key, tuple):
            if len(key) != 2 or not isinstance(key[0], str) or not isinstance(key[1], int):
                raise KeyError(f"expected (short_name, layer) such as ('pattern', 0), got {key!r}")
            short, layer = key
            if short not in self._SHORT_NAMES:
                raise KeyError(
                    f"unknown short name {short!r}; expected one of {sorted(self._SHORT_NAMES)}"
                )
            return self._SHORT_NAMES[short].format(layer=layer)
        if key in self._SHORT_NAMES and "{layer}" not in self._SHORT_NAMES[key]:
            return self._SHORT_NAMES[key]
        return key

    def __getitem__(self, key: str | tuple[str, int]) -> torch.Tensor:
        name = self._full_name(key)
        if name not in self._activations:
            raise KeyError(
                f"{name!r} is not in the cache; it holds {len(self._activations)} activations, "
                f"e.g. {list(self._activations)[:4]}"
            )
        return self._activations[name]

    def __contains__(self, key: str | tuple[str, int]) -> bool:
        return self._full_name(key) in self._activations

    def __len__(self) -> int:
        return len(self._activations)

    def keys(self) -> Iterable[str]:
        return self._activations.keys()

    def items(self) -> Iterable[tuple[str, torch.Tensor]]:
        return self._activations.items()

    def __repr__(self) -> str:
        return f"ActivationCache({len(self)} activations: {list(self._activations)})"


class HookedModule(nn.Module):
    """A module whose :class:`HookPoint` children are named and can be hooked by name."""

    def setup_hook_points(self) -> None:
        """Give every hook point its full name; call at the end of ``__init__``."""
        self.hook_dict: dict[str, HookPoint] = {}
        for name, module in self.named_modules():
            if isinstance(module, HookPoint):
                module.name = name
                self.hook_dict[name] = module

    def _resolve(self, name: str | Callable[[str], bool]) -> list[HookPoint]:
        if callable(name):
            return [hp for n, hp in self.hook_dict.items() if name(n)]
        if name not in self.hook_dict:
            raise KeyError(f"no hook point named {name!r}; the model has {list(self.hook_dict)}")
        return [self.hook_dict[name]]

    @contextlib.contextmanager
    def hooks(
        self, fwd_hooks: Iterable[tuple[str | Callable[[str], bool], HookFn]]
    ) -> Iterator["HookedModule"]:
        """Attach hooks for the duration of a ``with`` block; they are removed afterwards,
        even if the block raises."""
        attached: list[tuple[HookPoint, HookFn]] = []
        try:
            for name, fn in fwd_hooks:
                for hp in self._resolve(name):
                    hp._hooks.append(fn)
                    attached.append((hp, fn))
            yield self
        finally:
            for hp, fn in reversed(attached):
                hp._hooks.remove(fn)

    def run_with_hooks(
        self, *args, fwd_hooks: Iterable[tuple[str | Callable[[str], bool], HookFn]] = (), **kwargs
    ):
        """Run the model with hooks attached for this call only."""
        with self.hooks(fwd_hooks):
            return self(*args, **kwargs)

    def run_with_cache(
        self,
        *args,
        names_filter: str | Iterable[str] | Callable[[str], bool] | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, ActivationCache]:
        """Run the model and save activations (detached) at every hook point that
        ``names_filter`` selects (all of them by default).

        Returns ``(output, cache)``; ``cache["pattern", 0]`` is layer 0's attention pattern.
        """
        if names_filter is None:
            selected = list(self.hook_dict)
        elif isinstance(names_filter, str):
            selected = [names_filter]
        elif callable(names_filter):
            selected = [n for n in self.hook_dict if names_filter(n)]
        else:
            selected = list(names_filter)
        activations: dict[str, torch.Tensor] = {}

        def save(x: torch.Tensor, hook: HookPoint) -> None:
            activations[hook.name] = x.detach()

        output = self.run_with_hooks(*args, fwd_hooks=[(n, save) for n in selected], **kwargs)
        return output, ActivationCache(activations)
