# msp.cipp: build, test and demo entry points.
#
#   make test       everything, failing fast (KEEP_GOING=1: run all stages), with the time of each stage:
#                     action group check, unit (core 2.19 and 2.21), emulator contract tests,
#                     integration (core 2.19 on the fast path and on the module path, then 2.21),
#                     resilience (fault soak, lost answers, readonly client, check mode, hypothesis bad input),
#                     security (one test per hardening item), molecule (`molecule test` of every role),
#                     benchmark smoke run (tiny versions of every benchmark: correctness checks only),
#                     ansible-test sanity (2.19/py3.11, 2.21/py3.12),
#                     ansible-lint (production profile) + antsibull-docs, changelog lint, collection build
#   make bench      the benchmarks of docs/performance.md against the emulator at 100 ms latency, steady and then
#                   uneven (a seeded spread with cold starts; longer than the ~15 min of steady alone);
#                   BENCH_OPTS="--only noop,tokens --latency-ms 50 --steady" for a part; JSON in .build/bench/
#   make demo       start the CIPP emulator on a free port, run playbooks/demo.yml against it, stop it
#   make sandbox    run the emulator in the foreground on 127.0.0.1:8787 and print the CIPP_* exports
#   make docs       render the plugin/role/filter docs with antsibull-docs into docs/collection/
#   make venv       .venv (python3 = 3.11, requirements-dev.txt) and .venv-2.21 (a Python 3.12 found by tests/utils/find_python312.sh,
#                   requirements-dev-2.21.txt); rebuilt only when a requirements file or interpreter changes
#   make collection .build/collections/ansible_collections/msp/cipp (symlink to this tree, for ansible-playbook)
#                   and a fresh copy in .build/ansible-test/ansible_collections/msp/cipp (for ansible-test)
#   Pieces: unit, unit-2.21, emulator-tests, integration, integration-2.21, resilience, bench-smoke, sanity,
#           sanity-2.19, sanity-2.21, lint, changelog-lint, build, check-action-group, clean
#
# Run single tests by hand with the same settings, e.g.:
#   PYTHONPATH=.build/collections .venv/bin/python -m pytest tests/unit -k offboard
#   .venv/bin/python -m pytest tests/integration/test_harness.py     (needs `make collection` once)
#
# Needs only python3 (3.11), PyPI and, for the 2.21 leg, any Python 3.12 (skipped without one, except in CI).
# Offline quirks handled here (details in ../shared/TOOLCHAIN.md):
#   - ansible-test downloads get-pip.py from a host that is unreachable here; `ansible-test-cache` puts
#     tests/utils/get_pip_standin.py under the names each core asks for, in .build/ansible-test-home (sanity runs with
#     HOME set there, so the user's own ~/.ansible/test is never touched).
#   - ansible-test finds interpreters on PATH as pythonX.Y; the venvs' bin dirs go first on PATH, because
#     pyenv's python3.12 shim fails when pyenv's global version is 3.11 only.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
# The interpreter of the ansible-core 2.21 leg: wherever a working 3.12 is (PYTHON312, PATH, pyenv, system places;
# see tests/utils/find_python312.sh). Empty when there is none: that leg is then skipped and says so, except in CI.
PYTHON312 ?= $(shell tests/utils/find_python312.sh)

ROOT := $(abspath .)
VENV := $(ROOT)/.venv
VENV221 := $(ROOT)/.venv-2.21
BUILD := $(ROOT)/.build
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/msp/cipp
TEST_COPY := $(BUILD)/ansible-test/ansible_collections/msp/cipp
STAGE := STAGE_LOG=$(BUILD)/stage-times.txt $(ROOT)/tests/utils/stage.sh

# Integration tests run in parallel (pytest-xdist) on this many workers; the machine has 2 cores.
INTEGRATION_WORKERS ?= 2
# -ra lists skips/failures at the end; pytest's closing "N passed in Xs" line always follows.
PYTEST_OPTS ?= -ra
# Extra arguments for ansible-test sanity, e.g. SANITY_OPTS="--test pep8".
SANITY_OPTS ?=

# First words of every recipe of the 2.21 leg: without a Python 3.12 the stage records why it is skipped
# (stage.sh shows it in the summary) and stops there.
skip_without_312 = if [ -z "$(PYTHON312)" ]; then echo "no Python 3.12 found: $@ skipped" | tee -a "$${STAGE_SKIP_FILE:-/dev/null}"; exit 0; fi;

# Run a tool from venv $(1) with that venv first on PATH (ansible-test and ansible-lint look for tools there).
in_venv = PATH=$(1)/bin:$$PATH

.PHONY: help venv venv-core venv-2.21 collection security molecule ansible-test-cache setup test unit unit-2.21 emulator-tests integration integration-2.21 \
	integration-module-path resilience bench bench-smoke sanity sanity-2.19 sanity-2.21 lint changelog-lint build check-action-group docs demo sandbox clean \
	distclean

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed -e 's/^# \{0,1\}//'

venv: venv-core venv-2.21

venv-core:
	@tests/utils/ensure_venv.sh $(PYTHON) $(VENV) requirements-dev.txt

# Without a Python 3.12 the 2.21 leg is skipped (tests/utils/skip_without_312.sh tells the stage why); CI must have it.
venv-2.21:
	@if [ -n "$(PYTHON312)" ]; then tests/utils/ensure_venv.sh $(PYTHON312) $(VENV221) requirements-dev-2.21.txt; \
	elif [ -n "$${CI:-}" ]; then echo "venv-2.21: no Python 3.12 found (PYTHON312, PATH, pyenv); CI must run the 2.21 leg" >&2; exit 1; \
	else echo "venv-2.21: no Python 3.12 found (PYTHON312, python3.12 on PATH, pyenv versions, /usr/bin); the ansible-core 2.21 leg is skipped"; fi

collection:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)
	@test -f $(COLLECTION_LINK)/galaxy.yml || { echo "collection: $(COLLECTION_LINK) does not resolve" >&2; exit 1; }
	@tests/utils/copy_collection.sh $(TEST_COPY)

ansible-test-cache: venv
	@$(VENV)/bin/python tests/utils/install_get_pip_standin.py $(BUILD)/ansible-test-home
	@$(skip_without_312) $(VENV221)/bin/python tests/utils/install_get_pip_standin.py $(BUILD)/ansible-test-home

# Everything the stages need; a stage of its own in `make test` so that venv builds show in the timings.
setup: venv collection ansible-test-cache

# make test's stages, in order, as name:target. Fail fast unless KEEP_GOING=1 (then every stage runs and the
# summary shows all failures; the exit status is still non-zero).
TEST_STAGES := setup:setup action-group:check-action-group unit-2.19:unit unit-2.21:unit-2.21 emulator:emulator-tests \
	integration-2.19:integration integration-modules:integration-module-path integration-2.21:integration-2.21 \
	resilience:resilience security:security molecule:molecule bench-smoke:bench-smoke \
	sanity-2.19:sanity-2.19 sanity-2.21:sanity-2.21 \
	lint:lint changelog:changelog-lint build:build
KEEP_GOING ?=

test:
	@rm -f $(BUILD)/stage-times.txt; \
	failed=; \
	for stage in $(TEST_STAGES); do \
		if ! $(STAGE) "$${stage%%:*}" $(MAKE) -s "$${stage#*:}"; then \
			failed="$$failed $${stage%%:*}"; \
			[ -n "$(KEEP_GOING)" ] || break; \
		fi; \
	done; \
	$(STAGE) --summary; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	skipped=$$(awk -F '\t' '$$2 ~ /^SKIPPED/ { printf " %s", $$1 }' $(BUILD)/stage-times.txt); \
	if [ -n "$$skipped" ]; then echo "make test: passed, but these stages were SKIPPED (see the summary for why):$$skipped"; \
	else echo "make test: all stages passed"; fi

# The action group must list every module, or module_defaults silently skips the missing ones.
check-action-group: venv-core
	$(VENV)/bin/python tests/utils/check_action_group.py

# Unit tests import the collection as ansible_collections.msp.cipp from the symlink made by `collection`.
unit: venv-core collection
	PYTHONPATH=$(COLLECTIONS) $(VENV)/bin/python -m pytest $(PYTEST_OPTS) tests/unit

unit-2.21: venv collection
	@$(skip_without_312) PYTHONPATH=$(COLLECTIONS) $(VENV221)/bin/python -m pytest $(PYTEST_OPTS) tests/unit

emulator-tests: venv-core
	PYTHONPATH=tests/emulator $(VENV)/bin/python -m pytest $(PYTEST_OPTS) tests/emulator/tests

# The harness runs the ansible-playbook of the venv whose python runs pytest (see tests/integration/conftest.py).
integration: venv-core collection
	$(call in_venv,$(VENV)) $(VENV)/bin/python -m pytest $(PYTEST_OPTS) -n $(INTEGRATION_WORKERS) tests/integration

# The same suite with every msp.cipp task on the classic module path (the action plugins step aside).
integration-module-path: venv-core collection
	$(call in_venv,$(VENV)) MSP_CIPP_TEST_EXECUTION=module $(VENV)/bin/python -m pytest $(PYTEST_OPTS) -n $(INTEGRATION_WORKERS) \
		tests/integration

integration-2.21: venv collection
	@$(skip_without_312) $(call in_venv,$(VENV221)) $(VENV221)/bin/python -m pytest $(PYTEST_OPTS) -n $(INTEGRATION_WORKERS) \
		tests/integration

# The resilience suite shares the integration harness (tests/resilience/conftest.py loads it).
resilience: venv-core collection
	$(call in_venv,$(VENV)) $(VENV)/bin/python -m pytest $(PYTEST_OPTS) -n $(INTEGRATION_WORKERS) tests/resilience

# The security suite (tests/security, one test per hardening item) shares the integration harness too.
security: venv-core collection
	$(call in_venv,$(VENV)) $(VENV)/bin/python -m pytest $(PYTEST_OPTS) -n $(INTEGRATION_WORKERS) tests/security

# `molecule test` of every role (roles/<role>/molecule/default), each against its own emulator; see tests/molecule/.
ROLES := $(notdir $(wildcard roles/*))
molecule: venv-core collection
	@for role in $(ROLES); do \
		echo "== molecule test: $$role"; \
		( cd roles/$$role && $(call in_venv,$(VENV)) ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1 $(VENV)/bin/molecule test ) || exit 1; \
	done

# Benchmarks: timing goals are reported (met or missed), correctness checks fail the run. Not part of make test;
# bench-smoke (every scenario, tiny, under a minute) is.
BENCH_OPTS ?=
bench: venv-core collection
	$(VENV)/bin/python tests/bench/run.py $(BENCH_OPTS)

bench-smoke: venv-core collection
	$(VENV)/bin/python tests/bench/run.py --smoke

sanity: sanity-2.19 sanity-2.21

# --venv: ansible-test builds one venv per sanity test (cached in ~/.ansible/test/venv) with the exact tool
# versions it pins, bootstrapping pip with the stand-in. --python X: test that one version only, so other
# interpreters missing from this machine cannot fail the run. No ignore files: everything must pass.
sanity-2.19: venv-core collection ansible-test-cache
	cd $(TEST_COPY) && HOME=$(BUILD)/ansible-test-home $(call in_venv,$(VENV)) $(VENV)/bin/ansible-test sanity --venv --python 3.11 --color no \
		$(SANITY_OPTS)

sanity-2.21: venv collection ansible-test-cache
	@$(skip_without_312) cd $(TEST_COPY) && HOME=$(BUILD)/ansible-test-home $(call in_venv,$(VENV221)) $(VENV221)/bin/ansible-test sanity --venv --python 3.12 --color no \
		$(SANITY_OPTS)

# ansible-lint resolves msp.cipp.* from .build/collections (offline, see .ansible-lint); antsibull-docs checks
# the plugin documentation the way docs sites render it.
lint: venv-core collection
	$(call in_venv,$(VENV)) ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) $(VENV)/bin/ansible-lint --nocolor
	$(call in_venv,$(VENV)) ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) \
		$(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs $(COLLECTION_LINK)

changelog-lint: venv-core
	$(VENV)/bin/antsibull-changelog lint

build: venv-core
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(BUILD) .

# Plugin, module, role and filter docs as reStructuredText, rendered by antsibull-docs from the collection itself.
DOCS_OUT := $(ROOT)/docs/collection
docs: venv-core collection
	VENV=$(VENV) tests/utils/render_docs.sh $(DOCS_OUT)

demo: venv-core collection
	VENV=$(VENV) tests/utils/emulator.sh demo

SANDBOX_PORT ?= 8787
sandbox: venv-core collection
	VENV=$(VENV) tests/utils/emulator.sh sandbox $(SANDBOX_PORT)

# Removes sanity's cached venvs and the get-pip stand-in too (they live in .build/ansible-test-home).
clean:
	rm -rf $(BUILD) tests/output .pytest_cache

distclean: clean
	rm -rf $(VENV) $(VENV221)
