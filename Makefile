# newsbeam: `make run` (fresh clone -> venv -> pipeline on seeds/ -> out/), `make test`,
# `make bench`, `make eval`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run test browser bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,gcp]'
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/newsbeam run --input seeds/ --output out/
	$(BIN)/newsbeam report out/ --html out/report.html

# Debian's Chromium (the report's browser test) and tmux (the recorded progress session), when
# missing; without them those tests skip.
browser:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	if [ -n "$$missing" ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "make browser: could not install$$missing; the tests that need it will be skipped"; \
	fi

test: venv browser
	$(BIN)/python -m pytest -n 2 -q

eval: venv
	$(BIN)/python -m pip install --quiet -e '.[test,gcp,build]'
	$(BIN)/python -m bench.eval

# The peer (datatrove) gets its own venv: its dependencies would change apache-beam's (xxhash, dill).
PEER       ?= .venv-peer
PEER_STAMP := $(PEER)/.installed

$(PEER_STAMP): bench/peer-requirements.txt
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet -r bench/peer-requirements.txt && touch $(PEER_STAMP) \
	  || echo "bench: datatrove could not be installed into $(PEER): its row will be skipped"

# `make bench BENCH_ARGS="--articles 20000 --scale 0" FILES_ARGS="--articles 20000"` for a quick run.
bench: venv
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	-$(MAKE) --no-print-directory $(PEER_STAMP)
	NEWSBEAM_PEER_PYTHON=$(PEER)/bin/python $(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.files $(FILES_ARGS)

clean:
	rm -rf out/ .pytest_cache
