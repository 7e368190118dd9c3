# One command per chore; .ci/run runs `make test` too.
PYTHON ?= python3
MARKDOWNLINT ?= $(CURDIR)/.ci/node/node_modules/.bin/markdownlint

.PHONY: test quick lint format bench golden mutation

lint:
	$(PYTHON) -m ruff check src tests bench scripts
	$(PYTHON) -m ruff format --check src tests bench scripts
	$(PYTHON) -m mypy
	@if [ -x "$(MARKDOWNLINT)" ]; then "$(MARKDOWNLINT)" --config .markdownlint.json README.md CHANGELOG.md; \
	else echo "markdownlint not installed (.ci/run installs it): README/CHANGELOG not linted"; fi

format:
	$(PYTHON) -m ruff check --fix src tests bench scripts
	$(PYTHON) -m ruff format src tests bench scripts

# Two workers (the machine has two cores); a test file stays on one worker, so its module fixtures (servers,
# repositories) are built once. Files go out in collection order (tests/conftest.py puts the longest first),
# not xdist's most-tests-first, which leaves the few long real-model tests to run alone at the end. A worker
# that crashes (or is ended as hung: tests/conftest.py) is not replaced: with --dist loadfile a replaced worker
# left the run waiting for good; not replaced, the run ends at once, the crashed test named.
test: lint
	MARKDOWNLINT=$(MARKDOWNLINT) bash scripts/pytest.sh -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart 0

# The quick loop: what is not marked slow (real processes, servers, a browser, and tests/conftest.py's slow
# files), on two workers, without lint.
quick:
	bash scripts/pytest.sh -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart 0 -m "not slow and not llm_server"

golden:
	DAILYDIFF_REGENERATE_GOLDEN=1 $(PYTHON) -m pytest tests/render/test_golden.py tests/render/test_golden_editions.py tests/render/test_scenarios.py -q

bench:
	$(PYTHON) bench/run.py

# Mutation testing of the core (mutmut, and scripts/table_mutation.py for module-level tables and properties),
# on demand and not in .ci/run: one module at a time with its own unit tests, one process at the lowest
# priority; below 90% killed fails. `make mutation MODULES="secrets budget"` for some of them.
mutation:
	$(PYTHON) scripts/mutation.py $(MODULES)
