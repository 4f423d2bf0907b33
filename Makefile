# Two commands set everything up: `make run` (the local stack) and `make test`.
# Both create .venv from requirements-dev.txt when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run seed test bench clean deploy package model web web-if-possible

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
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
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "web client not built: install Node.js 20+ and npm to get it on http://127.0.0.1:$(WEB_PORT)"; fi

# The stack in the foreground, the web client's static server beside it (stopped with it).
run: $(STAMP) web-if-possible
	@if [ -f web/dist/index.html ]; then \
	  $(PY) web/serve.py --port $(WEB_PORT) --outputs "$${LOCAL_STATE_DIR:-.local}/outputs.json" & \
	  web_pid=$$!; trap 'kill $$web_pid 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(PY) -m infra.local.stack

seed: $(STAMP)
	$(PY) -m infra.local.seed

test: $(STAMP) web-if-possible
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .local .pytest_cache web/node_modules web/dist

# `make deploy STAGE=dev|prod [PARAMS="AllowedOrigins=https://app.example.org AlarmEmail=ops@example.org"]`:
# the CloudFormation stack, its outputs into .chalice/config.json, chalice deploy,
# API throttling (infra/cloud/deploy.py). Needs AWS credentials; see README.
deploy: $(STAMP) web-if-possible
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=dev|prod [PARAMS='Key=Value ...']"; exit 2; }
	$(PY) -m infra.cloud.deploy --stage $(STAGE) $(foreach p,$(PARAMS),--parameter $(p))
	$(PY) web/deploy.py --stage $(STAGE)

# `make package [STAGE=prod]`: chalice package into dist/package, then each zip's
# size, the unzipped total and the checks against Lambda's limits.
package: $(STAMP)
	$(PY) -m infra.cloud.package_check --stage $(or $(STAGE),prod) --out dist/package

# `make model`: rebuild the embedding model the app ships (chalicelib/knowledge/model/) from
# sentence-transformers' all-MiniLM-L6-v2, in its own venv with torch (CPU build):
# exported, checked against the reference, SHA-256 printed (the same bytes every
# run). `make model MODEL_ARGS=--compare` also measures model2vec and int8 ONNX.
MODEL_VENV := .venv-model
MODEL_STAMP := $(MODEL_VENV)/.installed

$(MODEL_STAMP): requirements-model.txt
	test -x $(MODEL_VENV)/bin/python || $(PYTHON) -m venv $(MODEL_VENV)
	$(MODEL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MODEL_VENV)/bin/python -m pip install --quiet -r requirements-model.txt
	touch $(MODEL_STAMP)

model: $(MODEL_STAMP)
	HF_HUB_OFFLINE=1 $(MODEL_VENV)/bin/python scripts/build_model.py $(MODEL_ARGS)
