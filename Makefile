# Hub: `make run` serves the example config on a local Postgres; `make test` runs every test
# against real loopback services; `make bench` measures ingest, relay and end-to-end latency.
SHELL := /bin/bash

.PHONY: run test bench build deps clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    install what is missing, start a local Postgres under .hub/, serve config/hub.example.yaml"
	@echo "make test   install what is missing, start loopback services, run all tests, stop them"
	@echo "make bench  durable Postgres + hub + sink; ingest, relay and end-to-end figures"
	@echo "make build  debug build of hub and hub-sink"

deps:
	@scripts/deps.sh

build: deps
	swift build

run: deps
	@scripts/run.sh

test: deps
	@scripts/test.sh

bench: deps
	@scripts/deps.sh bench
	@bash scripts/bench.sh

clean:
	rm -rf .build .hub
