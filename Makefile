# archwise: `make demo` and `make test` each set up .venv on first use, then run.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test bench clean

# the demo needs only archwise itself; the tests add the dev extras (Lightning, Ray, Parquet, Playwright, pytest)
$(VENV)/.installed-core: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	@touch $@

$(VENV)/.installed: $(VENV)/.installed-core
	$(PIP) -e ".[dev]"
	@touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) -e ".[dev,bench]"
	@touch $@

demo: $(VENV)/.installed-core
	@PATH="$(abspath $(VENV))/bin:$$PATH" bash examples/demo.sh

test: $(VENV)/.installed
	@bash scripts/ensure_chromium.sh
	$(PY) -m pytest

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
