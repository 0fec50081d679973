import numpy as np

from ganlab.theory.disjoint import KINDS, fit_discriminators


def test_critics_keep_a_gradient_where_the_discriminator_saturates():
    fits = fit_discriminators(3.0, steps=400)
    disc, clip, gp = (fits[k]["grad_at_fake"] for k in KINDS)
    assert gp >= 100 * disc and clip >= 100 * disc
    d_out = fits[list(KINDS)[0]]["output"]
    x = fits["x"]
    assert d_out[np.argmin(np.abs(x - 0.0))] > 0.99 and d_out[np.argmin(np.abs(x - 3.0))] < 0.01  # saturated
    critic = fits[list(KINDS)[2]]["output"]
    slope = np.polyfit(x, critic, 1)[0]
    residual = critic - np.polyval(np.polyfit(x, critic, 1), x)
    assert slope < 0 and np.abs(residual).max() < 0.3 * np.ptp(critic)  # close to linear, real side higher
