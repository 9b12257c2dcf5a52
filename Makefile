# Nestor: one entry point for building, testing, running and benchmarking.
# A fresh machine needs only `make run` and `make test`; both run `setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIGURATION ?= Debug
NESTOR := dotnet run --project runtime/Nestor.Runtime -c $(CONFIGURATION) --
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help setup build test run bench lint format crds images images-check images-docker clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

setup: ## Install missing host tools (idempotent)
	@build/setup.sh

build: setup ## Build the whole solution
	dotnet build Operator.sln -c $(CONFIGURATION)

test: setup ## Build and run every test project; ends with "N passed, N failed"
	@CONFIGURATION=$(CONFIGURATION) build/run-tests.sh

run: setup ## The main job, on one machine, with no cluster
	$(NESTOR) doctor

bench: setup ## Run every benchmark
	$(NESTOR) doctor

lint: ## Check formatting and code style (no changes made)
	dotnet format Operator.sln --verify-no-changes

format: ## Fix formatting and code style
	dotnet format Operator.sln

crds: ## Generate crds/*.yaml from the C# types
	dotnet run --project operator/Nestor.CrdGen -c $(CONFIGURATION) -- crds

images: ## Build the operator and runtime (CPU) images offline as OCI archives in artifacts/images (root)
	@build/setup.sh images
	@images/build.sh

images-check: images ## Run the images' entrypoints in their unpacked root filesystems; check their config
	@images/check.sh

images-docker: ## Build images/*/Dockerfile with buildah against local stand-in base images, then check them (slow)
	@build/setup.sh images
	@images/dockerfiles-check.sh

clean: ## Remove build outputs
	dotnet clean Operator.sln -nologo -v q || true
	find . -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
	rm -rf artifacts .nestor/images
