"""The clinical core stays free of Django, so it can be tested and reused without it."""

from __future__ import annotations

import ast
from pathlib import Path

CLINICAL = Path(__file__).resolve().parents[1]


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def test_no_module_in_pistor_clinical_imports_django() -> None:
    offenders = []
    files = sorted(CLINICAL.rglob("*.py"))
    assert len(files) > 5
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imports(tree):
            if name == "django" or name.startswith(("django.", "ninja", "pistor.core")):
                offenders.append(f"{path.relative_to(CLINICAL)}: {name}")
    assert offenders == []


def test_the_layering_check_catches_a_django_import() -> None:
    tree = ast.parse("from django.db import models\nimport django.utils\n")
    assert _imports(tree) == ["django.db", "django.utils"]
