{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "tensorfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "tensorfleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "tensorfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "tensorfleet.labels" -}}
helm.sh/chart: {{ include "tensorfleet.chart" . }}
{{ include "tensorfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tensorfleet
{{- end }}

{{/* Selector labels; add app.kubernetes.io/component per workload. */}}
{{- define "tensorfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tensorfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: (dict "context" $ "component" "api"). */}}
{{- define "tensorfleet.componentLabels" -}}
{{ include "tensorfleet.labels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Selector labels of one component: (dict "context" $ "component" "api"). */}}
{{- define "tensorfleet.componentSelectorLabels" -}}
{{ include "tensorfleet.selectorLabels" .context }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "tensorfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tensorfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference. */}}
{{- define "tensorfleet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the Secret with MONGODB_URL and REDIS_URL. */}}
{{- define "tensorfleet.secretName" -}}
{{- default (include "tensorfleet.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* Names of the bundled databases' resources. */}}
{{- define "tensorfleet.mongodb.fullname" -}}
{{- printf "%s-mongodb" (include "tensorfleet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tensorfleet.redis.fullname" -}}
{{- printf "%s-redis" (include "tensorfleet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tensorfleet.mongodb.secretName" -}}
{{- default (include "tensorfleet.mongodb.fullname" .) .Values.mongodb.auth.existingSecret }}
{{- end }}

{{/*
A password kept across upgrades: the value given, else the one in the live Secret, else a new
random one. Memoised in .Values so every template of one render sees the same password.
Arguments: (dict "context" $ "values" <map holding the key> "key" "<key in that map>"
"secret" "<Secret name>" "secretKey" "<key in the Secret>").
*/}}
{{- define "tensorfleet.password" -}}
{{- $values := .values }}
{{- if not (index $values .key) }}
{{- $live := lookup "v1" "Secret" .context.Release.Namespace .secret }}
{{- if and $live $live.data (hasKey $live.data .secretKey) }}
{{- $_ := set $values .key (index $live.data .secretKey | b64dec) }}
{{- else }}
{{- $_ := set $values .key (randAlphaNum 32) }}
{{- end }}
{{- end }}
{{- index $values .key }}
{{- end }}

{{- define "tensorfleet.mongodb.rootPassword" -}}
{{- include "tensorfleet.password" (dict "context" . "values" .Values.mongodb.auth "key" "rootPassword" "secret" (include "tensorfleet.mongodb.fullname" .) "secretKey" "mongodb-root-password") }}
{{- end }}

{{- define "tensorfleet.mongodb.appPassword" -}}
{{- include "tensorfleet.password" (dict "context" . "values" .Values.mongodb.auth "key" "appPassword" "secret" (include "tensorfleet.mongodb.fullname" .) "secretKey" "mongodb-app-password") }}
{{- end }}

{{- define "tensorfleet.redis.password" -}}
{{- include "tensorfleet.password" (dict "context" . "values" .Values.redis.auth "key" "password" "secret" (include "tensorfleet.redis.fullname" .) "secretKey" "redis-password") }}
{{- end }}

{{/* The bootstrap admin key: given, else kept from the live Secret, else a new random one. */}}
{{- define "tensorfleet.bootstrapAdminKey" -}}
{{- include "tensorfleet.password" (dict "context" . "values" .Values.auth "key" "bootstrapAdminKey" "secret" (include "tensorfleet.fullname" .) "secretKey" "BOOTSTRAP_ADMIN_KEY") }}
{{- end }}

{{/* The database the app uses (config.MONGODB_DB). */}}
{{- define "tensorfleet.mongodb.database" -}}
{{- .Values.config.MONGODB_DB | default "tensorfleet" }}
{{- end }}

{{/* MONGODB_URL: the bundled MongoDB's, as the app's own user (readWrite on its database only,
made by the mongodb-user Job), or externalMongodb.url. */}}
{{- define "tensorfleet.mongodbUrl" -}}
{{- if .Values.mongodb.enabled }}
{{- $db := include "tensorfleet.mongodb.database" . }}
{{- printf "mongodb://%s:%s@%s:27017/%s?authSource=%s" (.Values.mongodb.auth.appUsername | urlquery) (include "tensorfleet.mongodb.appPassword" . | urlquery) (include "tensorfleet.mongodb.fullname" .) $db $db }}
{{- else }}
{{- required "MongoDB: set externalMongodb.url (your MongoDB 7) or externalMongodb.existingSecret (a Secret holding it), or mongodb.enabled=true (an in-cluster MongoDB for evaluation), or existingSecret (a Secret with MONGODB_URL and REDIS_URL)" .Values.externalMongodb.url }}
{{- end }}
{{- end }}

{{/* REDIS_URL: the bundled Redis's, or externalRedis.url. */}}
{{- define "tensorfleet.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://:%s@%s:6379/0" (include "tensorfleet.redis.password" . | urlquery) (include "tensorfleet.redis.fullname" .) }}
{{- else }}
{{- required "Redis: set externalRedis.url or externalRedis.existingSecret (a Secret holding it), or redis.enabled=true (an in-cluster Redis for evaluation), or existingSecret (a Secret with MONGODB_URL and REDIS_URL)" .Values.externalRedis.url }}
{{- end }}
{{- end }}

{{/* Checks of combinations the schema cannot express. */}}
{{- define "tensorfleet.validate" -}}
{{- if and .Values.mongodb.enabled .Values.mongodb.auth.existingSecret (not .Values.existingSecret) }}
{{- fail "mongodb.auth.existingSecret needs existingSecret too: the chart cannot read the password to build MONGODB_URL" }}
{{- end }}
{{- if and .Values.worker.keda.enabled (not .Values.redis.enabled) (not .Values.worker.keda.redis.address) }}
{{- fail "worker.keda.enabled with an external Redis needs worker.keda.redis.address (host:port)" }}
{{- end }}
{{- end }}

{{/* The API's credentials beyond the URLs: the bootstrap admin key and the metrics token. With
auth on, the admin key is required in existingSecret too: on a fresh database the API cannot
start without one, and a missing key then stops the pod with a message that names the key
(CreateContainerConfigError) instead of a crash loop. METRICS_TOKEN stays optional there. */}}
{{- define "tensorfleet.apiSecretEnv" -}}
- name: BOOTSTRAP_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "tensorfleet.secretName" . }}
      key: BOOTSTRAP_ADMIN_KEY
      {{- if and .Values.existingSecret (not .Values.auth.enabled) }}
      optional: true
      {{- end }}
{{- if or .Values.existingSecret .Values.auth.metricsToken }}
- name: METRICS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "tensorfleet.secretName" . }}
      key: METRICS_TOKEN
      {{- if .Values.existingSecret }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{/* Environment shared by the API and the workers: settings from the ConfigMap, URLs from the Secret. */}}
{{- define "tensorfleet.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "tensorfleet.fullname" . }}
env:
  - name: MONGODB_URL
    valueFrom:
      secretKeyRef:
        {{- include "tensorfleet.urlRef" (dict "context" . "db" "mongodb" "key" "MONGODB_URL") | trim | nindent 8 }}
  - name: REDIS_URL
    valueFrom:
      secretKeyRef:
        {{- include "tensorfleet.urlRef" (dict "context" . "db" "redis" "key" "REDIS_URL") | trim | nindent 8 }}
{{- end }}

{{/* The Secret of externalMongodb or externalRedis (db: mongodb or redis) that holds its URL,
when one is named and that database is neither bundled nor in existingSecret; else empty. */}}
{{- define "tensorfleet.externalUrlSecret" -}}
{{- $values := .context.Values }}
{{- $external := index $values (get (dict "mongodb" "externalMongodb" "redis" "externalRedis") .db) }}
{{- if not (or $values.existingSecret (index $values .db).enabled) }}
{{- $external.existingSecret }}
{{- end }}
{{- end }}

{{/* A secretKeyRef's name and key for one URL (key: MONGODB_URL or REDIS_URL): existingSecret,
else the database's own existing Secret, else the chart's Secret. */}}
{{- define "tensorfleet.urlRef" -}}
{{- $external := include "tensorfleet.externalUrlSecret" . }}
{{- if $external }}
name: {{ $external }}
key: {{ (index .context.Values (get (dict "mongodb" "externalMongodb" "redis" "externalRedis") .db)).existingSecretKey | default .key }}
{{- else }}
name: {{ include "tensorfleet.secretName" .context }}
key: {{ .key }}
{{- end }}
{{- end }}

{{/* Pod annotations that roll the pods when the configuration or the connection Secret changes. */}}
{{- define "tensorfleet.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/* The bundled Redis's address as KEDA must dial it: namespace-qualified, because the KEDA
operator resolves a short service name in its own namespace (kedacore/keda#6247). */}}
{{- define "tensorfleet.redis.address" -}}
{{- printf "%s.%s.svc:6379" (include "tensorfleet.redis.fullname" .) .Release.Namespace }}
{{- end }}

{{/* The writable /tmp of a read-only root file system. */}}
{{- define "tensorfleet.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{/* NetworkPolicy peers: this release's API and worker pods. */}}
{{- define "tensorfleet.appPeers" -}}
- podSelector:
    matchLabels:
      {{- include "tensorfleet.componentSelectorLabels" (dict "context" . "component" "api") | nindent 6 }}
- podSelector:
    matchLabels:
      {{- include "tensorfleet.componentSelectorLabels" (dict "context" . "component" "worker") | nindent 6 }}
{{- end }}
