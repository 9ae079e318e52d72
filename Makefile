# govhall: the front door. `make run` and `make test` set up a fresh machine by themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv is installed on first use (from PyPI) when the machine has none.
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: help uv sync pdf-libs browser run run-partner test test-unit test-fast infra infra-up infra-down up down status protos lint bench bench-province bench-growth eval-search image image-test clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv

uv: $(UV)

sync: $(UV) ## install the Python workspace (locked) into .venv
	@# Bytecode compiled once here, as the image does: with PYTHONDONTWRITEBYTECODE (set on many
	@# dev and CI machines) every start compiled every module again, 10 s of the all-in-one's start.
	$(UV) sync --frozen --quiet --compile-bytecode
	$(UV) run --frozen python -m compileall -q -j 0 libs/*/src services/*/src apps/*/src >/dev/null

run: sync pdf-libs ## all-in-one: every service in one process, embedded back ends, demo province on http://127.0.0.1:8000
	$(UV) run --frozen python -m govhall.allinone

# The partner province for cross-province handling (跨省通办): a second all-in-one as 湖南 430000
# beside `make run`'s 湖北 420000, on its own var dir and ports, sharing the development CA and
# keys the first of them made (README, "Cross-province").
run-partner: sync pdf-libs ## a second all-in-one as the partner province 湖南 430000 on http://127.0.0.1:8001
	GOVHALL_VAR_DIR=$(CURDIR)/var/partner GOVHALL_GATEWAY_PORT=8001 GOVHALL_ALLINONE_PROVINCE=430000 \
	GOVHALL_ALLINONE_CROSSPROVINCE_DIR=$(CURDIR)/var/crossprovince-allinone \
	$(UV) run --frozen python -m govhall.allinone

pdf-libs: ## the Debian packages PDF notices need (Pango, Noto CJK fonts, HarfBuzz subsetting)
	bash deploy/local/install-pdf.sh

browser: ## Debian's chromium and CJK fonts, which the portal's browser tests drive (Playwright)
	bash deploy/local/install-browser.sh

infra: ## install PostgreSQL, Redis, NATS and Elasticsearch (Debian packages, Maven Central)
	bash deploy/local/install.sh

infra-up: infra ## start the local servers on 127.0.0.1 and wait until they answer
	bash deploy/local/start.sh

infra-down: ## stop the local servers
	bash deploy/local/stop.sh

test: sync infra-up browser ## every test: unit, integration against the real servers, helm renders, e2e journeys, the portal in a browser
	$(UV) run --frozen pytest

test-fast: sync ## the tests that need no server (quick feedback while editing)
	$(UV) run --frozen pytest -m "not integration" --deselect tests/e2e --deselect tests/deploy -q

up: sync infra-up ## the local cluster: each service its own process against the real servers
	bash deploy/local/services.sh up

down: ## stop the services started by `make up` (the servers keep running; see infra-down)
	bash deploy/local/services.sh down

status: ## what runs
	-bash deploy/local/status.sh
	-bash deploy/local/services.sh status

protos: sync ## regenerate libs/protos from protos/ (commit the result)
	$(UV) run --frozen python libs/protos/generate.py

lint: sync ## ruff, formatting and mypy
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy libs/kit/src libs/sitecopy/src services/*/src apps/*/src

# `make bench` runs the province benchmark on a tenth of the province (30,200 matters, a few
# minutes); `make bench-province` on all of it.
BENCH_PROVINCE_ARGS ?= --matters-per-site 200
# `make bench` runs growth.py to 100,000 cases (two minutes); `make bench-growth` to a million.
BENCH_GROWTH_SMALL_ARGS ?= --sizes 10000,100000

bench: sync infra-up ## every benchmark, each printing a ratio against a baseline measured in the same run
	$(UV) run --frozen python bench/search_vs_bare.py
	$(UV) run --frozen python bench/identity_vs_bare.py
	$(UV) run --frozen python bench/cases_submissions.py
	$(UV) run --frozen python bench/consult_inbox.py
	$(UV) run --frozen python bench/appointments_booking.py
	$(UV) run --frozen python bench/crossprovince_handover.py
	$(UV) run --frozen python bench/province_scale.py $(BENCH_PROVINCE_ARGS)
	$(UV) run --frozen python bench/growth.py $(BENCH_GROWTH_SMALL_ARGS)
	$(UV) run --frozen python bench/startup_memory.py

# `make eval-search` measures search relevance on the demo province (services/search/relevance):
# hit@1, hit@3, MRR and the zero-result rate, embedded and Elasticsearch (needs `make infra-up`).
eval-search: sync ## search relevance on the demo province: hit@1, hit@3, MRR, zero results, both back ends
	$(UV) run --frozen python bench/eval_search.py $(EVAL_SEARCH_ARGS)

bench-province: sync infra-up ## the 300,000-matter province: generate, reindex, search (about 15 minutes)
	$(UV) run --frozen python bench/province_scale.py

# `make bench-growth`: cases' read paths (my cases, the staff queue, the status query, statistics)
# at 10,000, 100,000 and 1,000,000 cases; about 10 minutes here, most of it loading the million.
bench-growth: sync infra-up ## cost of cases' read paths against 10k, 100k and 1M cases (about 10 minutes)
	$(UV) run --frozen python bench/growth.py $(BENCH_GROWTH_ARGS)

# The one image of every service (deploy/image): buildah and mmdebstrap from Debian's packages,
# no container registry needed. Not part of `make test` (minutes on vfs storage).
image: ## build the image localhost/govhall:<chart appVersion> with buildah (deploy/image/Containerfile)
	bash deploy/image/build.sh

image-test: ## build the image, then check a service answers its health check inside it as UID 10001
	bash deploy/image/test.sh

clean: ## remove local state (databases, logs, indexes) under var/
	-bash deploy/local/stop.sh
	rm -rf var/
