"""Argument checks shared by the course's functions.

Each raises ``ValueError`` or ``TypeError`` with a message that names the argument and says
what was expected, so a learner who passes the wrong thing learns what to pass instead.

The reference solutions do not call them in their bodies: :func:`arguments` states each
argument's contract once, in a decorator (``@arguments(p=prime, seed=integer())``), so that
the body is the algorithm a learner would write, and the errors stay the ones below.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Callable, Sequence

import torch


def is_prime(n: int) -> bool:
    """Whether ``n`` is a prime number (trial division; fine for the small p of this course)."""
    if n < 2:
        return False
    return all(n % d for d in range(2, math.isqrt(n) + 1))


def require_int(value, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an int, or a clear error if it is not a whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point()
    ):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def require_prime(p, name: str = "p") -> int:
    """``p`` as an int, or a clear error if it is not a prime."""
    p = require_int(p, name, minimum=2)
    if not is_prime(p):
        raise ValueError(f"{name} must be a prime number (modular arithmetic mod {name}), got {p}")
    return p


def require_odd(p, name: str = "p") -> int:
    """``p`` as an int >= 3, or a clear error if it is not odd (the Fourier basis pairs cos and sin)."""
    p = require_int(p, name, minimum=3)
    if p % 2 == 0:
        raise ValueError(f"{name} must be odd (the Fourier basis here pairs cos and sin), got {p}")
    return p


def require_frequencies(frequencies, p: int, name: str = "frequencies", *, allow_empty: bool = False) -> list[int]:
    """``frequencies`` as a list of distinct ints in 1..(p-1)/2, non-empty unless
    ``allow_empty``, or a clear error."""
    if isinstance(frequencies, (str, bytes)) or not hasattr(frequencies, "__iter__"):
        raise TypeError(f"{name} must be a list of integers, got {type(frequencies).__name__} {frequencies!r}")
    frequencies = [require_int(k, f"{name}[{i}]") for i, k in enumerate(frequencies)]
    top = (p - 1) // 2
    if not frequencies and not allow_empty:
        raise ValueError(f"{name} must name at least one frequency (in 1..{top} for p = {p}), got []")
    if any(not 1 <= k <= top for k in frequencies):
        raise ValueError(f"{name} must lie in 1..{top} for p = {p}, got {frequencies}")
    if len(set(frequencies)) != len(frequencies):
        raise ValueError(f"{name} must not repeat a frequency (each is counted once), got {frequencies}")
    return frequencies


def require_frequency(frequency, p: int, name: str = "frequency") -> int:
    """``frequency`` as an int in 1..(p-1)/2, or a clear error."""
    frequency = require_int(frequency, name)
    top = (p - 1) // 2
    if not 1 <= frequency <= top:
        raise ValueError(f"{name} must be in 1..{top} for p = {p}, got {frequency}")
    return frequency


def require_index(value, name: str, size: int, what: str) -> int:
    """``value`` as an int in 0..size-1, or a clear error: a negative index is refused, not
    counted from the end as Python would. ``what`` names the things indexed, e.g. "heads"."""
    value = require_int(value, name)
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in 0..{size - 1} (there are {size} {what}), got {value}")
    return value


def require_number(value, name: str, *, low: float | None = None, high: float | None = None,
                   low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float in the interval given, or a clear error (``TypeError`` for
    something that is not a number, e.g. the string ``'0.9'``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{left}, {right}{')' if high_open or high is None else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return float(value)


MAX_TENSOR_VALUES = 200_000_000  # 0.8 GB of float32: more than any exercise of the course needs


def require_fits(shape: Sequence[int], name: str) -> None:
    """A clear error, before anything is allocated, if a tensor of ``shape`` would hold more
    than :data:`MAX_TENSOR_VALUES` values (a typo such as ``10**9`` that would exhaust memory)."""
    n_values = math.prod(shape)
    if n_values > MAX_TENSOR_VALUES:
        raise ValueError(
            f"{name} would make a tensor of shape {tuple(shape)}: {n_values:,} values, "
            f"{4 * n_values / 1e9:.3g} GB as float32; the course never needs more than "
            f"{MAX_TENSOR_VALUES:,}. Use a smaller size."
        )


def require_same_dtype(tensors: dict[str, torch.Tensor]) -> None:
    """A clear error if the named tensors do not all have the same dtype."""
    dtypes = {name: t.dtype for name, t in tensors.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} is {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{' and '.join(dtypes)} must have the same dtype: {listed}")


def require_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """A clear error if ``x`` holds NaN or inf."""
    if (x.is_floating_point() or x.is_complex()) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or inf; it must be finite")
    return x


def require_fraction(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, 1), got {type(value).__name__} {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


def require_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float > 0 (or >= 0 with ``allow_zero``), or a clear error."""
    value = require_number(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return float(value)


def require_tensor(
    x,
    name: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    dtype_kind: str | None = None,
    non_empty: bool = False,
) -> torch.Tensor:
    """Check that ``x`` is a tensor of the expected rank, shape and kind of dtype.

    ``shape`` may hold ``None`` for a dimension of any size; ``dtype_kind`` is ``"int"`` or
    ``"float"``; ``non_empty``: no dimension may be 0 (an empty batch gives NaN means).
    Shapes in messages are written as in the docstrings, e.g. ``(batch, 3)``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and x.ndim != ndim:
        expected = f"shape {shape_text(shape)}" if shape is not None else f"{ndim} dimensions"
        raise ValueError(f"{name} must have {expected}, got shape {tuple(x.shape)}")
    if shape is not None:
        for got, want in zip(x.shape, shape):
            if want is not None and got != want:
                raise ValueError(
                    f"{name} must have shape {shape_text(shape)}, got {tuple(x.shape)}"
                )
    if dtype_kind == "int" and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must hold integers (e.g. torch.long), got {x.dtype}")
    if dtype_kind == "float" and not x.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got {x.dtype}")
    if non_empty and x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); it must hold at least one entry in each dimension")
    return x


def shape_text(shape: Sequence[int | None]) -> str:
    """(3, None) -> "(3, *)": a shape as errors show it (None: any size)."""
    parts = ["*" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


# --- contracts: the checks of a function's arguments, stated once at its boundary ------------
#
#     @arguments(logits=tensor("batch pos d_vocab_out", float, non_empty=True),
#                labels=tensor("batch", int))
#     def final_position_loss(logits, labels):
#         ...                                   # the algorithm only
#
# The body stays what a learner would write; the decorator checks each argument with the
# ``require_*`` functions above (so the errors are theirs) and hands the body the checked
# values (``integer()`` turns a 0-d integer tensor into an int, as ``require_int`` does).


class Contract:
    """What one argument must be: ``check(value, name, call)`` returns the value the function's
    body gets, or raises an error that names the argument. Made by :func:`integer`,
    :func:`tensor`, ... and used with :func:`arguments`."""

    def __init__(self, check, text: str):
        self._check = check
        self.text = text

    def check(self, value, name: str, call: "_Call"):
        return self._check(value, name, call)

    def __repr__(self) -> str:
        return self.text


class _Call:
    """What the contracts of one call share: the arguments (checked ones already replaced by
    what their contract returned) and the sizes of the named tensor dimensions seen so far."""

    def __init__(self, arguments: dict):
        self.arguments = arguments
        self.sizes: dict[str, int] = {}


def integer(minimum: int | None = None) -> Contract:
    """An int (or a 0-d integer tensor, passed on as an int), at least ``minimum`` if given."""
    return Contract(lambda value, name, call: require_int(value, name, minimum=minimum),
                    "integer()" if minimum is None else f"integer(minimum={minimum})")


def number(low: float | None = None, high: float | None = None, *, low_open: bool = False,
           high_open: bool = False) -> Contract:
    """A finite number in the interval given (see :func:`require_number`), passed on as a float."""
    return Contract(
        lambda value, name, call: require_number(value, name, low=low, high=high, low_open=low_open, high_open=high_open),
        f"number(low={low}, high={high}, low_open={low_open}, high_open={high_open})",
    )


def index(size: int, what: str) -> Contract:
    """An int in 0..size-1 indexing ``size`` things called ``what`` (e.g. "heads")."""
    return Contract(lambda value, name, call: require_index(value, name, size, what), f"index({size}, {what!r})")


def frequency_mod(p: int) -> Contract:
    """A frequency k of functions mod ``p``: an int in 1..(p-1)/2."""
    return Contract(lambda value, name, call: require_frequency(value, p, name), f"frequency_mod({p})")


def frequencies_mod(p: int, *, allow_empty: bool = False) -> Contract:
    """Distinct frequencies of functions mod ``p``, passed on as a list of ints."""
    return Contract(lambda value, name, call: require_frequencies(value, p, name, allow_empty=allow_empty),
                    f"frequencies_mod({p})")


prime = Contract(lambda value, name, call: require_prime(value, name), "prime")
"""A prime number, passed on as an int."""

odd = Contract(lambda value, name, call: require_odd(value, name), "odd")
"""An odd int >= 3."""

fraction = Contract(lambda value, name, call: require_fraction(value, name), "fraction")
"""A number strictly between 0 and 1, passed on as a float."""

positive = Contract(lambda value, name, call: require_positive_float(value, name), "positive")
"""A finite number > 0, passed on as a float."""


def tensor(
    dims: str | Sequence[str | int | None] | None = None,
    dtype: type | None = None,
    *,
    non_empty: bool = False,
    finite: bool = False,
    probabilities: bool = False,
    same_dtype_as: str | Sequence[str] = (),
    trainable: bool = False,
) -> Contract:
    """A tensor, with the dimensions the docstring gives it.

    Args:
        dims: its dimensions, named as in the docstring, e.g. ``"batch pos d_vocab_out"``
            (or a tuple of names, sizes and None). A name another argument of the same call
            already gave a size to must have that size; the first to use a name sets it. Until
            a name has a size, only the number of dimensions is checked. A name repeated within
            one tensor asks for dimensions of one size: ``"p p"`` is a square matrix. ``*`` (or
            None in a tuple): a dimension of any size. ``dims=None``: any shape.
        dtype: ``int`` (any integer dtype) or ``float`` (any floating-point dtype); None: any.
        non_empty: no dimension may be 0.
        finite: no NaN or inf.
        probabilities: every entry a probability, in [0, 1] (each on its own: the entries need
            not sum to 1). NaN is refused.
        same_dtype_as: the names of earlier arguments that must have the same dtype.
        trainable: a leaf tensor with ``requires_grad=True`` (weights a function trains).
    """
    if isinstance(dims, str):
        dims = tuple(None if d == "*" else d for d in dims.split())
    names = [d for d in dims or () if isinstance(d, str)]
    repeated = {d for d in names if names.count(d) > 1}
    kinds = {None: None, int: "int", float: "float"}
    if dtype not in kinds:
        raise ValueError(f"tensor(dtype=...) must be int, float or None, got {dtype!r}")
    others = (same_dtype_as,) if isinstance(same_dtype_as, str) else tuple(same_dtype_as)

    def check(value, name: str, call: _Call) -> torch.Tensor:
        if dims is None:
            require_tensor(value, name, dtype_kind=kinds[dtype], non_empty=non_empty)
        else:
            shape = [call.sizes.get(d) if isinstance(d, str) else d for d in dims]
            if all(size is None for size in shape):
                require_tensor(value, name, ndim=len(shape), dtype_kind=kinds[dtype], non_empty=non_empty)
            else:
                require_tensor(value, name, shape=shape, dtype_kind=kinds[dtype], non_empty=non_empty)
            for d, size in zip(dims, value.shape):
                if isinstance(d, str):
                    call.sizes.setdefault(d, size)
            if repeated:  # a name repeated within this tensor: every dimension of that name has the first's size
                require_tensor(value, name, shape=[call.sizes.get(d) if isinstance(d, str) else d for d in dims])
        if others:
            require_same_dtype({**{other: call.arguments[other] for other in others}, name: value})
        if finite:
            require_finite(value, name)
        if probabilities and not bool(((value >= 0) & (value <= 1)).all()):
            raise ValueError(f"{name} must hold probabilities, in [0, 1]")
        if trainable and not (value.is_leaf and value.requires_grad):
            raise ValueError(f"{name} must be a leaf tensor with requires_grad=True (the weights to train)")
        return value

    return Contract(check, f"tensor({dims!r}, {getattr(dtype, '__name__', None)})")


def attention_pattern(min_positions: int = 1) -> Contract:
    """An attention pattern [batch, head, query_pos, key_pos] float, non-empty, with a query
    position for each key position (square in its last two dimensions), over at least
    ``min_positions`` positions."""
    shape = tensor("batch head query_pos key_pos", float, non_empty=True)

    def check(value, name: str, call: _Call) -> torch.Tensor:
        shape.check(value, name, call)
        if value.shape[-2] != value.shape[-1]:
            raise ValueError(
                f"{name} must be square in its last two dimensions [batch, head, query_pos, key_pos], "
                f"got shape {tuple(value.shape)}"
            )
        if value.shape[-1] < min_positions:
            raise ValueError(f"{name} must cover at least {min_positions} positions, got shape {tuple(value.shape)}")
        return value

    return Contract(check, f"attention_pattern(min_positions={min_positions})")


def require_state_dicts(state_dicts, name: str = "state_dicts") -> list:
    """``state_dicts`` unchanged, or a clear error unless it is a non-empty list (or tuple) of
    state dicts that all have the weights of the first, in its order and with its shapes."""
    if not isinstance(state_dicts, (list, tuple)) or not state_dicts:
        raise ValueError(f"{name} must be a non-empty list of state dicts, got {state_dicts!r}")
    names = list(state_dicts[0])
    for k, state in enumerate(state_dicts):
        if not isinstance(state, dict) or list(state) != names:
            raise ValueError(f"{name}[{k}] must have the weights {names} of {name}[0]")
        for weight in names:
            require_tensor(state[weight], f"{name}[{k}][{weight!r}]", shape=tuple(state_dicts[0][weight].shape))
    return state_dicts


matching_state_dicts = Contract(lambda value, name, call: require_state_dicts(value, name), "matching_state_dicts")
"""A non-empty list of state dicts with the same weight names (in the same order) and shapes."""


# --- contracts about a model: a function of the argument ``model`` (a HookedTransformer of
# ``interp_course.core.transformer``), e.g. ``@arguments(layer=layer_index, head=head_index)``.


def require_tokens(tokens, name: str = "tokens", *, d_vocab: int, n_ctx: int) -> torch.Tensor:
    """``tokens`` unchanged, or a clear error unless it is [batch, pos] integer ids in
    [0, d_vocab) with pos <= n_ctx: what a model with that vocabulary and context reads."""
    require_tensor(tokens, name, ndim=2, dtype_kind="int")
    if tokens.shape[1] > n_ctx:
        raise ValueError(
            f"{name} has {tokens.shape[1]} positions but the model's context is "
            f"n_ctx={n_ctx}; expected shape (batch, pos) with pos <= {n_ctx}"
        )
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= d_vocab):
        raise ValueError(
            f"{name} must be ids in [0, {d_vocab}) (d_vocab={d_vocab}), "
            f"got values from {int(tokens.min())} to {int(tokens.max())}"
        )
    return tokens


def tokens_for_model(model) -> Contract:
    """Tokens [batch, pos] that ``model`` reads: ids in its vocabulary, no longer than its context."""
    return Contract(
        lambda value, name, call: require_tokens(value, name, d_vocab=model.cfg.d_vocab, n_ctx=model.cfg.n_ctx),
        "tokens_for_model(model)",
    )


def layer_index(model) -> Contract:
    """A layer of ``model``: an index into its blocks (a negative one is refused)."""
    return index(len(model.blocks), "layers")


def head_index(model, layer: int) -> Contract:
    """A head of ``model``'s ``layer``; ``layer`` itself is checked first (as ``layer``), so
    that it may be an argument with no contract or a number, e.g. ``lambda model: head_index(model, 0)``."""
    layer = require_index(layer, "layer", len(model.blocks), "layers")
    return index(model.blocks[layer].attn.W_Q.shape[0], "heads")


# --- checks of several arguments together, for ``where=`` --------------------------------------


def fits_in_memory(shape: Callable) -> Callable[..., None]:
    """A ``where`` check that what a function makes is not too large to allocate.

    ``shape`` is a function of arguments, by name, giving the shape of the tensor the function
    makes, e.g. ``fits_in_memory(lambda batch_size, seq_len: (batch_size, 2 * seq_len))``. The
    error (:func:`require_fits`) names the integer arguments among them and their values.
    """
    names = _parameters(shape)

    def check(*values) -> None:
        given = " and ".join(f"{n} = {v}" for n, v in zip(names, values) if isinstance(v, int))
        require_fits(shape(*values), given)

    check.__signature__ = inspect.signature(shape)
    check.__name__ = check.__qualname__ = "fits_in_memory"
    return check


def _parameters(fn) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)


def arguments(where=(), **contracts):
    """Check a function's arguments before its body runs.

    Each keyword names an argument and its contract: a :class:`Contract` (``integer()``,
    ``tensor("batch pos", int)``, ``prime``, ...), or a function of earlier arguments that
    returns one, e.g. ``frequency=lambda p: frequency_mod(p)`` or ``head=head_index`` (a
    function of ``model`` and ``layer``). Contracts are checked in the order given; the body
    gets the values they return. A dependent contract may read only arguments whose contracts
    come before it, or that have none: it gets them checked (a ``TypeError`` at decoration
    otherwise, not an ``AttributeError`` from an unchecked value at the learner's call).

    ``where``: a function (or a tuple of them) of arguments, by name, that raises when they do
    not go together, e.g. a split whose training set would be empty; these run after the
    contracts and may read any argument. A check given by its name (a string) is looked up in
    the function's module at the first call, so that a check particular to one function may be
    defined after it (e.g. below the answers of a solutions module).

    The decorated function keeps its name, docstring and signature (``__wrapped__`` is the
    plain function); ``.contracts`` and ``.where`` hold what it checks.
    """
    checks = tuple(where) if isinstance(where, (tuple, list)) else (where,)

    def decorate(fn):
        signature = inspect.signature(fn)
        for name in contracts:
            if name not in signature.parameters:
                raise TypeError(f"@arguments names {name!r}, which is not an argument of {fn.__name__}")
        dependent = {name: _parameters(c) for name, c in contracts.items() if not isinstance(c, Contract)}
        order = list(contracts)
        for name, uses in dependent.items():
            _require_arguments_of(fn, signature, uses)
            for other in uses:
                if other == name:
                    raise TypeError(
                        f"@arguments of {fn.__name__}: the contract of {name!r} reads {name!r} itself; a contract "
                        "that depends on arguments is a function of earlier ones"
                    )
                if other in contracts and order.index(other) > order.index(name):
                    raise TypeError(
                        f"@arguments of {fn.__name__}: the contract of {name!r} reads {other!r}, whose own contract "
                        f"comes after it; list {other}=... before {name}=..."
                    )
        for check in checks:
            if not isinstance(check, str):
                _require_arguments_of(fn, signature, _parameters(check))
        resolved: list = []

        def where_checks() -> list:
            """(check, the names of the arguments it reads) for each ``where`` check, in order; the
            checks given by name are looked up in ``fn``'s module at the first call."""
            if len(resolved) < len(checks):
                found = []
                for check in checks:
                    if isinstance(check, str):
                        name, check = check, fn.__globals__.get(check)
                        if not callable(check):
                            raise NameError(
                                f"@arguments of {fn.__name__}: where={name!r} names no function of {fn.__module__}")
                        _require_arguments_of(fn, signature, _parameters(check))
                    found.append((check, _parameters(check)))
                resolved[:] = found
            return resolved

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return fn(*args, **kwargs)  # Python's own message for a call with missing or extra arguments
            bound.apply_defaults()
            given = bound.arguments
            call = _Call(given)
            for name, contract in contracts.items():
                if name in dependent:
                    contract = contract(*(given[other] for other in dependent[name]))
                given[name] = contract.check(given[name], name, call)
            for check, uses in where_checks():
                check(*(given[name] for name in uses))
            return fn(*bound.args, **bound.kwargs)

        checked.contracts = dict(contracts)
        checked.where = checks
        return checked

    return decorate


def _require_arguments_of(fn, signature: inspect.Signature, uses: Sequence[str]) -> None:
    """A ``TypeError`` if a contract or check of ``fn`` reads a name that is not an argument of it."""
    for name in uses:
        if name not in signature.parameters:
            raise TypeError(f"a contract of {fn.__name__} reads {name!r}, which is not an argument of it")
