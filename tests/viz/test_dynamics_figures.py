import numpy as np

from ganlab.theory.bilinear import bilinear_field
from ganlab.viz.dynamics import click_grid, phase_figure

BOUNDS = (-3.0, 3.0, -3.0, 3.0)


def field(x, y):
    return bilinear_field(x, y, -1.0, 1.0)


def test_click_grid_is_the_whole_lattice_in_bounds_with_round_coordinates():
    xs, ys = click_grid(BOUNDS, 0.1)
    assert len(xs) == len(ys) == 61 * 61
    assert sorted(set(xs.tolist())) == [round(-3.0 + 0.1 * k, 1) for k in range(61)]
    assert sorted(set(ys.tolist())) == sorted(set(xs.tolist()))
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == BOUNDS
    assert 0.3 in xs.tolist() and -2.3 in xs.tolist()  # not 0.30000000000000004
    xs, ys = click_grid((-2.0, 2.0, -1.0, 1.0), 0.5)
    assert list(zip(xs[:9].tolist(), ys[:9].tolist(), strict=True)) == [
        (-2.0, -1.0), (-1.5, -1.0), (-1.0, -1.0), (-0.5, -1.0), (0.0, -1.0), (0.5, -1.0), (1.0, -1.0),
        (1.5, -1.0), (2.0, -1.0)]
    assert len(xs) == 9 * 5


def test_a_clickable_phase_plot_takes_clicks_only_on_its_lattice():
    paths = {"simultaneous": np.array([[1.0, 0.5], [1.1, 0.3]]),
             "extragradient": np.array([[1.0, 0.5], [0.9, 0.4]])}
    fig = phase_figure(field, BOUNDS, paths, x_title="x", y_title="y", title="Click anywhere to start there",
                       uirevision="t", click_step=0.1)
    hoverable = [t for t in fig.data if t.hoverinfo != "skip"]
    assert [t.name for t in hoverable] == ["click to start here"]
    lattice = hoverable[0]
    assert lattice.mode == "markers" and len(lattice.x) == 61 * 61
    assert lattice.marker.color == "rgba(0,0,0,0)"  # invisible
    assert "click to start here" in lattice.hovertemplate
    # the axes show the bounds exactly, so every visible point of the plane is on the lattice
    assert fig.layout.xaxis.constrain == "domain" and fig.layout.yaxis.constrain == "domain"
    assert tuple(fig.layout.xaxis.range) == (-3.0, 3.0) and tuple(fig.layout.yaxis.range) == (-3.0, 3.0)
    assert fig.layout.clickmode == "event+select"
    # a selection must not fade the start markers or the equilibrium
    for trace in fig.data:
        if trace.mode == "markers" and trace is not lattice:
            assert trace.unselected.marker.opacity == 1.0


def test_a_plain_phase_plot_is_unchanged():
    fig = phase_figure(field, BOUNDS, {"alternating": np.array([[1.0, 0.5], [1.1, 0.3]])}, x_title="θ",
                       y_title="ψ", title="lesson", uirevision="t")
    assert [t.name for t in fig.data] == ["update direction", "alternating", None, "equilibrium"]
    assert fig.layout.xaxis.constrain is None and fig.layout.clickmode is None


def test_a_diverging_wgan_gp_trajectory_is_cut_where_it_leaves_the_drawable_range():
    """Step size 1, 1,000 steps, λ = 2.5 (what the crawler set): WGAN-GP's iterates pass 1e300, which the
    browser cannot draw (console errors, a broken plot); the figures stop the path at 1e6 and say so."""
    from ganlab.theory.dirac_gan import dirac_field, dirac_trajectory
    from ganlab.viz.dynamics import DIVERGED_AT, distance_figure, drawable

    path = dirac_trajectory("wgan-gp", (1.0, 1.0), 1.0, 1000, gp_lambda=2.5)
    distance = np.hypot(path[:, 0], path[:, 1])
    assert np.nanmax(distance) > 1e100
    first_far = int(np.argmax(~(distance <= DIVERGED_AT)))
    shown, diverged = drawable(path)
    assert diverged
    np.testing.assert_array_equal(shown[:first_far], path[:first_far])
    assert np.isnan(shown[first_far:]).all()

    fig = phase_figure(lambda t, p: dirac_field("wgan-gp", t, p, gp_lambda=2.5), (-2.0, 2.0, -2.0, 2.0),
                       {"wgan-gp": path}, x_title="θ", y_title="ψ", title="t", uirevision="u")
    line = next(t for t in fig.data if t.name == "wgan-gp (diverged)")
    assert np.nanmax(np.abs(np.asarray(line.x, dtype=float))) <= DIVERGED_AT
    dist = distance_figure({"wgan-gp": path}, title="d", uirevision="u")
    assert dist.data[0].name == "wgan-gp (diverged)"
    assert np.nanmax(np.asarray(dist.data[0].y, dtype=float)) <= DIVERGED_AT


def test_a_bounded_trajectory_is_drawn_whole():
    from ganlab.viz.dynamics import drawable

    path = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 0.1]])
    shown, diverged = drawable(path)
    assert not diverged and shown is path
