# Deep Learning Basics with PyTorch: `make book` builds the site, `make test` tests it.
# Maintainers: `make notebooks` after editing a chapter, `make test-colab` to run notebooks as Colab would.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Rewritten whenever requirements.txt or the package's metadata change.
INSTALLED := $(VENV)/.installed

.PHONY: book test serve clean help notebooks test-colab test-gpu bench-mnist bench-build check-determinism
.DEFAULT_GOAL := help

help:
	@echo "make book   create $(VENV) if needed, install requirements.txt, execute every chapter, write _build/html/"
	@echo "make test   build the site if needed (as make book), then run the tests: the package, the build, the site"
	@echo "make serve  serve _build/html on http://localhost:8000"
	@echo "make clean  remove _build/ (the execution cache with it)"
	@echo "make notebooks   rewrite book/*.ipynb, the chapters' notebooks for Colab and Binder, from the .md chapters"
	@echo "make test-colab  run chapter notebooks in a fresh environment holding only what Colab brings (minutes)"
	@echo "make test-gpu  on a machine with a CUDA GPU: the package's tests and every chapter, timed, on the GPU"
	@echo "make bench-mnist  train the course's LeNet-5 pipeline and the book's, print times and accuracies"
	@echo "make bench-build  time a clean build, a no-change and a one-edit rebuild, and the plain jupyter-book build"
	@echo "make check-determinism [CHAPTERS='690 830']  execute chapters twice, report every output that differs"

$(INSTALLED): requirements.txt code/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "make: $(PYTHON) is older than Python 3.10; run make PYTHON=python3.11 (or newer)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	@touch $@

book: $(INSTALLED)
	$(BIN)/python tools/build_book.py

# The tests read the built site: build it first (seconds when nothing changed).
test: book
	$(BIN)/python -m pytest

bench-mnist: $(INSTALLED)
	$(BIN)/python tools/bench_mnist.py

bench-build: $(INSTALLED)
	$(BIN)/python tools/bench_build.py

# Without CHAPTERS, every chapter (about twice a clean build's kernel time).
check-determinism: $(INSTALLED)
	$(BIN)/python tools/check_determinism.py $(CHAPTERS)

# The notebooks quote the numbers of the book's run: build first.
notebooks: book
	$(BIN)/python tools/notebooks.py

# Installs PyTorch into a throw-away virtual environment (about 5 GB, deleted afterwards).
test-colab: $(INSTALLED)
	$(BIN)/python -m pytest -m fresh_env --durations=0 tests/test_fresh_environment.py

# On a machine with a CUDA GPU: the package's tests (not those of the build or the site) and
# every chapter's code as a script, on the GPU, with each chapter's time. It needs PyTorch with
# CUDA and the package's dependencies, not the book's build: GPU_PYTHON=python3 uses a Python
# that has them (the package is read from code/).
GPU_PYTHON ?= $(BIN)/python
BOOK_TESTS := $(wildcard tests/test_site*.py) tests/test_build.py tests/test_chapters.py \
	tests/test_notebooks.py tests/test_teachers.py tests/test_workflow.py tests/test_fresh_environment.py
test-gpu:
	@$(GPU_PYTHON) -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' || \
		{ echo "make test-gpu: $(GPU_PYTHON)'s PyTorch sees no CUDA GPU"; exit 1; }
	PYTHONPATH=$(CURDIR)/code $(GPU_PYTHON) -m pytest -p no:cacheprovider $(addprefix --ignore=,$(BOOK_TESTS))
	PYTHONPATH=$(CURDIR)/code $(GPU_PYTHON) tools/run_chapters.py --require-cuda

serve:
	$(PYTHON) -m http.server --directory _build/html 8000

clean:
	rm -rf _build
