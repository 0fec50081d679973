"""A link straight to a page on a server nobody has visited yet opens that page, without a "Page not found"
dialog (before app.py declared the pages up front, the server's first session ran in Streamlit's old
pages/-folder mode, where /toy-lab is not a page)."""

from tests.e2e.server import serve_app


def test_a_deep_link_on_a_fresh_server_opens_its_page_without_a_dialog(browser):
    with serve_app() as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{url}/toy-lab")  # a hyphen: the old mode named the file toy_lab
            page.locator("iframe[title*=live_plot]").first.wait_for(timeout=120_000)
            page.wait_for_timeout(1000)
            assert page.locator("[role=dialog]", has_text="Page not found").count() == 0
            assert not [e for e in errors if "does not seem to exist" in e]
        finally:
            context.close()
