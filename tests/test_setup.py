"""The README's two commands are the set-up; CI must call the test command verbatim."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_COMMAND = "python -m pip install -r requirements.txt && python -m streamlit run app.py"
TEST_COMMAND = "python -m pip install -r requirements-dev.txt && python -m pytest"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    lines = [line.strip() for line in readme.splitlines() if line.startswith("    ")]
    assert lines[:2] == [APP_COMMAND, TEST_COMMAND]
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in ci.splitlines()


def test_requirements_name_every_runtime_package():
    names = {line.split(">=")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")}
    assert {"torch", "torchvision", "streamlit", "numpy", "plotly", "scipy"} <= names
