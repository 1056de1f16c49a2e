# Quickstart targets: each one creates .venv if needed, installs from this repo's files, then runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Pinned versions the project is tested with (constraints.txt); pip resolves nothing else.
PIP_INSTALL := $(BIN)/pip install -q -c constraints.txt

.PHONY: run test fuzz bench throughput fidelity calendar calibration lint install clean

$(BIN)/adsim: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(PIP_INSTALL) -e ".[test]"
	@touch $@

install: $(BIN)/adsim

run: install
	$(BIN)/adsim run scenarios/quickstart.yaml

test: install
	$(BIN)/ruff check src tests benchmarks validation
	$(BIN)/ruff format --check src tests benchmarks validation
	$(BIN)/pytest

# The generated-scenario suite's long profile: 2,000 random valid scenarios (~5-10 min).
fuzz: install
	$(BIN)/pytest tests/test_generated.py --hypothesis-profile=long --hypothesis-show-statistics

bench: install
	$(BIN)/pytest benchmarks --benchmark-enable -p no:cacheprovider

throughput: install
	$(BIN)/python benchmarks/throughput.py --wazypark
	$(BIN)/python benchmarks/replicates.py

# Figures of platform fidelity (agents/scale split, private knowledge, caps, budget curve; ~15 min).
fidelity: install
	$(BIN)/python benchmarks/fidelity.py

# The calendar's share of a 1M-agent week with one event, and clasico_week's ranking (~5 min).
calendar: install
	$(BIN)/python benchmarks/calendar_events.py --speed --ranking

# Calibration: recovery from 10 generated reports and projection of an unseen strategy
# (~2.5 min), and the cost of 5 unknowns at 100k agents x 75 (~6 min with its 1:1 truth).
calibration: install
	$(BIN)/python benchmarks/calibration.py
	$(BIN)/python benchmarks/calibration_cost.py

lint: install
	$(BIN)/ruff check --fix src tests benchmarks validation
	$(BIN)/ruff format src tests benchmarks validation

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .benchmarks
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
