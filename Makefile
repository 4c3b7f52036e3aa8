# newsbeam: `make run` (fresh clone -> venv -> pipeline on seeds/ -> out/), `make test`,
# `make bench`, `make eval`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run test bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,gcp]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/newsbeam run --input seeds/ --output out/

test: venv
	$(BIN)/python -m pytest -n 2 -q

eval: venv
	$(BIN)/python -m bench.eval

bench: venv
	$(BIN)/python -m pip install --quiet -e '.[test,bench]' || echo "bench extra (datatrove) not installed: the peer column will be skipped"
	$(BIN)/python -m bench.run

clean:
	rm -rf out/ .pytest_cache
