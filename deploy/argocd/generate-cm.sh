#!/usr/bin/env bash
# Writes argocd-cm-health.yaml from health/*.lua (`make argocd-cm`); a test checks they agree.
set -euo pipefail
cd "$(dirname "$0")"
{
  cat <<'HEADER'
# Argo CD health checks for Nestor's kinds: merge `data` into the argocd-cm ConfigMap of your
# Argo CD namespace (docs/gitops-argocd.md), e.g.:
#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file deploy/argocd/argocd-cm-health.yaml
# Generated from health/*.lua: keep them identical (tests/Nestor.Charts.Tests checks).
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels:
    app.kubernetes.io/part-of: argocd
data:
HEADER
  for pair in ElasticModel:elasticmodel BudgetTier:budgettier CompressionRun:compressionrun; do
    echo "  resource.customizations.health.nestor.dev_${pair%%:*}: |"
    sed -e 's/^\(.\)/    \1/' "health/${pair#*:}.lua"
  done
} >argocd-cm-health.yaml.tmp
mv -f argocd-cm-health.yaml.tmp argocd-cm-health.yaml
