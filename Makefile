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
ENV ?= dev
EMAIL ?=
REGION ?=
STACK = execution-api-$(ENV)
AWS_CLI = aws $(if $(REGION),--region $(REGION))

CHROMIUM ?= chromium

.PHONY: install browser run token test test-repeat lint validate build format bench generate openapi screenshots first-user clean

$(STAMP): requirements-dev.txt layers/execution_api/pyproject.toml cli/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# aws-sam-cli in a venv of its own: its pins would fight the dev venv's.
$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

install: $(STAMP) browser

# The console's browser tests drive the distribution's Chromium (Playwright never downloads one).
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

run: $(STAMP)  ## serve the whole API on http://$(HOST):$(PORT)/api/v1 over an embedded AWS
	$(BIN)/python -m local --host $(HOST) --port $(PORT)

token: $(STAMP)  ## print a token the local server accepts: make token USER=bob@example.com [GROUPS=security-approvers] [UNVERIFIED=1]
	@$(BIN)/python -m local.token --user "$(USER)" --issuer "http://$(HOST):$(PORT)/local-idp" \
		$(if $(GROUPS),--groups "$(GROUPS)") $(if $(UNVERIFIED),--unverified)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml
	$(BIN)/mypy layers/execution_api/execution_api cli/execution_api_cli

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(SAM_STAMP)  ## sam validate --lint (SAM's own view of the template)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint

build: $(STAMP) $(SAM_STAMP)  ## sam build into .aws-sam/build, with the functions' runtime Python (python3.13)
	$(BIN)/python -m toolkit.build

test: $(STAMP) $(SAM_STAMP) browser lint validate
	$(BIN)/python -m toolkit.build --if-runtime-found
	$(BIN)/python -m pytest

test-repeat: $(STAMP)  ## run the concurrency tests N times in a row, stopping at the first failure: make test-repeat N=10
	@for run in $$(seq $(N)); do \
		echo "== run $$run of $(N)"; \
		$(BIN)/python -m pytest -q -m concurrency || { echo "run $$run of $(N) failed"; exit 1; }; \
	done; echo "$(N) of $(N) runs passed"

generate: $(STAMP)  ## write what template.yaml derives from config/ (the workflow catalogue's state machines, rule, IAM)
	$(BIN)/python -m toolkit.generate

openapi: $(STAMP)  ## regenerate openapi.json from the functions' routes
	$(BIN)/python -m local.openapi

screenshots: $(STAMP) browser  ## regenerate docs/screenshots/*.png (the README's) from a fresh local server
	$(BIN)/python -m tests.browser.screenshots

bench: $(STAMP) $(SAM_STAMP)  ## prints a table and writes bench/results.json
	$(BIN)/python -m bench

first-user:  ## invite EMAIL to the deployed stack's user pool as an admin: make first-user EMAIL=you@example.com [ENV=dev] [REGION=us-east-1]
	@test -n "$(EMAIL)" || { echo "usage: make first-user EMAIL=you@example.com [ENV=dev] [REGION=...]"; exit 2; }
	@pool=$$($(AWS_CLI) cloudformation describe-stacks --stack-name $(STACK) --output text \
		--query "Stacks[0].Outputs[?OutputKey=='UserPoolId'].OutputValue") && \
	{ test -n "$$pool" && test "$$pool" != None; } || { echo "$(STACK) has no user pool (deployed with CreateUserPool=false?)"; exit 1; } && \
	admins=$$($(AWS_CLI) cloudformation describe-stacks --stack-name $(STACK) --output text \
		--query "Stacks[0].Parameters[?ParameterKey=='AdminGroup'].ParameterValue") && \
	console=$$($(AWS_CLI) cloudformation describe-stacks --stack-name $(STACK) --output text \
		--query "Stacks[0].Outputs[?OutputKey=='ConsoleUrl'].OutputValue") && \
	$(AWS_CLI) cognito-idp admin-create-user --user-pool-id "$$pool" --username "$(EMAIL)" \
		--user-attributes Name=email,Value="$(EMAIL)" Name=email_verified,Value=true \
		--desired-delivery-mediums EMAIL > /dev/null && \
	$(AWS_CLI) cognito-idp admin-add-user-to-group --user-pool-id "$$pool" --group-name "$$admins" --username "$(EMAIL)" && \
	echo "$(EMAIL) is invited (a temporary password is on its way by email) and is in $$admins." && \
	echo "Sign in at $$console"

clean:
	rm -rf $(VENV) $(SAM_VENV) .venv-runtime .aws-sam .pytest_cache .ruff_cache .mypy_cache .local
