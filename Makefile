# The two commands: `make run` serves the API locally, `make test` runs everything CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_ENV := SAM_CLI_TELEMETRY=0 SAM_CLI_DISABLE_VERSION_CHECK=1 AWS_DEFAULT_REGION=us-east-1
HOST ?= 127.0.0.1
PORT ?= 8080
USER ?= alice@example.com
GROUPS ?=
N ?= 10

.PHONY: install run token test test-repeat lint validate build format bench openapi clean

$(STAMP): requirements-dev.txt layers/execution_api/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# aws-sam-cli in a venv of its own: its pins would fight the dev venv's.
$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

install: $(STAMP)

run: $(STAMP)  ## serve the whole API on http://$(HOST):$(PORT)/api/v1 over an embedded AWS
	$(BIN)/python -m local --host $(HOST) --port $(PORT)

token: $(STAMP)  ## print a token the local server accepts: make token USER=bob@example.com [GROUPS=security-approvers] [UNVERIFIED=1]
	@$(BIN)/python -m local.token --user "$(USER)" --issuer "http://$(HOST):$(PORT)/local-idp" \
		$(if $(GROUPS),--groups "$(GROUPS)") $(if $(UNVERIFIED),--unverified)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	$(BIN)/mypy layers/execution_api/execution_api

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(SAM_STAMP)  ## sam validate --lint (SAM's own view of the template)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint

build: $(STAMP) $(SAM_STAMP)  ## sam build into .aws-sam/build, with the functions' runtime Python (python3.13)
	$(BIN)/python -m toolkit.build

test: $(STAMP) $(SAM_STAMP) lint validate
	$(BIN)/python -m toolkit.build --if-runtime-found
	$(BIN)/python -m pytest

test-repeat: $(STAMP)  ## run the concurrency tests N times in a row, stopping at the first failure: make test-repeat N=10
	@for run in $$(seq $(N)); do \
		echo "== run $$run of $(N)"; \
		$(BIN)/python -m pytest -q -m concurrency || { echo "run $$run of $(N) failed"; exit 1; }; \
	done; echo "$(N) of $(N) runs passed"

openapi: $(STAMP)  ## regenerate openapi.json from the functions' routes
	$(BIN)/python -m local.openapi

bench: $(STAMP) $(SAM_STAMP)  ## prints a table and writes bench/results.json
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(SAM_VENV) .venv-runtime .aws-sam .pytest_cache .ruff_cache .mypy_cache .local
