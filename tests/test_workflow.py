"""The GitHub Actions workflow and Binder's environment: what can be checked without GitHub or Binder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
BINDER = ROOT / "binder" / "requirements.txt"


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is missing: it is pinned in requirements.txt (make book installs it)")
    return found


def test_the_workflow_lints_clean():
    result = subprocess.run([actionlint(), str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    broken = WORKFLOW.read_text().replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    needs: no-such-job", 1)
    path = tmp_path / "book.yml"
    path.write_text(broken)
    result = subprocess.run([actionlint(), str(path)], capture_output=True, text=True)
    assert result.returncode != 0 and "no-such-job" in result.stdout


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_runs_the_readme_commands_weekly_and_publishes_from_main():
    flow = workflow()
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert re.fullmatch(r"\d+ \d+ \* \* \d", triggers["schedule"][0]["cron"]), "not a weekly schedule"

    build = flow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    readme = (ROOT / "README.md").read_text()
    for command in ["make book", "make test", "make test-colab"]:
        assert f"`{command}`" in readme or f"\n{command}" in readme, f"the README does not give `{command}`"
        assert any(run.startswith(command) for run in runs), f"the workflow does not run `{command}`"

    upload = next(step for step in build if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    deploy = flow["jobs"]["deploy"]
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_the_workflow_caches_the_environment_and_the_execution_cache_keyed_on_code_and_requirements():
    caches = [step["with"] for step in workflow()["jobs"]["build"]["steps"]
              if step.get("uses", "").startswith("actions/cache@")]
    venv = next(c for c in caches if c["path"] == ".venv")
    assert "hashFiles('requirements.txt'" in venv["key"]
    execution = next(c for c in caches if "_build/.jupyter_cache" in c["path"])
    prefix = "hashFiles('code/**', 'requirements.txt')"
    assert prefix in execution["key"]
    # A restored entry must come from the same code and pins, so that a change reruns every chapter.
    assert all(prefix in key for key in execution["restore-keys"].splitlines())


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s+]+)", line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def test_binder_installs_the_cpu_build_of_the_pinned_pytorch_and_jupytext():
    text = BINDER.read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    assert re.search(r"^torch==\S+\+cpu$", text, re.M) and re.search(r"^torchvision==\S+\+cpu$", text, re.M)
    binder, root = pins(BINDER), pins(ROOT / "requirements.txt")
    for name, version in binder.items():
        assert root.get(name) == version, f"binder/requirements.txt pins {name}=={version}, " \
                                          f"requirements.txt {root.get(name)}"
    for name in ["torch", "torchvision", "numpy", "matplotlib", "jupytext"]:
        assert name in binder, f"binder/requirements.txt does not install {name}"
    assert re.search(r"^-e \./code", text, re.M), "Binder must install dlbasics from the checkout"
