"""Hostile uploads to the Latent Explorer in a real browser (issue 18): checkpoints that are valid torch
files with odd contents, one with weights of the wrong shape, and an image bomb as the inversion target.
Each gets its one-line message; no Streamlit exception box appears and the open generator stays loaded."""

from tests.e2e.test_toy_lab import open_page
from tests.hostile import audit_files, generator_payload, png_header, to_bytes

SAMPLE = ("no_G.pt", "state_list.pt", "version_abc.pt", "card_list.pt", "card_steps_text.pt",
          "card_metric_text.pt")
KEPT = "The generator you had open is still loaded."


def no_exception_box(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Traceback").count() == 0


def wait_idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"
                           " === 'notRunning'", timeout=60_000)


def upload(page, label: str, name: str, data: bytes) -> None:
    """Put a file into the file uploader whose label contains `label`."""
    box = page.locator("[data-testid='stFileUploader']").filter(has_text=label).first
    box.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": "application/octet-stream",
                                                            "buffer": data}])


def test_hostile_checkpoints_and_an_image_bomb_get_messages(page, app_url, artifacts):
    open_page(page, app_url, "latent-explorer")
    page.get_by_text("Click a sample").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Checkpoint").first.click()
    page.locator("[role=listbox]").last.locator("[role=option]", has_text="Upload a checkpoint").first.click()
    page.get_by_text("A ganlab generator file or training checkpoint").first.wait_for(timeout=60_000)
    files = audit_files()
    state = generator_payload()["state"]
    first = next(iter(state))
    files["wrong_shape.pt"] = (to_bytes(generator_payload(state={**state, first: state[first][:1]})),
                               f"state.{first}: expected a tensor of shape")
    for name in (*SAMPLE, "wrong_shape.pt"):
        data, fragment = files[name]
        wait_idle(page)
        upload(page, "A ganlab generator file", name, data)
        error = page.locator("[data-testid='stAlertContentError']").filter(has_text=fragment).first
        error.wait_for(timeout=60_000)
        text = error.inner_text()
        assert f"upload:{name}" in text and KEPT in text and "\n" not in text.strip(), text
        no_exception_box(page)
    page.screenshot(path=str(artifacts / "hostile_uploads.png"), full_page=True)

    # the generator loaded before is still there: pin a sample, then upload an image bomb to invert
    wait_idle(page)
    page.get_by_role("button", name="Pin", exact=True).click()
    page.get_by_text("Pinned (1)").first.wait_for(timeout=60_000)
    page.get_by_text("an uploaded image").first.click()
    page.get_by_text("A digit image").first.wait_for(timeout=60_000)
    wait_idle(page)
    upload(page, "A digit image", "bomb.png", png_header(20_000, 20_000))
    bomb = page.locator("[data-testid='stAlertContentError']").filter(has_text="bomb.png").first
    bomb.wait_for(timeout=60_000)
    assert "megapixels" in bomb.inner_text()
    page.screenshot(path=str(artifacts / "hostile_image_upload.png"), full_page=True)
    no_exception_box(page)
