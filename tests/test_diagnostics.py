import numpy as np

from ganlab.diagnostics import health_alarms


def snap(d_loss, g_loss=None, grads=None, output="probability"):
    d_loss = np.asarray(d_loss, dtype=float)
    g_loss = np.ones_like(d_loss) if g_loss is None else np.asarray(g_loss, dtype=float)
    return {"history": {"d_loss": d_loss, "g_loss": g_loss}, "output": output,
            "fake_grad": np.zeros((4, 2)) if grads is None else np.asarray(grads, dtype=float)}


def test_healthy_run_has_no_alarm():
    assert health_alarms(snap(np.full(60, 1.2))) == []


def test_d_loss_at_zero():
    alarms = health_alarms(snap(np.full(60, 1e-5)))
    assert len(alarms) == 1 and alarms[0].startswith("D's loss is ~0")
    assert health_alarms(snap(np.full(60, 1e-5), output="score")) == []  # a critic's loss can be 0


def test_exploding_gradients():
    alarms = health_alarms(snap(np.full(10, 1.0), grads=[[0, 0], [300, 400]]))
    assert len(alarms) == 1 and "500" in alarms[0]


def test_oscillating_losses():
    wild = np.tile([0.1, 5.0], 30)
    alarms = health_alarms(snap(wild))
    assert any(a.startswith("D's loss oscillates") for a in alarms)
    assert health_alarms(snap(np.linspace(1.0, 0.8, 60))) == []
