"""Hostile share links in a real browser (issue 18): a sample of addresses with out-of-range, non-finite,
over-long and path-like values on the Toy Lab, Dynamics, Divergences, Latent Explorer and MNIST Lab. Each
page opens without a Streamlit exception box and says which of the link's parameters it did not use.

(Every parameter and config path is covered by the property tests in tests/test_links_property.py; this
checks that the pages show those refusals as messages.)"""

from tests.e2e.test_hostile_uploads import no_exception_box, wait_idle
from tests.e2e.test_toy_lab import open_page

NOT_USED = "Some of the link's options were not used"
LONG = "9" * 20_000
# (path and query, the parameters the page must name as not used)
LINKS = [
    ("toy-lab?g.width=1e9&data.data_dir=../../etc", ("g.width", "data.data_dir")),
    ("toy-lab?vs=batch_size%3D999999999&data.name=mnist", ("vs: batch_size", "data.name")),
    (f"toy-lab?speed=nan&g.depth={LONG}", ("speed", "g.depth")),
    ("dynamics?steps=1e999&methods=simultaneous,simultaneous&d_steps=100", ("steps", "d_steps")),
    (f"divergences?theta=nan&distance={LONG}", ("theta", "distance")),
    ("latent-explorer?checkpoint=../../etc/passwd&seed=-inf", ("checkpoint", "seed")),
    ("mnist-lab?d_steps=100&batch=999999999", ("d_steps", "batch")),
    ("mnist-lab?g.channels=inf&colour=%F0%9F%99%82", ("g.channels", "colour")),
]


def test_hostile_links_are_named_as_not_used_and_raise_no_exception(browser, app_url, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        for i, (address, fields) in enumerate(LINKS):
            if i == 0:
                open_page(page, app_url, address)
            else:
                page.goto(f"{app_url}/{address}")
            error = page.locator("[data-testid='stAlertContentError']").filter(has_text=NOT_USED).first
            error.wait_for(timeout=60_000)
            wait_idle(page)
            text = error.inner_text()
            for field in fields:
                assert f"{field}:" in text, (address[:80], field, text[:500])
            assert LONG not in text and len(text) < 6000, (address[:80], len(text))
            no_exception_box(page)
            page.screenshot(path=str(artifacts / f"hostile_link_{i}.png"))
    finally:
        context.close()
