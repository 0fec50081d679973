"""The engine stays readable: no function over 60 lines and no class over 300 in ganlab/ (issue 17)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ganlab"
MAX_FUNCTION_LINES, MAX_CLASS_LINES = 60, 300


def oversized() -> list[str]:
    """'path:line name (n lines)' for each function or class over its limit (def to last line)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            limit = (MAX_FUNCTION_LINES if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     else MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else None)
            if limit is not None and node.end_lineno - node.lineno + 1 > limit:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} "
                             f"({node.end_lineno - node.lineno + 1} lines)")
    return found


def test_no_function_over_60_lines_and_no_class_over_300():
    assert oversized() == []


def test_the_check_sees_a_long_function(tmp_path, monkeypatch):
    package = tmp_path / "ganlab"
    package.mkdir()
    (package / "long.py").write_text("def f():\n" + "    x = 1\n" * 60)
    monkeypatch.setitem(globals(), "PACKAGE", package)
    assert oversized() == ["ganlab/long.py:1 f (61 lines)"]
