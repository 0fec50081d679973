"""Opening a page script through Streamlit's AppTest, the way the page tests do."""

from streamlit.testing.v1 import AppTest


def open_with_query(page: str, timeout: float = 180, **params: str) -> AppTest:
    """`page` run once with the address's query `params`; it must not raise."""
    app = AppTest.from_file(page, default_timeout=timeout)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception
    return app
