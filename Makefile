# Two commands set everything up: `make run` (the local stack) and `make test`.
# Both create .venv from requirements-dev.txt when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run seed test bench clean deploy package model

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m infra.local.stack

seed: $(STAMP)
	$(PY) -m infra.local.seed

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .local .pytest_cache

# `make deploy STAGE=dev|prod [PARAMS="AllowedOrigins=https://app.example.org AlarmEmail=ops@example.org"]`:
# the CloudFormation stack, its outputs into .chalice/config.json, chalice deploy,
# API throttling (infra/cloud/deploy.py). Needs AWS credentials; see README.
deploy: $(STAMP)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=dev|prod [PARAMS='Key=Value ...']"; exit 2; }
	$(PY) -m infra.cloud.deploy --stage $(STAGE) $(foreach p,$(PARAMS),--parameter $(p))

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
