import math
import re

import pytest

from ganlab.config import diff, with_overrides
from ganlab.generator_file import CHECKPOINT_DIR
from ganlab.lessons import experiments
from ganlab.lessons.catalogue import LESSONS
from ganlab.lessons.model import PAGES, Lesson
from ganlab.viz.lesson_figures import FIGURES

links_module = pytest.importorskip("ganlab.links")

ORDER = ("adversarial-idea", "minimax-and-optimal-d", "maximum-likelihood", "saturation", "mode-collapse",
         "disjoint-supports", "wgan", "game-dynamics", "training-tricks", "dcgan-latent", "evaluating-gans")
BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}
ALL_LINKS = [(lesson.slug, i, link) for lesson in LESSONS for i, link in enumerate(lesson.links)]


def test_the_eleven_lessons_come_first_in_teaching_order():
    assert len(ORDER) == 11
    assert len(LESSONS) >= len(ORDER)
    assert tuple(lesson.slug for lesson in LESSONS[:len(ORDER)]) == ORDER
    assert all(isinstance(lesson, Lesson) for lesson in LESSONS)


def test_slugs_and_titles_are_unique():
    assert len({lesson.slug for lesson in LESSONS}) == len(LESSONS)
    assert len({lesson.title for lesson in LESSONS}) == len(LESSONS)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson.slug) for lesson in LESSONS)


def test_every_lesson_has_a_figure_and_every_figure_a_lesson():
    assert set(FIGURES) == {lesson.slug for lesson in LESSONS}


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_question_is_complete(lesson):
    question = lesson.question
    assert len(question.options) >= 2
    assert len(set(question.options)) == len(question.options)
    assert question.prompt.strip() and question.run_label.strip()
    assert question.experiment.__module__ == experiments.__name__
    assert lesson.takeaway.strip()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_body_has_two_or_three_paragraphs_and_balanced_math(lesson):
    paragraphs = [p for p in lesson.body.strip().split("\n\n") if p.strip()]
    assert 2 <= len(paragraphs) <= 4
    assert lesson.body.count("$$") % 2 == 0
    assert lesson.body.replace("$$", "").count("$") % 2 == 0
    assert "\\\\" not in lesson.body.replace(r"\\ ", "")  # raw strings: no doubled backslashes


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_display_math_is_fenced(lesson):
    # Streamlit renders $$ ... $$ as a display only when each $$ stands on its own line
    for line in lesson.body.splitlines():
        assert "$$" not in line or line.strip() == "$$", line


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_display_math_is_not_broken_by_markdown_blocks(lesson):
    # inside $$ ... $$ a line starting with "+ ", "- ", "> " or "1. " would start a list or a quote
    in_math = False
    for line in lesson.body.splitlines():
        if in_math:
            assert not re.match(r"\s*([-+*>#]|\d+[.)])(\s|$)", line), line
        in_math ^= line.count("$$") % 2 == 1


def test_jsd_convention_is_stated_where_jsd_values_are_shown():
    body = BY_SLUG["minimax-and-optimal-d"].body
    assert r"0 \le \mathrm{JSD} \le \log 2" in body
    assert r"2\,\mathrm{JSD}(p_{data}\,\|\,p_g) - \log 4" in body
    assert "nats" in body


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.slug)
def test_slider_default_is_on_its_grid(lesson):
    if lesson.slider is None:
        return
    s = lesson.slider
    assert s.low < s.high and s.step > 0
    assert s.low <= s.default <= s.high
    assert (s.default - s.low) / s.step == pytest.approx(round((s.default - s.low) / s.step))
    assert (s.high - s.low) / s.step == pytest.approx(round((s.high - s.low) / s.step))


def test_every_lesson_links_somewhere():
    assert all(lesson.links for lesson in LESSONS)
    assert all(link.page in PAGES for _, _, link in ALL_LINKS)
    # the Lessons page writes "Open in <page>: <label>", so a label does not name the page again
    assert not [link.label for _, _, link in ALL_LINKS if link.label.lower().startswith(("open", "start"))]
    assert all(len({link.label for link in lesson.links}) == len(lesson.links) for lesson in LESSONS)


@pytest.mark.parametrize("slug,index,link", ALL_LINKS, ids=[f"{s}-{i}" for s, i, _ in ALL_LINKS])
def test_link_params_are_valid_for_their_page(slug, index, link):
    params = dict(link.params)
    assert len(params) == len(link.params)  # no parameter given twice
    values = links_module.parse_link(link.page, params)
    if link.page == "toy-lab" and "vs" in values:
        second = with_overrides(values["config"], values["vs"])
        assert diff(values["config"], second)  # the compare run differs from the main run
    if link.page == "latent-explorer":
        assert (CHECKPOINT_DIR / f"{params['checkpoint']}.pt").is_file()


def test_toy_lab_links_name_their_data():
    for _, _, link in ALL_LINKS:
        if link.page == "toy-lab":
            assert "data.name" in dict(link.params)


def _toy(link):
    values = links_module.parse_link(link.page, dict(link.params))
    second = with_overrides(values["config"], values["vs"]) if "vs" in values else None
    return values, second


def test_mode_collapse_opens_ring8_and_grid25_with_the_plain_loss_playing():
    links = [_toy(link)[0] for link in BY_SLUG["mode-collapse"].links if "vs" not in dict(link.params)]
    datasets = {v["config"].data.name for v in links}
    assert {"ring8", "grid25"} <= datasets
    for v in links:
        assert v["config"].loss.name == "nonsaturating"
        assert v["toy_autoplay"] is True


def test_minimax_lesson_shows_the_optimal_discriminator_layer():
    layers = [_toy(link)[0].get("toy_layers", []) for link in BY_SLUG["minimax-and-optimal-d"].links
              if link.page == "toy-lab"]
    assert any("d_star" in chosen for chosen in layers)


def test_saturation_ab_compares_the_two_generator_losses():
    (main, second), = [_toy(link) for link in BY_SLUG["saturation"].links if link.page == "toy-lab"]
    assert (main["config"].loss.name, second.loss.name) == ("minimax", "nonsaturating")


# every trick of the training-tricks lesson: the options that switch it on
TRICK_PATHS = {
    "feature matching": {"tricks.feature_matching"},
    "minibatch discrimination": {"tricks.minibatch_discrimination"},
    "historical averaging": {"tricks.historical_averaging"},
    "unrolled": {"tricks.unrolled_steps"},
    "label smoothing": {"reg.label-smoothing"},
    "instance noise": {"reg.instance-noise"},
    "d steps": {"d_steps"},
    "ttur": {"g_opt.lr", "d_opt.lr"},
    "ema": {"ema"},
    "spectral norm": {"d.spectral_norm"},
}


def test_training_tricks_has_one_with_versus_without_link_per_trick():
    links = BY_SLUG["training-tricks"].links
    assert len(links) == len(TRICK_PATHS)
    changed = []
    for link in links:
        assert link.page == "toy-lab"
        values, second = _toy(link)
        assert second is not None and values["toy_autoplay"] is True
        changed.append(set(diff(values["config"], second)))
    assert sorted(map(sorted, changed)) == sorted(map(sorted, TRICK_PATHS.values()))


# the value of each option when its trick is off (regularisers that are off are absent: None)
OFF = {"tricks.feature_matching": False, "tricks.minibatch_discrimination": False,
       "tricks.historical_averaging": 0.0, "tricks.unrolled_steps": 0, "reg.label-smoothing": None,
       "reg.instance-noise": None, "d_steps": 1, "ema": 0.0, "d.spectral_norm": False}


def test_trick_runs_have_the_trick_on_in_the_main_run_and_off_in_the_compare_run():
    for link in BY_SLUG["training-tricks"].links:
        values, second = _toy(link)
        main = values["config"]
        for path, (with_trick, without) in diff(main, second).items():
            if path == "g_opt.lr":
                assert with_trick < without  # TTUR: G slower than D
            elif path == "d_opt.lr":
                assert with_trick > main.g_opt.lr
            else:
                assert without == OFF[path] and with_trick != OFF[path], path


def test_wgan_ab_pairs_weight_clipping_with_the_gradient_penalty():
    (main, second), = [_toy(link) for link in BY_SLUG["wgan"].links if link.page == "toy-lab"]
    assert (main["config"].loss.name, main["config"].loss.clip) == ("wgan", 0.01)
    assert main["config"].d_opt.name == "rmsprop" and main["config"].d_steps == 5
    assert second.loss.name == "wgan-gp" and second.d_opt.name == "adam" and second.d_opt.beta2 == 0.9


def test_latent_lesson_opens_the_mnist_lab_and_the_latent_explorer():
    pages = {link.page for link in BY_SLUG["dcgan-latent"].links}
    assert {"mnist-lab", "latent-explorer"} <= pages
    checkpoints = {dict(link.params)["checkpoint"] for link in BY_SLUG["dcgan-latent"].links
                   if link.page == "latent-explorer"}
    assert "mnist_dcgan" in checkpoints


def test_dynamics_links_start_where_the_experiment_starts():
    (bilinear, dirac) = BY_SLUG["game-dynamics"].links
    values = links_module.parse_link("dynamics", dict(bilinear.params))
    assert (values["dyn_x0"], values["dyn_y0"], values["dyn_h"], values["dyn_steps"]) == (
        experiments.GAME_START[0], experiments.GAME_START[1], experiments.GAME_STEP, experiments.GAME_STEPS)
    values = links_module.parse_link("dynamics", dict(dirac.params))
    assert values["dyn_dirac_methods"] == ["standard", "r1"] and values["dyn_gamma"] == 1.0


def test_option_counts_match_the_experiments_ranges():
    # the experiments map their measurement onto exactly this many options
    assert len(BY_SLUG["minimax-and-optimal-d"].question.options) == len(experiments.OPTIMAL_D_OPTIONS)
    assert all(len(lesson.question.options) == 3 for lesson in LESSONS[:len(ORDER)])
    assert experiments.OPTIMAL_D_OPTIONS[0] == pytest.approx(-math.log(4))


def test_maximum_likelihood_follows_the_minimax_game_and_precedes_saturation():
    slugs = [lesson.slug for lesson in LESSONS]
    assert slugs.index("maximum-likelihood") == slugs.index("minimax-and-optimal-d") + 1 == 2
    assert slugs.index("saturation") == 3
    assert BY_SLUG["maximum-likelihood"].title == "Maximum likelihood beside the game"


def test_maximum_likelihood_states_both_kls_the_elbo_and_the_change_of_variables():
    body = BY_SLUG["maximum-likelihood"].body
    assert r"\mathrm{KL}(p_{data}\,\|\,p_\theta) = \mathbb{E}_{x \sim p_{data}}" in body  # forward
    assert r"\mathrm{KL}(p_\theta\,\|\,p_{data}) = \mathbb{E}_{x \sim p_\theta}" in body  # reverse
    assert "nats" in body and r"\log(8/k)" in body
    assert (r"\mathrm{ELBO}(x) = \mathbb{E}_{q(z \mid x)}\big[\log p(x \mid z)\big] - "
            r"\mathrm{KL}\big(q(z \mid x)\,\|\,p(z)\big)") in body
    assert r"\le \log p(x)" in body
    assert r"\log p(x) = \log N\big(f(x); 0, I\big) + \log\left|\det \frac{\partial f}{\partial x}\right|" in body


def test_maximum_likelihood_opens_the_families_page_with_its_presets():
    families = pytest.importorskip("ganlab.ui.families_session")
    links = BY_SLUG["maximum-likelihood"].links
    assert {link.page for link in links} == {"gan-vae-flow"}
    presets = [links_module.parse_link("gan-vae-flow", dict(link.params))["fam_preset"] for link in links]
    assert presets == ["gan-dropped-modes", "vae-blur", "flow-bridges"]
    # the first preset is the experiment's set-up, run longer: the minimax GAN on ring8
    dropped = families.PRESETS["gan-dropped-modes"]
    assert dropped.dataset == experiments.FAMILY_DATA
    assert dropped.models["gan"]["loss.name"] == experiments.FAMILY_OPTIONS["gan"]["loss.name"] == "minimax"
    assert dropped.steps >= experiments.FAMILY_STEPS


def test_maximum_likelihood_question_names_the_experiments_budget():
    question = BY_SLUG["maximum-likelihood"].question
    assert f"{experiments.FAMILY_STEPS:,} steps" in question.prompt
    assert f"{experiments.FAMILY_STEPS:,} steps" in question.run_label
    assert experiments.FAMILY_DATA in question.prompt
    assert question.experiment is experiments.maximum_likelihood
