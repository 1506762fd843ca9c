# sovcloud-infra: every target installs what it needs by itself.
#   make lab     bring up the lab region (real Debian 12 hosts) and converge it
#   make test    run the whole test suite (unit, Pulumi mocks, real lab hosts)
#   make lint    ruff, mypy, yamllint, ansible-lint

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv system-deps test test-vm test-fast lint lab lab-down lock bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

venv: $(STAMP)

# Host packages for the lab (systemd-nspawn, debootstrap, the apt-cacher-ng mirror, qemu for the VM tier).
system-deps:
	@bash scripts/install-system-deps.sh

# Everything, with the VM tier running beside the rest (scripts/run-tests.sh says why).
test: venv system-deps
	bash scripts/run-tests.sh $(BIN)/python

# The qemu VM tier alone (kernel, boot loader and mount controls on a real kernel; TCG, about 11 min).
test-vm: venv system-deps
	$(BIN)/python -m pytest -m vm tests/vm

test-fast: venv
	$(BIN)/python -m pytest -m "not lab and not vm"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/yamllint -s .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/ansible-lint --offline -q

lab: venv system-deps
	$(BIN)/sovcloud lab up lab --converge

lab-down: venv
	$(BIN)/sovcloud lab down lab

lock: venv
	{ echo "# Pinned dependencies (pip freeze of a working environment; regenerate with 'make lock')."; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^sovcloud'; } > requirements.lock

# Benchmarks: run by hand (the lab ones need root); each prints ratios measured side by side.
bench: venv
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/converge.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
