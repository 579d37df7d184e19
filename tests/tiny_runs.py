"""Small run configs that train in about a second, shared by the tests."""

from interp_course.chapter1_grokking import runs as grokking
from interp_course.chapter4_superposition import runs as superposition
from interp_course.chapter5_induction.runs import InductionConfig
from interp_course.core.training import TrainingConfig

# p = 13 with a small model.
TINY_GROKKING = grokking.GrokkingConfig(
    p=13,
    train_fraction=0.6,
    d_model=32,
    n_heads=2,
    d_head=16,
    d_mlp=64,
    training=TrainingConfig(n_steps=300, lr=1e-2, weight_decay=0.1, eval_every=20, checkpoint_every=100),
)

TINY_INDUCTION = InductionConfig(n_steps=30, eval_every=10, checkpoint_every=10, batch_size=8)


def tiny_sweep(**changes):
    """5 features into 2 dimensions at two sparsities."""
    base = dict(n_steps=300, batch_size=256, lr=2e-2)
    base.update(changes)
    return superposition.sparsity_sweep(5, 2, (0.0, 0.95), importance_decay=0.9, **base)


TINY_CONFIGS = {"grokking": TINY_GROKKING, "induction": TINY_INDUCTION, "toy-superposition": tiny_sweep()}
