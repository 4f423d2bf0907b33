# Two commands set everything up: `make run` (the local stack) and `make test`.
# Both create .venv from requirements-dev.txt when it is missing or out of date.
#
# Python 3.13 everywhere (docs/DESIGN.md section 2): the Lambda runtime follows the
# Python that runs `chalice deploy`. Found without help: python3.13 on PATH (a pyenv
# shim only counts when it runs), then pyenv's versions directory; `make PYTHON=...`
# overrides.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON ?= $(shell for p in python3.13 python3 $(PYENV_ROOT)/versions/3.13*/bin/python3.13 \
	/usr/local/bin/python3.13 /usr/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 \
	&& { command -v "$$p"; break; }; done)
NEED_PYTHON = $(if $(PYTHON),,$(error Python 3.13 not found: install it (apt-get install python3.13 python3.13-venv, or pyenv install 3.13), or run make PYTHON=/path/to/python3.13))
VENV := .venv
PY := $(VENV)/bin/python
# The stamp names the Python, so a venv of another version is rebuilt.
STAMP := $(VENV)/.installed-3.13
# `make PY=/some/python seed` (tests/e2e/test_readme.py runs the README's make commands
# with its own interpreter) uses that Python as it is: no venv is built or touched.
DEPS := $(if $(filter $(VENV)/bin/python,$(PY)),$(STAMP))

# pip, quietly: where pip's settings name package indexes that lack a package, pip warns
# once a package ("WARNING: Location '...' is ignored: it is neither a file nor a
# directory", about 120 lines on a fresh install). Those lines are dropped; every other
# warning and error is shown, and pip's exit status is kept. The machine's pip
# configuration is left as it is.
PIP_NOISE := ^WARNING: Location '.*' is ignored: it is neither a file nor a directory
pip_install = echo "$(1) -m pip install --quiet $(2)"; log=$$(mktemp); \
	$(1) -m pip install --quiet $(2) >"$$log" 2>&1; status=$$?; \
	grep -v "$(PIP_NOISE)" "$$log"; rm -f "$$log"; exit $$status

.PHONY: run seed test lint bench clean deploy package model credits logs rollback smoke web web-if-possible

$(STAMP): requirements.txt requirements-dev.txt
	$(NEED_PYTHON)
	$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@$(call pip_install,$(PY),--upgrade pip)
	@$(call pip_install,$(PY),-r requirements-dev.txt)
	touch $(STAMP)

# The web client (web/, docs/DESIGN.md section 11): `npm ci` when the lockfile changes,
# `npm run build` when a source changes; both skipped otherwise (stamp files).
# Without npm, `make run` and `make test` go on without it and say so.
WEB_PORT ?= 3000
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json \
	web/package-lock.json web/tsconfig.json web/vite.config.ts
WEB_DEPS := web/node_modules/.installed
WEB_BUILT := web/dist/.built

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build
	touch $@

web: $(WEB_BUILT)

# Builds the client when npm is here; otherwise one line, and the rest goes on.
web-if-possible:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory -s web; \
	else echo "web client not built: install Node.js 20+ and npm to get it on http://127.0.0.1:$(WEB_PORT)"; fi

# The stack in the foreground, serving the web client on WEB_PORT once it is built (its
# origin always allowed; a taken WEB_PORT stops it with one line, like the API's port).
run: $(DEPS) web-if-possible
	@$(PY) -m infra.local.stack --web-port $(WEB_PORT) $$([ -f web/dist/index.html ] && echo --web)

seed: $(DEPS)
	$(PY) -m infra.local.seed

# `make credits EMAIL=ada@example.com CREDITS=20`: an `adjustment` in the local stack's
# ledger (local stage only; infra/local/credits.py).
credits: $(DEPS)
	@test -n "$(EMAIL)" -a -n "$(CREDITS)" || { echo "usage: make credits EMAIL=you@example.com CREDITS=n"; exit 2; }
	@$(PY) -m infra.local.credits --email "$(EMAIL)" --credits "$(CREDITS)"

# ruff and mypy (pinned in requirements-dev.txt, configured in pyproject.toml) fail the
# run on any finding, before the tests.
lint: $(DEPS)
	$(PY) -m ruff check .
	$(PY) -m mypy

# The whole suite, slow and browser tests included, on pytest-xdist: pytest.ini's
# `-n auto --dist loadgroup` starts one worker per CPU, and tests/conftest.py keeps the
# tests that share a costly fixture (a stack process, Chromium) on one worker. To debug
# in one process: `.venv/bin/python -m pytest -n 0 tests/...` (--pdb does that itself).
test: $(DEPS) web-if-possible lint
	$(PY) -m pytest

bench: $(DEPS)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .local .pytest_cache .hypothesis .chalice/deployments dist web/node_modules web/dist

# `make deploy STAGE=dev|staging|prod [PARAMS="AllowedOrigins=https://app.example.org AlarmEmail=ops@example.org"]`:
# the CloudFormation stack, its outputs into .chalice/config.json, chalice deploy,
# API throttling (infra/cloud/deploy.py). Needs AWS credentials; see README.
deploy: $(DEPS) web-if-possible
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=dev|staging|prod [PARAMS='Key=Value ...']"; exit 2; }
	$(PY) -m infra.cloud.deploy --stage $(STAGE) $(foreach p,$(PARAMS),--parameter $(p))
	$(PY) web/deploy.py --stage $(STAGE)

# `make logs STAGE=dev|staging|prod [FUNCTION=api_handler|process_video|dead_letter|cleanup]
# [SINCE=1h] [FOLLOW=1]`: the function's CloudWatch logs, through `chalice logs`.
logs: $(DEPS)
	@test -n "$(STAGE)" || { echo "usage: make logs STAGE=dev|staging|prod [FUNCTION=process_video] [SINCE=1h] [FOLLOW=1]"; exit 2; }
	$(PY) -m infra.cloud.deploy --stage $(STAGE) --logs $(or $(FUNCTION),api_handler) --since $(or $(SINCE),1h) $(if $(FOLLOW),--follow)

# `make smoke STAGE=...`: the deployed API answers (health, 404, 401); deploy.yml runs it
# after every deploy and rolls back when it fails (infra/cloud/smoke.py).
smoke: $(DEPS)
	@test -n "$(STAGE)" || { echo "usage: make smoke STAGE=dev|staging|prod [URL=https://...]"; exit 2; }
	$(PY) -m infra.cloud.smoke --stage $(STAGE) $(if $(URL),--url $(URL))

# `make rollback STAGE=...`: redeploy the commit deployed before the current one (each
# deploy records its commit beside Chalice's deployed state; infra/cloud/deploy.py).
rollback: $(DEPS)
	@test -n "$(STAGE)" || { echo "usage: make rollback STAGE=dev|staging|prod"; exit 2; }
	$(PY) -m infra.cloud.deploy --stage $(STAGE) --rollback

# `make package [STAGE=prod]`: chalice package into dist/package, then each zip's
# size, the unzipped total and the checks against Lambda's limits.
package: $(DEPS)
	$(PY) -m infra.cloud.package_check --stage $(or $(STAGE),prod) --out dist/package

# `make model`: rebuild the embedding model the app ships (chalicelib/knowledge/model/) from
# sentence-transformers' all-MiniLM-L6-v2, in its own venv with torch (CPU build):
# exported, checked against the reference, SHA-256 printed (the same bytes every
# run). `make model MODEL_ARGS=--compare` also measures model2vec and int8 ONNX.
MODEL_VENV := .venv-model
MODEL_STAMP := $(MODEL_VENV)/.installed

$(MODEL_STAMP): requirements-model.txt
	$(NEED_PYTHON)
	test -x $(MODEL_VENV)/bin/python || $(PYTHON) -m venv $(MODEL_VENV)
	@$(call pip_install,$(MODEL_VENV)/bin/python,--upgrade pip)
	@$(call pip_install,$(MODEL_VENV)/bin/python,-r requirements-model.txt)
	touch $(MODEL_STAMP)

model: $(MODEL_STAMP)
	HF_HUB_OFFLINE=1 $(MODEL_VENV)/bin/python scripts/build_model.py $(MODEL_ARGS)
