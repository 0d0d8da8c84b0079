"""policies/ is a pure library: no workbench or Flask imports, no eval/exec, no I/O while evaluating."""

import ast
import builtins
import subprocess
import sys
from pathlib import Path

import pytest

from policies import ItemFacts, PolicySet

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"


def test_importing_policies_pulls_in_no_workbench_or_flask():
    code = (
        "import sys, policies; policies.PolicySet.defaults(); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('workbench', 'flask', 'sqlalchemy', 'rq')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=POLICIES_DIR.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", sorted(POLICIES_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_eval_exec_or_workbench_import(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("eval", "exec", "compile", "__import__"), f"{path.name}:{node.lineno}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not any(n.split(".")[0] in ("workbench", "flask") for n in names), f"{path.name}:{node.lineno}"


def test_module_size_stays_small():
    for path in POLICIES_DIR.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path.name


def test_evaluation_does_no_io(monkeypatch):
    policies = PolicySet.defaults()  # loading reads files; evaluating must not
    facts = [
        ItemFacts(
            kind=kind,
            country=country,
            signals={"toxicity": i / 10, "exposed": 1 - i / 10},
            hash_matches=[("pdq", "b", "terrorism", i)] if i % 3 == 0 else (),
            reports=[("user", "illegal_hate_speech")] * (i % 4),
        )
        for i in range(10)
        for kind in ("text", "image")
        for country in ("DE", "FR", "US", "IN", None)
    ]

    def forbidden(*args, **kwargs):
        raise AssertionError("I/O during evaluation")

    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(Path, "read_text", forbidden)
    plans = [policies.decide(f) for f in facts]
    explained = [policies.explain(f) for f in facts[:10]]
    assert len(plans) == len(facts) and all(explained)
