# Nestor: one entry point for building, testing, running and benchmarking.
# A fresh machine needs only `make run` and `make test`; both run `setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIGURATION ?= Debug
NESTOR := dotnet run --project runtime/Nestor.Runtime -c $(CONFIGURATION) --
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help setup build test run bench bench-kernels bench-train lint format crds operator apiserver images images-check images-docker clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

setup: ## Install missing host tools (idempotent)
	@build/setup.sh

build: setup ## Build the whole solution
	dotnet build Operator.sln -c $(CONFIGURATION)

test: setup ## Build and run every test project; ends with "N passed, N failed"
	@CONFIGURATION=$(CONFIGURATION) build/run-tests.sh

run: setup ## The main job, on one machine, with no cluster (for now: the kernels smoke run)
	$(NESTOR) doctor
	$(NESTOR) bench kernels --smoke

bench: setup bench-kernels ## Run every benchmark
	$(NESTOR) doctor

bench-kernels: setup ## Kernel prefill/decode tokens/s per budget and budget-switch time (last line: JSON)
	dotnet run --project runtime/Nestor.Runtime -c Release -- bench kernels

bench-train: setup ## Elastify the shipped teacher vs naive pruning and separate distillation: table, last line JSON (long)
	dotnet run --project runtime/Nestor.Runtime -c Release -- bench train $(BENCH_TRAIN_ARGS)

bench-operator: setup ## Operator core: 1000 objects against the local API server (last line: JSON)
	dotnet run --project bench/Nestor.Bench.Operator -c Release -- $(BENCH_OPERATOR_ARGS)

lint: ## Check formatting and code style (no changes made)
	dotnet format Operator.sln --verify-no-changes

format: ## Fix formatting and code style
	dotnet format Operator.sln

APISERVER_KUBECONFIG ?= .nestor/kubeconfig
export APISERVER_KUBECONFIG

apiserver: ## Run the local Kubernetes API server (foreground); writes a kubeconfig to APISERVER_KUBECONFIG (default .nestor/kubeconfig)
	dotnet run --project local/Nestor.ApiServer -c $(CONFIGURATION) -- --kubeconfig "$(APISERVER_KUBECONFIG)" $(APISERVER_ARGS)

crds: ## Generate crds/*.yaml and docs/crd-reference.md from the C# types
	dotnet run --project operator/Nestor.CrdGen -c $(CONFIGURATION) -- --root .

operator: setup ## Run the operator in the foreground against $$KUBECONFIG (outside a cluster)
	dotnet run --project operator/Nestor.Operator -c $(CONFIGURATION) -- --metrics-address $${METRICS_ADDRESS:-127.0.0.1:8080} $(OPERATOR_ARGS)

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
