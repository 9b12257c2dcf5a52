{{/* The release's full name, at most 63 characters. */}}
{{- define "nestor.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "nestor.selectorLabels" -}}
app.kubernetes.io/name: nestor-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "nestor.labels" -}}
{{ include "nestor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: nestor
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "nestor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nestor.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "nestor.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "nestor.runtimeImage" -}}
{{- printf "%s:%s" .Values.runtimeImage.repository (default (printf "%s-cpu" .Chart.AppVersion) .Values.runtimeImage.tag) -}}
{{- end -}}

{{/*
The operator's permissions in its watched namespaces. They must equal OperatorPermissions
(operator/Nestor.Operator/Hosting/OperatorPermissions.cs); tests/Nestor.Charts.Tests compares them.
*/}}
{{- define "nestor.watchedRules" -}}
- apiGroups: [nestor.dev]
  resources: [elasticmodels, budgettiers, compressionruns]
  verbs: [get, list, watch, update, patch]
- apiGroups: [nestor.dev]
  resources: [elasticmodels/status, budgettiers/status, compressionruns/status]
  verbs: [get, update, patch]
- apiGroups: [nestor.dev]
  resources: [elasticmodels/finalizers, budgettiers/finalizers, compressionruns/finalizers]
  verbs: [update]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [services, configmaps, persistentvolumeclaims]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [events]
  verbs: [get, create, patch]
{{- end -}}

{{/* Leader election, in the release namespace only. */}}
{{- define "nestor.leaseRules" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
{{- end -}}
