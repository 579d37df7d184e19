"""K transformers of one shape as one module: every weight has a leading run dimension.

Training many small models one after another on a CPU spends much of its time on the fixed
cost of each operation (dispatch, memory allocation, a thread pool woken for a tiny matrix).
Stacking K independent models turns each of their operations into one operation on K times
the data: ``resid @ W_in`` for one model becomes ``torch.bmm`` over ``[K, batch, d_model]`` and
``[K, d_model, d_mlp]``. The runs stay independent: run k's logits depend only on run k's
weights, so the gradient of ``sum_k loss_k`` with respect to run k's weights is the gradient of
``loss_k`` alone.

Weights are stored under the names of :class:`~interp_course.core.transformer.HookedTransformer`
(``embed.W_E``, ``blocks.0.attn.W_Q``, ...) with a leading run dimension, for example
``blocks.0.attn.W_Q`` [K, n_heads, d_model, d_head]. Shapes::

    tokens   [K, batch, pos]            integer token ids, one batch per run
    resid    [K, batch, pos, d_model]
    q, k, v  [K, batch, pos, head, d_head]
    pattern  [K, batch, query_pos, key_pos, head]
    logits   [K, batch, d_vocab_out]    at the final position only

``uniform_attention=True`` freezes every attention pattern to the uniform causal pattern (each
position attends equally to itself and every earlier position), as in the "constant attention"
models of Zhong et al. (2023).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .transformer import ACTIVATIONS, HookedTransformer, TransformerConfig, look_up
from .validation import require_int, require_tensor


def _key(name: str) -> str:
    return name.replace(".", "__")  # a ParameterDict key cannot hold a dot


class StackedTransformer(nn.Module):
    """K independent copies of a :class:`HookedTransformer` shape, run as one.

    Args:
        cfg: the architecture of every run.
        seeds: one initialisation seed per run; run k starts from exactly the weights of
            ``HookedTransformer(cfg, seed=seeds[k])``.
        uniform_attention: freeze every attention pattern to uniform (see the module's docstring).
    """

    def __init__(self, cfg: TransformerConfig, seeds: list[int] | tuple[int, ...], uniform_attention: bool = False):
        super().__init__()
        if not isinstance(cfg, TransformerConfig):
            raise TypeError(f"cfg must be a TransformerConfig, got {type(cfg).__name__}")
        if not isinstance(seeds, (list, tuple)) or not seeds:
            raise ValueError(f"seeds must be a non-empty list of ints, one per run, got {seeds!r}")
        for seed in seeds:
            require_int(seed, "seeds[...]")
        if not isinstance(uniform_attention, bool):
            raise TypeError(f"uniform_attention must be a bool, got {type(uniform_attention).__name__}")
        self.cfg, self.n_runs, self.uniform_attention = cfg, len(seeds), uniform_attention
        members = [HookedTransformer(cfg, seed=seed).state_dict() for seed in seeds]
        self.names = list(members[0])
        self.weights = nn.ParameterDict(
            {_key(name): nn.Parameter(torch.stack([m[name] for m in members])) for name in self.names}
        )

    def stacked_state_dict(self) -> dict[str, torch.Tensor]:
        """{HookedTransformer weight name: [K, *shape]}, detached copies."""
        return {name: self.weights[_key(name)].detach().clone() for name in self.names}

    @torch.no_grad()
    def load_stacked_state_dict(self, stacked: dict[str, torch.Tensor]) -> None:
        """Load weights in the form :meth:`stacked_state_dict` returns."""
        if set(stacked) != set(self.names):
            raise ValueError(f"stacked must have the weights {self.names}, got {sorted(stacked)}")
        for name in self.names:
            target = self.weights[_key(name)]
            require_tensor(stacked[name], f"stacked[{name!r}]", shape=tuple(target.shape), dtype_kind="float")
            target.copy_(stacked[name])

    def member_state_dict(self, run: int) -> dict[str, torch.Tensor]:
        """Run ``run``'s weights as a HookedTransformer state dict (detached copies)."""
        run = require_int(run, "run", minimum=0)
        if run >= self.n_runs:
            raise ValueError(f"run must be in [0, {self.n_runs}), got {run}")
        return {name: self.weights[_key(name)][run].detach().clone() for name in self.names}

    def _w(self, name: str) -> torch.Tensor:
        return self.weights[_key(name)]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [K, batch, pos] long -> logits at the final position [K, batch, d_vocab_out]."""
        cfg = self.cfg
        require_tensor(tokens, "tokens", ndim=3, dtype_kind="int")
        n_runs, batch, pos = tokens.shape
        if n_runs != self.n_runs:
            raise ValueError(f"tokens must hold one batch per run: shape ({self.n_runs}, batch, pos), got {tuple(tokens.shape)}")
        if pos > cfg.n_ctx:
            raise ValueError(f"tokens has {pos} positions but the context is n_ctx={cfg.n_ctx}")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= cfg.d_vocab):
            raise ValueError(f"tokens must be ids in [0, {cfg.d_vocab}), got values from {int(tokens.min())} to {int(tokens.max())}")
        # Embedding: run k's tokens index rows k * d_vocab ... of all runs' embeddings side by side.
        offsets = (torch.arange(n_runs) * cfg.d_vocab)[:, None, None]  # [K, 1, 1]
        W_E = self._w("embed.W_E").reshape(n_runs * cfg.d_vocab, cfg.d_model)
        # The first layer's keys and values are looked up from the embeddings (see _block), so where
        # it is also the last layer only the final position's residual stream is needed.
        first = pos - 1 if cfg.n_layers == 1 else 0
        resid = look_up(W_E, tokens[:, :, first:] + offsets) + self._w("pos_embed.W_pos")[:, None, first:pos]
        for layer in range(cfg.n_layers):  # resid: [K, batch, pos (or 1), d_model]
            embedded = (tokens + offsets) if layer == 0 else None
            resid = self._block(layer, resid, final_only=layer == cfg.n_layers - 1, embedded=embedded)
        return torch.bmm(resid[:, :, -1], self._w("unembed.W_U"))  # [K, batch, d_vocab_out]

    def _block(self, layer: int, resid: torch.Tensor, final_only: bool, embedded: torch.Tensor | None = None) -> torch.Tensor:
        """resid [K, batch, pos, d_model] -> [K, batch, query_pos, d_model] (query_pos 1 if final_only).

        ``embedded``: the tokens offset by run ([K, batch, pos], as in :meth:`forward`) where resid
        is still their embeddings (the first layer): the queries, keys and values are then looked
        up from the embedding matrices times the weights, as in
        :class:`~interp_course.core.transformer.EmbeddedTokens`, and with ``final_only`` resid
        may hold the final position alone ([K, batch, 1, d_model])."""
        cfg, prefix = self.cfg, f"blocks.{layer}"
        n_runs, batch = resid.shape[:2]
        pos = resid.shape[2] if embedded is None else embedded.shape[2]
        d_model, n_heads, d_head = cfg.d_model, cfg.n_heads, cfg.d_head
        queries = resid[:, :, -1:] if final_only else resid  # [K, batch, query_pos, d_model]
        n_q = queries.shape[2]

        def project(x: torch.Tensor, names: tuple[str, ...], n: int) -> list[torch.Tensor]:
            """x [K, batch, n, d_model], the last n positions (looked up instead where ``embedded``) ->
            for each weight named, [K, batch, n, head, d_head]: one multiply (or look-up) with every
            named weight's heads side by side."""
            side_by_side = torch.cat([self._w(f"{prefix}.attn.{name}").permute(0, 2, 1, 3).reshape(n_runs, d_model, n_heads * d_head)
                                      for name in names], dim=2)  # [K, d_model, len(names) * head * d_head]
            width = side_by_side.shape[2]
            if embedded is not None:  # x is the embeddings of these tokens: (W_E @ W)[tokens] + (W_pos @ W)[positions]
                table = torch.bmm(self._w("embed.W_E"), side_by_side).reshape(-1, width)
                at_positions = torch.bmm(self._w("pos_embed.W_pos")[:, pos - n:pos], side_by_side)  # [K, n, width]
                out = look_up(table, embedded[:, :, pos - n:]) + at_positions[:, None]
            else:
                out = torch.bmm(x.reshape(n_runs, batch * n, d_model), side_by_side)
            return list(out.view(n_runs, batch, n, len(names), n_heads, d_head).unbind(3))

        query_pos = torch.arange(pos - n_q, pos)
        future = torch.arange(pos)[None, :] > query_pos[:, None]  # [query_pos, key_pos]
        if self.uniform_attention:
            (v,) = project(resid, ("W_V",), pos)  # [K, batch, key_pos, head, d_head]
            pattern = (~future).to(resid.dtype)
            pattern = (pattern / pattern.sum(-1, keepdim=True))[None, None, :, :, None]  # [1, 1, query_pos, key_pos, 1]
        else:
            if final_only:
                (q,) = project(queries, ("W_Q",), n_q)
                k, v = project(resid, ("W_K", "W_V"), pos)
            else:
                q, k, v = project(resid, ("W_Q", "W_K", "W_V"), pos)
            # With only a few positions, the scores are a broadcast product, not a batch of tiny matmuls.
            scores = (q[:, :, :, None] * k[:, :, None]).sum(-1) / math.sqrt(d_head)  # [K, batch, query_pos, key_pos, head]
            scores = scores.masked_fill(future[None, None, :, :, None], float("-inf"))
            pattern = scores.softmax(dim=3)
        z = (pattern[..., None] * v[:, :, None]).sum(3)  # [K, batch, query_pos, head, d_head]
        W_O = self._w(f"{prefix}.attn.W_O").reshape(n_runs, n_heads * d_head, d_model)
        attn_out = torch.bmm(z.reshape(n_runs, batch * n_q, n_heads * d_head), W_O)
        resid = queries + attn_out.view(n_runs, batch, n_q, d_model)
        if cfg.attn_only:
            return resid
        flat = resid.reshape(n_runs, batch * n_q, d_model)
        pre = torch.baddbmm(self._w(f"{prefix}.mlp.b_in")[:, None], flat, self._w(f"{prefix}.mlp.W_in"))
        post = ACTIVATIONS[cfg.act_fn](pre)  # [K, batch * query_pos, d_mlp]
        mlp_out = torch.baddbmm(self._w(f"{prefix}.mlp.b_out")[:, None], post, self._w(f"{prefix}.mlp.W_out"))
        return resid + mlp_out.view(n_runs, batch, n_q, d_model)
