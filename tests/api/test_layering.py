"""Views and API modules reach patients only through ``pistor.patients.access``.

Checked on the modules' syntax trees (their real imports and attribute uses), not by
searching text: an aliased import or a ``from ... import`` inside a function is caught, a
word in a comment or docstring is not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pistor

ROOT = Path(pistor.__file__).parent

# Modules that bypass the role check and the "record opened" audit.
FORBIDDEN_MODULES = ("pistor.patients.selectors",)
PATIENT_MODEL_MODULE = "pistor.patients.models"
MANAGER_ATTRIBUTES = {"objects", "_default_manager", "_base_manager"}


def _entry_modules() -> list[Path]:
    """Every views and API module of every app, packages included, tests left out."""
    found: set[Path] = set()
    for name in ("views", "api"):
        found.update(ROOT.glob(f"**/{name}.py"))
        found.update(ROOT.glob(f"**/{name}/**/*.py"))
    return sorted(p for p in found if "tests" not in p.relative_to(ROOT).parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node: ast.ImportFrom, module: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")[: -node.level]
    return ".".join([*base, node.module] if node.module else base)


def layering_offences(source: str, module: str) -> list[str]:
    """What in ``source`` (the module ``module``) reaches patients around ``access``."""
    tree = ast.parse(source)
    offences: list[str] = []
    patient_names: set[str] = set()  # local names bound to the Patient model
    model_modules: set[str] = set()  # local names bound to pistor.patients.models
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(FORBIDDEN_MODULES):
                    offences.append(f"line {node.lineno}: imports {alias.name}")
                if alias.name == PATIENT_MODEL_MODULE:
                    model_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom):
            source_module = _resolve(node, module)
            for alias in node.names:
                full = f"{source_module}.{alias.name}"
                if source_module.startswith(FORBIDDEN_MODULES) or full in FORBIDDEN_MODULES:
                    offences.append(f"line {node.lineno}: imports {full}")
                if source_module == PATIENT_MODEL_MODULE and alias.name == "Patient":
                    patient_names.add(alias.asname or alias.name)
                if full == PATIENT_MODEL_MODULE:
                    model_modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in MANAGER_ATTRIBUTES:
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id in patient_names) or (
            isinstance(owner, ast.Attribute)
            and owner.attr == "Patient"
            and ast.unparse(owner.value) in model_modules | {PATIENT_MODEL_MODULE}
        ):
            offences.append(f"line {node.lineno}: queries Patient.{node.attr} directly")
    return offences


def test_views_and_api_modules_fetch_patients_only_through_access():
    modules = _entry_modules()
    assert any(p.name == "views.py" for p in modules) and any(p.name == "api.py" for p in modules)
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in modules
        if (found := layering_offences(path.read_text(), _module_name(path)))
    }
    assert offenders == {}


def test_the_check_catches_each_way_round_it():
    caught = [
        "from pistor.patients.selectors import patient_get",
        "from pistor.patients import selectors",
        "import pistor.patients.selectors as s",
        "from .selectors import patient_list",  # relative, inside pistor.patients.views
        "from pistor.patients.models import Patient as P\nP.objects.all()",
        "import pistor.patients.models as m\nm.Patient._default_manager.all()",
        "def f():\n    from pistor.patients.models import Patient\n    return Patient.objects",
    ]
    for source in caught:
        assert layering_offences(source, "pistor.patients.views"), source
    allowed = [
        "from pistor.patients.access import patient_get_for_user",
        "from pistor.patients.models import Patient\ndef f(p: Patient): ...",
        '"""Patient.objects is not used here."""',
    ]
    for source in allowed:
        assert layering_offences(source, "pistor.patients.views") == [], source
