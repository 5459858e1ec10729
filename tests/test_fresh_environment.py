"""The chapters' notebooks run outside this repository's environment (`make test-colab`).

A fresh virtual environment gets only what Colab brings (torch, torchvision,
numpy, matplotlib, ipykernel, at the versions requirements.txt pins). Each
notebook then runs in a kernel of that environment, in an empty folder, as a
reader's would: its first cell installs dlbasics the way it does in Colab,
except that the repository address is this checkout and its HEAD commit
(`git+file://`, offline) instead of the address and branch in _config.yml,
so commit a change to code/ before running this. Any cell that raises fails
the test.

Slow (PyTorch is installed into the environment, about 5 GB), so it is marked
`fresh_env` and left out of a plain `pytest`; `make test-colab` runs it and
deletes the environment afterwards.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import notebooks  # noqa: E402  (tools/notebooks.py)

pytestmark = pytest.mark.fresh_env

WHAT_COLAB_BRINGS = ["torch", "torchvision", "numpy", "matplotlib", "ipykernel"]
# The chapters that must run: tensors, a first training, hand back-propagation and one
# MNIST chapter (830 if it is there, else the first of part 8).
REQUIRED = ["110", "530", "740"]


def pinned(names: list[str]) -> list[str]:
    """``name==version`` for each name, as requirements.txt pins it."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(0)
    missing = [n for n in names if n not in pins]
    assert not missing, f"requirements.txt pins no version of {missing}"
    return [pins[n] for n in names]


def chapters_to_run() -> list[Path]:
    sources = {path.name[:3]: path for path in notebooks.chapter_sources() if path.name[:3].isdigit()}
    missing = [n for n in REQUIRED if n not in sources]
    assert not missing, f"_toc.yml lists no chapter {missing}"
    chosen = [sources[n] for n in REQUIRED]
    part_8 = sorted(n for n in sources if n.startswith("8"))
    if part_8:
        chosen.append(sources["830" if "830" in part_8 else part_8[0]])
    return [path.with_suffix(".ipynb") for path in chosen]


def local_install_cell(source: str) -> str:
    """The install cell with this checkout's HEAD as the repository, after checking it names _config.yml's."""
    url, branch = notebooks.repository()
    assert f'REPOSITORY = "{url}"' in source and f'BRANCH = "{branch}"' in source, \
        f"the install cell does not name {url} at {branch}; run `{notebooks.REGENERATE}`"
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    return (source.replace(f'REPOSITORY = "{url}"', f'REPOSITORY = "file://{ROOT}"')
                  .replace(f'BRANCH = "{branch}"', f'BRANCH = "{commit}"'))


class FreshEnvironment:
    def __init__(self, folder: Path):
        self.folder = folder
        self.python = folder / "venv" / "bin" / "python"
        self.kernels = folder / "kernels"

    def create(self) -> None:
        start = time.time()
        subprocess.run([sys.executable, "-m", "venv", str(self.folder / "venv")], check=True)
        # Colab's pip is recent; the one a new venv starts with may be too old for git+file:// addresses.
        self.pip("install", "--upgrade", "pip")
        self.pip("install", *pinned(WHAT_COLAB_BRINGS))
        spec = self.kernels / "fresh"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "fresh environment", "language": "python"}))
        print(f"\nfresh environment ready in {time.time() - start:.0f} s", flush=True)

    def pip(self, *arguments: str) -> None:
        result = subprocess.run([str(self.python), "-m", "pip", *arguments], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"pip {' '.join(arguments)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")

    def run(self, code: str) -> str:
        return subprocess.run([str(self.python), "-c", code], capture_output=True, text=True,
                              check=True, cwd=self.folder).stdout.strip()

    def execute(self, notebook: nbformat.NotebookNode) -> None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient

        workdir = self.folder / "work"  # an empty folder, as in Colab: nothing of the repository around
        workdir.mkdir(exist_ok=True)
        manager = KernelManager(kernel_name="fresh",
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.kernels)]))
        try:
            NotebookClient(notebook, km=manager, timeout=600,
                           resources={"metadata": {"path": str(workdir)}}).execute()
        finally:  # the client leaves a kernel it did not start itself running
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def fresh():
    folder = Path(tempfile.mkdtemp(prefix="dlb-fresh-"))
    try:
        environment = FreshEnvironment(folder)
        environment.create()
        yield environment
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_fresh_environment_has_no_dlbasics_and_nothing_of_the_book(fresh):
    for module in ["dlbasics", "myst_nb", "jupyter_book", "tqdm"]:
        found = fresh.run(f"import importlib.util; print(importlib.util.find_spec({module!r}) is not None)")
        assert found == "False", f"{module} is importable in the fresh environment before any notebook ran"


@pytest.mark.parametrize("notebook_path", chapters_to_run(), ids=lambda p: p.stem)
def test_a_chapter_notebook_runs_in_the_fresh_environment(fresh, notebook_path):
    assert notebook_path.is_file(), f"{notebook_path.name} is missing: run `{notebooks.REGENERATE}`"
    torch_before = fresh.run("import torch; print(torch.__version__, torch.__file__)")
    notebook = nbformat.read(notebook_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    install = code_cells[0]
    assert install.get("id") == notebooks.INSTALL_CELL_ID, "the install cell is not the first code cell"
    install.source = local_install_cell(install.source)
    start = time.time()
    fresh.execute(notebook)  # raises CellExecutionError, naming the cell, if any cell raises
    print(f"\n{notebook_path.name} ran in {time.time() - start:.0f} s", flush=True)

    location = fresh.run("import dlbasics; print(dlbasics.__file__)")
    assert location.startswith(str(fresh.folder)), f"dlbasics came from {location}, not the fresh environment"
    assert fresh.run("import torch; print(torch.__version__, torch.__file__)") == torch_before, \
        "installing dlbasics replaced the environment's PyTorch"
