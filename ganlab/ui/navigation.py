"""The app's pages in one table: app.py builds the navigation from it, the Lessons page its buttons, and the
browser crawler (tests/e2e/crawler.py) checks each page's main figure stays shown. Adding a page is its
script in pages/ and one row here."""

from dataclasses import dataclass

PLOTLY = "[data-testid=stPlotlyChart]"


@dataclass(frozen=True)
class PageSpec:
    """file: the page's script; url_path: "" for the default page (Home); main_figure: a CSS selector of
    what the page exists to show (a page that stops showing it is broken)."""

    file: str
    title: str
    icon: str
    url_path: str
    main_figure: str = PLOTLY


APP_PAGES = (
    PageSpec("pages/home.py", "Home", "🏠", "", "[data-testid=stPageLink]"),
    PageSpec("pages/lessons.py", "Lessons", "🎓", "lessons"),
    PageSpec("pages/toy_lab.py", "Toy Lab", "🎯", "toy-lab", "iframe[title*=live_plot]"),
    PageSpec("pages/mnist_lab.py", "MNIST Lab", "✍️", "mnist-lab", "[data-testid=stImage]"),
    PageSpec("pages/gan_vae_flow.py", "GAN, VAE and flow", "⚖️", "gan-vae-flow", "iframe[title*=live_plot]"),
    PageSpec("pages/latent_explorer.py", "Latent Explorer", "🧭", "latent-explorer"),
    # a sweep's charts, or the caption saying there is no finished run to chart yet
    PageSpec("pages/experiments.py", "Experiments", "📊", "experiments",
             f"{PLOTLY}, [data-testid=stCaptionContainer]:has-text('No sweep yet'), "
             "[data-testid=stCaptionContainer]:has-text('no finished run yet')"),
    PageSpec("pages/divergences.py", "Divergences", "📐", "divergences"),
    PageSpec("pages/dynamics.py", "Dynamics", "🌀", "dynamics"),
)
PAGE_FILES = {p.url_path: p.file for p in APP_PAGES if p.url_path}
PAGE_TITLES = {p.url_path: p.title for p in APP_PAGES if p.url_path}
