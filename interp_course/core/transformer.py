"""A small transformer with the classic TransformerLens names and shapes.

One readable file: a config dataclass, the embedding, attention, MLP, a block, and the model.
Weights are stored per head, as in TransformerLens, so that ``model.blocks[0].attn.W_Q[h]``
is head ``h``'s query matrix, of shape ``[d_model, d_head]``.

Shapes, everywhere in the course::

    tokens        [batch, pos]                     integer token ids
    resid         [batch, pos, d_model]            the residual stream
    q, k, v, z    [batch, pos, head, d_head]
    scores/pattern[batch, head, query_pos, key_pos]
    mlp pre/post  [batch, pos, d_mlp]
    logits        [batch, pos, d_vocab_out]

Hook points (see :mod:`interp_course.core.hooks`): ``hook_embed``, ``hook_pos_embed``, and for each
layer ``l``: ``blocks.l.hook_resid_pre``, ``blocks.l.attn.hook_q/k/v``,
``blocks.l.attn.hook_attn_scores``, ``blocks.l.attn.hook_pattern``, ``blocks.l.attn.hook_z``,
``blocks.l.hook_attn_out``, ``blocks.l.hook_resid_mid``, ``blocks.l.mlp.hook_pre``,
``blocks.l.mlp.hook_post``, ``blocks.l.hook_mlp_out``, ``blocks.l.hook_resid_post``
(an attention-only model has no ``resid_mid`` and no MLP hooks).

There is no LayerNorm, following the grokking model of Nanda et al. (2023), and attention has
no biases.

Shortcuts make training on a CPU faster without changing what is computed (up to rounding;
the tests compare each with the plain computation): over a few positions, attention is a
broadcast product rather than a batch of tiny matrix multiplies (:data:`FEW_POSITIONS`); over
more, when no hook reads the scores or the pattern, it is PyTorch's fused
``scaled_dot_product_attention``; queries, keys and values are one multiply; and the first
layer's queries, keys and values are computed from the embedding matrices and looked up per
token, when nothing is hooked before them (:class:`EmbeddedTokens`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .hooks import HookedModule, HookPoint
from .validation import require_int, require_tensor

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


@dataclass(frozen=True)
class TransformerConfig:
    """The architecture. The defaults are the one-layer grokking model of Nanda et al. (2023)."""

    d_vocab: int
    n_ctx: int
    d_model: int = 128
    n_layers: int = 1
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    attn_only: bool = False
    act_fn: str = "relu"
    d_vocab_out: int | None = None  # None: the same as d_vocab

    def __post_init__(self) -> None:
        for name in ("d_vocab", "n_ctx", "d_model", "n_layers", "n_heads", "d_head", "d_mlp"):
            require_int(getattr(self, name), f"TransformerConfig.{name}", minimum=1)
        if self.d_vocab_out is not None:
            require_int(self.d_vocab_out, "TransformerConfig.d_vocab_out", minimum=1)
        if self.act_fn not in ACTIVATIONS:
            raise ValueError(
                f"TransformerConfig.act_fn must be one of {sorted(ACTIVATIONS)}, got {self.act_fn!r}"
            )

    @property
    def vocab_out(self) -> int:
        return self.d_vocab if self.d_vocab_out is None else self.d_vocab_out

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def look_up(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Rows of ``table`` [n, width] at ``ids`` (long, any shape): [*ids.shape, width].

    ``F.embedding(ids, table)`` computes the same; ``index_select`` is about a third faster
    forward and backward on a CPU (its gradient is an ``index_add_``)."""
    return table.index_select(0, ids.reshape(-1)).view(*ids.shape, table.shape[-1])


class Embed(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.W_E = nn.Parameter(torch.empty(cfg.d_vocab, cfg.d_model))  # [d_vocab, d_model]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return look_up(self.W_E, tokens)  # [batch, pos, d_model]


class PosEmbed(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.W_pos = nn.Parameter(torch.empty(cfg.n_ctx, cfg.d_model))  # [n_ctx, d_model]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        batch, pos = tokens.shape
        return self.W_pos[:pos].unsqueeze(0).expand(batch, pos, -1)  # [batch, pos, d_model]


class Attention(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.W_Q = nn.Parameter(torch.empty(cfg.n_heads, cfg.d_model, cfg.d_head))
        self.W_K = nn.Parameter(torch.empty(cfg.n_heads, cfg.d_model, cfg.d_head))
        self.W_V = nn.Parameter(torch.empty(cfg.n_heads, cfg.d_model, cfg.d_head))
        self.W_O = nn.Parameter(torch.empty(cfg.n_heads, cfg.d_head, cfg.d_model))
        self.hook_q = HookPoint()  # [batch, query_pos, head, d_head]
        self.hook_k = HookPoint()  # [batch, key_pos, head, d_head]
        self.hook_v = HookPoint()  # [batch, key_pos, head, d_head]
        self.hook_attn_scores = HookPoint()  # [batch, head, query_pos, key_pos]
        self.hook_pattern = HookPoint()  # [batch, head, query_pos, key_pos]
        self.hook_z = HookPoint()  # [batch, query_pos, head, d_head]

    def forward(
        self,
        resid: torch.Tensor,
        final_position_only: bool = False,
        embedded: "EmbeddedTokens | None" = None,
    ) -> torch.Tensor:
        """resid [batch, pos, d_model] -> attention output [batch, query_pos, d_model], where
        query_pos is pos, or 1 with ``final_position_only`` (only the last position attends).

        ``embedded``: where ``resid`` is exactly the token and position embeddings of these
        tokens (the first layer, nothing hooked before it), the queries, keys and values are
        computed from the embedding matrices instead (see :class:`EmbeddedTokens`); the result
        is the same up to rounding. With ``final_position_only`` too, ``resid`` may then hold the
        final position alone ([batch, 1, d_model]): nothing else of it is read.
        """
        batch = resid.shape[0]
        n_keys = resid.shape[1] if embedded is None else embedded.tokens.shape[1]
        n_heads, d_head = self.cfg.n_heads, self.cfg.d_head
        resid_q = resid[:, -1:] if final_position_only else resid
        n_queries = resid_q.shape[1]

        def project(x: torch.Tensor, W: torch.Tensor, last_only: bool) -> torch.Tensor:
            # One matrix multiply with the heads side by side: [batch, n, head * d_head]
            return x @ W if embedded is None else embedded.times(W, last_only)

        if final_position_only:
            q = project(resid_q, heads_side_by_side(self.W_Q), True).view(batch, 1, n_heads, d_head)
            W_KV = torch.cat([heads_side_by_side(W) for W in (self.W_K, self.W_V)], dim=1)
            k, v = project(resid, W_KV, False).view(batch, n_keys, 2, n_heads, d_head).unbind(2)
        else:  # every position is queried: queries, keys and values in one multiply, then split
            W_QKV = torch.cat([heads_side_by_side(W) for W in (self.W_Q, self.W_K, self.W_V)], dim=1)
            q, k, v = project(resid, W_QKV, False).view(batch, n_keys, 3, n_heads, d_head).unbind(2)
        q = self.hook_q(q)  # [batch, query_pos, head, d_head]
        k = self.hook_k(k)  # [batch, key_pos, head, d_head]
        v = self.hook_v(v)
        if n_keys > FEW_POSITIONS and not (self.hook_attn_scores._hooks or self.hook_pattern._hooks):
            # Nothing reads the scores or the pattern: PyTorch's fused attention computes z without
            # storing them (the same numbers up to rounding). Causal where every position is queried;
            # a lone final query sees every key.
            z = F.scaled_dot_product_attention(
                q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=n_queries > 1
            ).transpose(1, 2)  # [batch, query_pos, head, d_head]
        else:
            z = self._z_from_pattern(q, k, v)
        z = self.hook_z(z)
        # Sum over heads of z[h] @ W_O[h], as one multiply: [.., head*d_head] @ [head*d_head, d_model]
        return z.reshape(batch, n_queries, n_heads * d_head) @ self.W_O.reshape(n_heads * d_head, -1)

    def _z_from_pattern(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The attention scores and pattern, through their hooks, and z: q [batch, query_pos, head,
        d_head], k and v [batch, key_pos, head, d_head] -> z [batch, query_pos, head, d_head]."""
        n_queries, n_keys, d_head = q.shape[1], k.shape[1], q.shape[3]
        # Causal mask: query i (absolute position n_keys - n_queries + i) sees keys <= itself.
        query_pos = torch.arange(n_keys - n_queries, n_keys, device=q.device)
        key_pos = torch.arange(n_keys, device=q.device)
        future = key_pos[None, :] > query_pos[:, None]  # [query_pos, key_pos]
        if n_keys <= FEW_POSITIONS:
            # A broadcast product: as a matrix multiply this is batch * head products of
            # [query_pos, d_head] @ [d_head, key_pos], each too small to be worth a call.
            scores = (q[:, :, None] * k[:, None]).sum(-1).permute(0, 3, 1, 2)  # [batch, head, query_pos, key_pos]
        else:
            # [batch, head, query_pos, d_head] @ [batch, head, d_head, key_pos]
            scores = q.permute(0, 2, 1, 3) @ k.permute(0, 2, 3, 1)
        scores = self.hook_attn_scores((scores / math.sqrt(d_head)).masked_fill(future, float("-inf")))
        pattern = self.hook_pattern(scores.softmax(dim=-1))  # [batch, head, query_pos, key_pos]
        if n_keys <= FEW_POSITIONS:
            return (pattern.permute(0, 2, 3, 1)[..., None] * v[:, None]).sum(2)  # [batch, query_pos, head, d_head]
        return (pattern @ v.permute(0, 2, 1, 3)).transpose(1, 2)  # [batch, query_pos, head, d_head]


FEW_POSITIONS = 8
"""Up to this many positions, attention scores and outputs are computed as broadcast products
rather than as a batch of tiny matrix multiplies (2 to 3 times faster at the grokking model's 3
positions on a CPU; the same numbers up to rounding)."""


class EmbeddedTokens:
    """Token ids whose residual stream is still just their embeddings: row ``[b, i]`` is
    ``W_E[tokens[b, i]] + W_pos[i]``.

    A linear map of that residual stream is a linear map of the two embedding matrices:
    ``resid @ W == (W_E @ W)[tokens] + (W_pos @ W)[:pos]``. The right side multiplies d_vocab +
    pos rows instead of batch * pos, and looks the rest up: the first layer's queries, keys and
    values of a large batch over a small vocabulary (the grokking model's 3,831 training pairs
    have 3 positions and 114 tokens) cost a fraction of the multiply, forward and backward.

    tokens [batch, pos] long; W_E [d_vocab, d_model]; W_pos [n_ctx, d_model].
    """

    def __init__(self, tokens: torch.Tensor, W_E: torch.Tensor, W_pos: torch.Tensor) -> None:
        self.tokens, self.W_E, self.W_pos = tokens, W_E, W_pos

    def times(self, W: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        """resid @ W for W [d_model, n]: [batch, pos, n] (``last_only``: [batch, 1, n])."""
        pos = self.tokens.shape[1]
        rows = slice(pos - 1, pos) if last_only else slice(0, pos)
        return look_up(self.W_E @ W, self.tokens[:, rows]) + self.W_pos[rows] @ W

    @staticmethod
    def pays(tokens: torch.Tensor, cfg: TransformerConfig) -> bool:
        """Whether looking up is cheaper than multiplying: far fewer embedding rows than tokens."""
        return 4 * (cfg.d_vocab + cfg.n_ctx) <= tokens.numel()


def heads_side_by_side(W: torch.Tensor) -> torch.Tensor:
    """[head, d_model, d_head] -> [d_model, head * d_head], head h in columns h*d_head ..."""
    n_heads, d_model, d_head = W.shape
    return W.permute(1, 0, 2).reshape(d_model, n_heads * d_head)


class MLP(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.W_in = nn.Parameter(torch.empty(cfg.d_model, cfg.d_mlp))
        self.b_in = nn.Parameter(torch.zeros(cfg.d_mlp))
        self.W_out = nn.Parameter(torch.empty(cfg.d_mlp, cfg.d_model))
        self.b_out = nn.Parameter(torch.zeros(cfg.d_model))
        self.act_fn = ACTIVATIONS[cfg.act_fn]
        self.hook_pre = HookPoint()  # [batch, pos, d_mlp]
        self.hook_post = HookPoint()  # [batch, pos, d_mlp]

    def forward(self, resid: torch.Tensor) -> torch.Tensor:
        pre = self.hook_pre(resid @ self.W_in + self.b_in)  # [batch, pos, d_mlp]
        post = self.hook_post(self.act_fn(pre))
        return post @ self.W_out + self.b_out  # [batch, pos, d_model]


class TransformerBlock(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.hook_resid_pre = HookPoint()
        self.attn = Attention(cfg)
        self.hook_attn_out = HookPoint()
        if not cfg.attn_only:
            self.hook_resid_mid = HookPoint()
            self.mlp = MLP(cfg)
            self.hook_mlp_out = HookPoint()
        self.hook_resid_post = HookPoint()

    def forward(
        self, resid: torch.Tensor, final_position_only: bool = False, embedded: EmbeddedTokens | None = None
    ) -> torch.Tensor:
        """resid [batch, pos, d_model] -> [batch, pos, d_model] ([batch, 1, d_model] with
        ``final_position_only``: later positions are not computed past attention).
        ``embedded``: see :meth:`Attention.forward` (ignored if hook_resid_pre has a hook)."""
        if self.hook_resid_pre._hooks:
            embedded = None  # a hook may edit the residual stream: it is no longer the embeddings
        resid = self.hook_resid_pre(resid)
        attn_out = self.hook_attn_out(self.attn(resid, final_position_only, embedded))
        resid = (resid[:, -1:] if final_position_only else resid) + attn_out
        if not self.cfg.attn_only:
            resid = self.hook_resid_mid(resid)
            resid = resid + self.hook_mlp_out(self.mlp(resid))
        return self.hook_resid_post(resid)


class Unembed(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.W_U = nn.Parameter(torch.empty(cfg.d_model, cfg.vocab_out))  # [d_model, d_vocab_out]

    def forward(self, resid: torch.Tensor) -> torch.Tensor:
        return resid @ self.W_U  # [batch, pos, d_vocab_out]


class HookedTransformer(HookedModule):
    """A decoder-only transformer with hook points at every activation of interest.

    ``model(tokens)`` returns logits ``[batch, pos, d_vocab_out]``;
    ``model(tokens, final_position_only=True)`` returns ``[batch, 1, d_vocab_out]`` and skips
    the work that only the other positions' outputs need (the last layer's queries, MLP and
    unembedding at those positions). Training on a loss at the final position uses this.
    """

    def __init__(self, cfg: TransformerConfig, seed: int | None = None) -> None:
        super().__init__()
        if not isinstance(cfg, TransformerConfig):
            raise TypeError(f"cfg must be a TransformerConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.embed = Embed(cfg)
        self.hook_embed = HookPoint()  # [batch, pos, d_model]
        self.pos_embed = PosEmbed(cfg)
        self.hook_pos_embed = HookPoint()  # [batch, pos, d_model]
        self.blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])
        self.unembed = Unembed(cfg)
        self.setup_hook_points()
        self.init_weights(seed)

    @torch.no_grad()
    def init_weights(self, seed: int | None = None) -> None:
        """Gaussian initialisation as in Nanda et al.'s grokking code: std 1/sqrt(d_model) for
        every matrix that reads from the residual stream or writes to it, 1/sqrt(d_vocab) for
        W_U; biases zero. ``seed`` makes it reproducible without touching the global RNG."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        for name, param in self.named_parameters():
            if name.split(".")[-1].startswith("b_"):
                param.zero_()
                continue
            std = 1 / math.sqrt(self.cfg.vocab_out if name == "unembed.W_U" else self.cfg.d_model)
            param.copy_(torch.randn(param.shape, generator=generator) * std)

    @property
    def W_E(self) -> torch.Tensor:
        return self.embed.W_E

    @property
    def W_pos(self) -> torch.Tensor:
        return self.pos_embed.W_pos

    @property
    def W_U(self) -> torch.Tensor:
        return self.unembed.W_U

    def forward(self, tokens: torch.Tensor, final_position_only: bool = False) -> torch.Tensor:
        self._check_tokens(tokens)
        # The first layer reads the embeddings themselves, unless a hook may have edited them.
        embedded = None
        if EmbeddedTokens.pays(tokens, self.cfg) and not (self.hook_embed._hooks or self.hook_pos_embed._hooks):
            embedded = EmbeddedTokens(tokens, self.W_E, self.W_pos)
        if (embedded is not None and final_position_only and self.cfg.n_layers == 1
                and not self.blocks[0].hook_resid_pre._hooks):
            # Its keys and values are looked up, and only the final position goes on past attention:
            # the residual stream is needed there alone.
            final = tokens.shape[1] - 1
            resid = self.embed(tokens[:, final:]) + self.W_pos[final]  # [batch, 1, d_model]
        else:
            resid = self.hook_embed(self.embed(tokens)) + self.hook_pos_embed(self.pos_embed(tokens))
        last = self.cfg.n_layers - 1
        for layer, block in enumerate(self.blocks):
            resid = block(resid, final_position_only=final_position_only and layer == last,
                          embedded=embedded if layer == 0 else None)
        return self.unembed(resid)  # [batch, pos (or 1), d_vocab_out]

    def _check_tokens(self, tokens: torch.Tensor) -> None:
        require_tensor(tokens, "tokens", ndim=2, dtype_kind="int")
        if tokens.shape[1] > self.cfg.n_ctx:
            raise ValueError(
                f"tokens has {tokens.shape[1]} positions but the model's context is "
                f"n_ctx={self.cfg.n_ctx}; expected shape (batch, pos) with pos <= {self.cfg.n_ctx}"
            )
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.cfg.d_vocab):
            raise ValueError(
                f"tokens must be ids in [0, {self.cfg.d_vocab}) (d_vocab={self.cfg.d_vocab}), "
                f"got values from {int(tokens.min())} to {int(tokens.max())}"
            )

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
