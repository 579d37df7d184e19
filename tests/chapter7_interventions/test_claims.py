"""Chapter 7's claims hold on chapter 5's cached induction model, measured with the reference
solutions as the notebook measures them, and fail on measurements they do not describe."""

import pytest
import torch

from interp_course.chapter5_induction import runs as induction
from interp_course.chapter7_interventions import analysis, claims
from solutions import chapter7_interventions as S7
from tests.course_runs import load

pytestmark = pytest.mark.course_runs
SEQ_LEN = 24  # the notebook's: 200 sequences, seed 1


@pytest.fixture(scope="module")
def measured():
    run = load(induction.load_or_train, induction.CANONICAL)
    model = run.model
    clean, corrupted, source = analysis.repeated_and_corrupted(200, SEQ_LEN, run.config.d_vocab, seed=1)
    prev_head, induction_heads = analysis.circuit_heads(model, clean, SEQ_LEN)
    other_head = 1 - prev_head
    setup = analysis.patching_setup(model, clean, corrupted, SEQ_LEN)
    with torch.no_grad():
        _, source_cache = model.run_with_cache(source)
    return dict(run=run, model=model, clean=clean, source=source, setup=setup, prev=prev_head,
                induction=induction_heads, other=other_head, source_cache=source_cache)


def test_the_circuit_is_found_from_the_scores(measured):
    assert measured["induction"] and len(measured["induction"]) == 2


def test_direct_logit_attribution(measured):
    run, clean = measured["run"], measured["clean"]
    steps = (500, run.checkpoint_steps[-1])
    before, _ = analysis.logit_attribution_on_second_copy(run.model_at(steps[0]), clean, SEQ_LEN, S7.head_logit_attribution)
    after, embedded = analysis.logit_attribution_on_second_copy(run.model, clean, SEQ_LEN, S7.head_logit_attribution)
    claims.direct_logit_attribution(before, after, embedded, measured["induction"], steps).assert_hold()
    assert len(claims.direct_logit_attribution(after, before, embedded, measured["induction"], steps).failed) == 2


def test_ablations(measured):
    losses = analysis.ablation_losses(measured["model"], measured["clean"], measured["source"], SEQ_LEN)
    clean_loss = measured["setup"].clean_loss
    claims.ablations(losses, clean_loss, measured["prev"], measured["other"]).assert_hold()
    assert len(claims.ablations(losses, clean_loss, measured["other"], measured["prev"]).failed) == 2


def test_head_patching(measured):
    setup = measured["setup"]
    denoised = analysis.patch_every_head(setup, S7.patch_head, S7.normalised_metric)
    circuit = [(0, measured["prev"])] + [(1, h) for h in measured["induction"]]
    together = analysis.patch_heads_together(setup, S7.normalised_metric, circuit)
    claims.head_patching(denoised, together, measured["prev"], measured["induction"]).assert_hold()
    # The other layer-0 head named as the circuit's previous-token head: it restores too little.
    alone = analysis.patch_heads_together(setup, S7.normalised_metric, [(0, measured["other"])])
    assert len(claims.head_patching(denoised, alone, measured["other"], []).failed) >= 2


def test_the_key_path_and_the_other_layer0_head(measured):
    setup, prev, other = measured["setup"], measured["prev"], measured["other"]
    source_z = measured["source_cache"]["z", 0]
    prev_paths = analysis.path_effects(setup, S7.path_patch, S7.normalised_metric, prev, source_z[:, :, prev])
    claims.key_path(prev_paths).assert_hold()
    other_z = setup.clean_cache["z", 0][:, :, other]
    other_paths = analysis.path_effects(setup, S7.path_patch, S7.normalised_metric, other, source_z[:, :, other])
    other_mean = analysis.path_effects(setup, S7.path_patch, S7.normalised_metric, other,
                                       other_z.mean(dim=0, keepdim=True).expand_as(other_z))
    claims.current_token_head(other_paths, other_mean).assert_hold()
    assert claims.key_path(other_paths).failed  # the other head's effect is not mostly through the keys
    assert len(claims.current_token_head(prev_paths, prev_paths).failed) == 2  # the previous-token head: keys alone


def test_attribution_patching(measured):
    setup, prev = measured["setup"], measured["prev"]
    exact = analysis.patch_every_head(setup, S7.patch_head, S7.normalised_metric, by_position=True)
    gradients = analysis.metric_gradient(setup, S7.normalised_metric)
    estimate = torch.stack([S7.attribution_patch(setup.clean_cache["z", l], setup.corrupted_cache["z", l], gradients[l]).T
                            for l in range(2)]).double()
    layer1, previous = analysis.correlation(estimate[1], exact[1]), analysis.correlation(estimate[0, prev], exact[0, prev])
    attention = analysis.induction_attention(setup, prev, measured["induction"])
    claims.attribution_patching(layer1, previous, attention).assert_hold()
    assert len(claims.attribution_patching(previous, layer1, attention[::-1]).failed) == 3


def test_probes_and_what_is_used(measured):
    model, run, prev = measured["model"], measured["run"], measured["prev"]
    tokens = torch.randint(0, 256, (800, 48), generator=torch.Generator().manual_seed(3))
    settings = {"before layer 0": (model, "blocks.0.hook_resid_pre", ()),
                "after layer 0": (model, "blocks.0.hook_resid_post", ()),
                "previous-token head ablated": (model, "blocks.0.hook_resid_post",
                                                [("blocks.0.attn.hook_z", analysis.zero_head(prev))]),
                "untrained": (run.model_at(0), "blocks.0.hook_resid_post", ()),
                "after layer 1": (model, "blocks.1.hook_resid_post", ())}
    accuracy = {}
    for name, (probed, site, hooks) in settings.items():
        features, labels = analysis.previous_token_rows(analysis.residual_after(probed, tokens, site, hooks), tokens)
        accuracy[name] = S7.probe_accuracy(features, labels, 256, len(labels) * 3 // 4)
    claims.probes(accuracy, 256).assert_hold()
    swapped = dict(accuracy, **{"after layer 0": accuracy["before layer 0"], "before layer 0": accuracy["after layer 0"]})
    assert len(claims.probes(swapped, 256).failed) == 2
    setup = measured["setup"]
    direct = analysis.path_effects(setup, S7.path_patch, S7.normalised_metric, prev,
                                   measured["source_cache"]["z", 0][:, :, prev])["direct"]
    claims.decodable_not_used(accuracy["after layer 1"], direct).assert_hold()


def test_completeness(measured):
    model, clean, source, setup = measured["model"], measured["clean"], measured["source"], measured["setup"]
    loss = {name: setup.loss(S7.resample_ablate_except(model, clean, source, keep)) for name, keep in
            {"none": [], "circuit": [(0, measured["prev"])] + [(1, h) for h in measured["induction"]],
             "induction": [(1, h) for h in measured["induction"]]}.items()}
    circuit = analysis.recovered(loss["circuit"], setup.clean_loss, loss["none"])
    induction_only = analysis.recovered(loss["induction"], setup.clean_loss, loss["none"])
    claims.completeness(circuit, induction_only).assert_hold()
    assert len(claims.completeness(1.0, circuit).failed) == 2
