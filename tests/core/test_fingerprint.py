"""The fingerprint of a run's code cannot forget a function: every function that training
actually calls lives in a module the fingerprint hashes, and editing any of them changes the key."""

import ast
import sys
from pathlib import Path

import pytest

from interp_course.chapter6_universality.runs import BatchConfig
from interp_course.core import fingerprint
from interp_course.core.fingerprint import COURSE_PACKAGES, modules_behind
from interp_course.core.training import TrainingConfig
from tests.tiny_runs import TINY_GROKKING, TINY_INDUCTION, tiny_sweep

TINY_BATCH = BatchConfig(p=7, seeds=(0, 1), d_model=16, n_heads=2, d_head=8, d_mlp=32,
                         training=TrainingConfig(n_steps=20, lr=1e-2, eval_every=10, checkpoint_every=10))
CONFIGS = {"grokking": TINY_GROKKING.replace(n_steps=20, eval_every=10, checkpoint_every=10, stop_at_test_accuracy=0.99), "induction": TINY_INDUCTION, "toy sweep": tiny_sweep(n_steps=20),
           "stacked grokking": TINY_BATCH}


def course_functions_called_by_training(config) -> dict:
    """{code object: module name} of every course function ``config.train`` calls."""
    by_file = {str(Path(m.__file__).resolve()): name for name, m in list(sys.modules.items())
               if name.split(".")[0] in COURSE_PACKAGES and getattr(m, "__file__", None)}
    called = {}
    config.train(progress=False)  # untraced first: torch's lazy set-up runs here, not under the (slow) trace

    def profile(frame, event, arg):
        if event == "call":
            module = by_file.get(str(Path(frame.f_code.co_filename).resolve()))
            if module:
                called[frame.f_code] = module

    sys.setprofile(profile)
    try:
        config.train(progress=False)
    finally:
        sys.setprofile(None)
    return called


@pytest.fixture(scope="module", params=list(CONFIGS))
def traced(request):
    config = CONFIGS[request.param]
    return config, course_functions_called_by_training(config)


def test_every_function_training_calls_is_in_a_module_the_fingerprint_hashes(traced):
    config, called = traced
    behind = set(modules_behind(type(config).__module__))
    assert {"interp_course.core.training", "interp_course.core.runs"} <= set(called.values()) | behind
    missing = {f"{module}.{code.co_name}" for code, module in called.items() if module not in behind}
    assert not missing, f"training calls {sorted(missing)}, whose modules the fingerprint does not hash"
    assert len(called) >= 5, "the trace must see the course's functions"


def edited_function(source: str, first_line: int) -> str:
    """``source`` (a module) with the function or lambda whose code starts at ``first_line``
    edited: one statement added to a function's body, a lambda's result wrapped."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            starts = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if starts == first_line:
                node.body.append(ast.Expr(ast.Constant("edited")))
                return ast.unparse(ast.fix_missing_locations(tree))
        if isinstance(node, ast.Lambda) and node.lineno == first_line:
            node.body = ast.BoolOp(ast.Or(), [node.body, node.body])
            return ast.unparse(ast.fix_missing_locations(tree))
    raise AssertionError(f"no function starts at line {first_line}")


def test_editing_any_function_training_calls_changes_the_key(traced, monkeypatch):
    """Each function training calls, edited in its module, changes the run's key (both versions
    written out by ast.unparse, so that only the edit differs)."""
    config, called = traced
    real_source = fingerprint.module_source
    functions = {code: module for code, module in called.items()
                 if code.co_name == "<lambda>" or not code.co_name.startswith("<")}  # not <genexpr> and the like
    assert len(functions) >= 5
    for code, module in functions.items():
        for edit in (False, True):
            def source(m, module=module, edit=edit, first_line=code.co_firstlineno):
                text = real_source(m)
                if m.__name__ != module:
                    return text
                return edited_function(text, first_line) if edit else ast.unparse(ast.parse(text))

            monkeypatch.setattr(fingerprint, "module_source", source)
            key = config.cache_key()["code"]
            if edit:
                assert key != unedited, f"editing {module}.{code.co_name} left the key unchanged"
            unedited = key


def test_comments_docstrings_and_blank_lines_do_not_change_the_key(monkeypatch):
    key = TINY_GROKKING.cache_key()
    import interp_course.core.training as training

    real_source = fingerprint.module_source

    def reworded(m):
        text = real_source(m)
        if m is not training:
            return text
        text = text.replace('"""The one training loop', '"""The single training loop', 1)
        return text.replace("    flush_denormals()", "\n    flush_denormals()  # a new comment, and a blank line above", 1)

    monkeypatch.setattr(fingerprint, "module_source", reworded)
    assert reworded(training) != real_source(training)
    assert TINY_GROKKING.cache_key() == key


def test_a_module_the_run_does_not_use_is_not_in_its_fingerprint(monkeypatch):
    key = TINY_GROKKING.cache_key()
    import interp_course.chapter1_grokking.plots as plots

    real_source = fingerprint.module_source
    monkeypatch.setattr(fingerprint, "module_source",
                        lambda m: real_source(m) + ("\nEDITED = True\n" if m is plots else ""))
    assert TINY_GROKKING.cache_key() == key
