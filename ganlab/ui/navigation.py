"""The app's pages in one table: app.py builds the navigation from it, the Lessons page its buttons."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str  # "" for the default page (Home)


APP_PAGES = (
    PageSpec("pages/home.py", "Home", "🏠", ""),
    PageSpec("pages/lessons.py", "Lessons", "🎓", "lessons"),
    PageSpec("pages/toy_lab.py", "Toy Lab", "🎯", "toy-lab"),
    PageSpec("pages/mnist_lab.py", "MNIST Lab", "✍️", "mnist-lab"),
    PageSpec("pages/latent_explorer.py", "Latent Explorer", "🧭", "latent-explorer"),
    PageSpec("pages/experiments.py", "Experiments", "📊", "experiments"),
    PageSpec("pages/divergences.py", "Divergences", "📐", "divergences"),
    PageSpec("pages/dynamics.py", "Dynamics", "🌀", "dynamics"),
)
PAGE_FILES = {p.url_path: p.file for p in APP_PAGES if p.url_path}
PAGE_TITLES = {p.url_path: p.title for p in APP_PAGES if p.url_path}
