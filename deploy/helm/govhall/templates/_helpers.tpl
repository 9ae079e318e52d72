{{/*
Shared templates. A service's template file builds a context
  (dict "root" $ "name" "<service>")
and includes govhall.configmap, govhall.deployment, govhall.service and govhall.servicemonitor
with it; everything about the service comes from .Values.services.<service>. A service that
keeps keys in the shared Redis adds "kvNamespace" true to the context and gets
GOVHALL_<SERVICE>_KV_NAMESPACE from redis.kvNamespace (identity, the gateway and every service
checking sessions must agree).
"trustedProxies" (the gateway: ingress.trustedProxies) becomes GOVHALL_<SERVICE>_TRUSTED_PROXIES.
A service with a `files` section (cases: uploaded materials and generated notices) also includes
govhall.filesclaim: a PersistentVolumeClaim unless files.existingClaim names one, mounted into
every pod at files.mountPath, which becomes GOVHALL_<SERVICE>_FILES_DIR.
A service's credentials (trust key and bundle, NATS, Redis, Elasticsearch, database password)
come from _credentials.tpl: secretKeyRefs and the trust volumes, all from existing Secrets.
*/}}

{{- define "govhall.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "govhall.fullname" -}}
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

{{- define "govhall.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <fullname>-<service>: the name of every object of one service. */}}
{{- define "govhall.componentName" -}}
{{- printf "%s-%s" (include "govhall.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* GOVHALL_<SERVICE>_: the prefix of a service's own settings. */}}
{{- define "govhall.envPrefix" -}}
{{- printf "GOVHALL_%s_" (.name | upper | replace "-" "_") }}
{{- end }}

{{- define "govhall.selectorLabels" -}}
app.kubernetes.io/name: {{ include "govhall.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "govhall.labels" -}}
helm.sh/chart: {{ include "govhall.chart" .root }}
{{ include "govhall.selectorLabels" . }}
app.kubernetes.io/version: {{ include "govhall.imageTag" .root | quote }}
app.kubernetes.io/part-of: govhall
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
govhall/site-code: {{ .root.Values.site.code | quote }}
govhall/site-level: {{ .root.Values.site.level | quote }}
{{- end }}

{{- define "govhall.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "govhall.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "govhall.imageTag" .) }}
{{- end }}

{{/* ConfigMap: the site, the shared back ends and the service's own non-secret settings. */}}
{{/*
This site instance's JetStream domain: nats.jetstreamDomain, or <level>-<code> (city-420500).
*/}}
{{- define "govhall.jetstreamDomain" -}}
{{- .Values.nats.jetstreamDomain | default (printf "%s-%s" .Values.site.level .Values.site.code) -}}
{{- end }}

{{/*
The subject namespace the kit puts in front of every subject with a stream prefix other than
GOVHALL (govhall.kit.bus.JetStreamBus): "" or "<prefix in lower case>.".
*/}}
{{- define "govhall.subjectNamespace" -}}
{{- if ne .Values.nats.streamPrefix "GOVHALL" }}{{ lower .Values.nats.streamPrefix }}.{{ end -}}
{{- end }}

{{/* Where people open the portal, without a trailing slash: portal.publicUrl, else
https://<the first ingress host that is no wildcard> when the ingress is enabled, else nothing. */}}
{{- define "govhall.publicUrl" -}}
{{- $portal := .Values.portal | default dict }}
{{- if $portal.publicUrl }}
{{- trimSuffix "/" $portal.publicUrl }}
{{- else if .Values.ingress.enabled }}
{{- $hosts := list }}
{{- range .Values.ingress.hosts | default list }}
{{- if not (hasPrefix "*" .) }}{{ $hosts = append $hosts . }}{{ end }}
{{- end }}
{{- with $hosts }}{{ printf "https://%s" (first .) }}{{ end }}
{{- end }}
{{- end }}

{{/* The portal's pages a service's QR codes open (under govhall.publicUrl), by setting. */}}
{{- define "govhall.portalPages" -}}
catalogue:
  GUIDE_URL_TEMPLATE: "/guide/{site_code}/{code}"
cases:
  VERIFY_URL_TEMPLATE: "/verify/notice/{document_id}?code={code}"
licences:
  VERIFY_URL_TEMPLATE: "/verify/licence?code={code}"
{{- end }}

{{- define "govhall.configmap" -}}
{{- $root := .root }}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
{{- $prefix := include "govhall.envPrefix" . }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "govhall.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "govhall.labels" . | nindent 4 }}
data:
  GOVHALL_SITE_CODE: {{ $root.Values.site.code | quote }}
  GOVHALL_SITE_LEVEL: {{ $root.Values.site.level | quote }}
  {{- with $root.Values.site.name }}
  GOVHALL_SITE_NAME: {{ . | quote }}
  {{- end }}
  {{- with $root.Values.nats.url }}
  GOVHALL_NATS_URL: {{ . | quote }}
  GOVHALL_JETSTREAM_DOMAIN: {{ include "govhall.jetstreamDomain" $root | quote }}
  {{- end }}
  GOVHALL_STREAM_PREFIX: {{ $root.Values.nats.streamPrefix | quote }}
  {{- with $root.Values.elasticsearch.url }}
  GOVHALL_ELASTICSEARCH_URL: {{ . | quote }}
  {{- end }}
  {{- with $root.Values.redis.url }}
  GOVHALL_REDIS_URL: {{ . | quote }}
  {{- end }}
  {{- if .kvNamespace }}
  {{ $prefix }}KV_NAMESPACE: {{ $root.Values.redis.kvNamespace | required "redis.kvNamespace is required" | quote }}
  {{- end }}
  GOVHALL_LOG_LEVEL: {{ $root.Values.logLevel | quote }}
  GOVHALL_VAR_DIR: "/tmp/govhall"
  OTEL_SERVICE_NAME: {{ printf "govhall-%s" .name | quote }}
  OTEL_RESOURCE_ATTRIBUTES: {{ printf "govhall.site.code=%s,govhall.site.level=%s" $root.Values.site.code $root.Values.site.level | quote }}
  {{- with $root.Values.otel.endpoint }}
  OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
  {{- end }}
  {{- if eq $svc.protocol "grpc" }}
  {{ $prefix }}GRPC_ADDRESS: {{ printf "[::]:%v" $svc.ports.grpc | quote }}
  {{ $prefix }}METRICS_PORT: {{ $svc.ports.metrics | quote }}
  {{- with $svc.workers }}
  {{ $prefix }}WORKERS: {{ . | quote }}
  {{- end }}
  {{- else }}
  {{ $prefix }}HOST: "0.0.0.0"
  {{ $prefix }}PORT: {{ $svc.ports.http | quote }}
  {{ $prefix }}METRICS_PORT: {{ $svc.ports.metrics | required (printf "services.%s.ports.metrics is required" .name) | quote }}
  {{- end }}
  {{- with .trustedProxies }}
  {{ $prefix }}TRUSTED_PROXIES: {{ join "," . | quote }}
  {{- end }}
  {{- range $upstream := $svc.upstreams }}
  {{- $up := index $root.Values.services $upstream | required (printf "services.%s.upstreams: no service %q" $.name $upstream) }}
  {{- if ne $up.protocol "grpc" }}
  {{- fail (printf "services.%s.upstreams: %s is not a gRPC service" $.name $upstream) }}
  {{- end }}
  {{ $prefix }}{{ $upstream | upper | replace "-" "_" }}_ADDRESS: {{ printf "%s:%v" (include "govhall.componentName" (dict "root" $root "name" $upstream)) $up.ports.grpc | quote }}
  {{- end }}
  {{- with $svc.files }}
  {{ $prefix }}FILES_DIR: {{ .mountPath | quote }}
  {{- end }}
  {{- with $svc.partner }}
  {{- /* crossprovince's partner endpoint: its port, and the files the partner volumes hold. */}}
  {{ $prefix }}PROVINCE_CODE: {{ .provinceCode | quote }}
  {{ $prefix }}PARTNER_PORT: {{ $svc.ports.partner | required "services.crossprovince.ports.partner is required" | quote }}
  {{ $prefix }}TLS_CERT_FILE: "/etc/govhall/partner/tls/tls.crt"
  {{ $prefix }}TLS_KEY_FILE: "/etc/govhall/partner/tls/tls.key"
  {{ $prefix }}CLIENT_CERT_FILE: "/etc/govhall/partner/client/tls.crt"
  {{ $prefix }}CLIENT_KEY_FILE: "/etc/govhall/partner/client/tls.key"
  {{ $prefix }}SIGNING_KEY_FILE: {{ printf "/etc/govhall/partner/signing/%s" .signingKey.key | quote }}
  {{ $prefix }}SIGNING_KEY_ID: {{ .signingKey.keyId | quote }}
  {{ $prefix }}PARTNERS_FILE: "/etc/govhall/partner/config/partners.json"
  {{ $prefix }}OFFERED_MATTERS_FILE: "/etc/govhall/partner/config/offered-matters.json"
  {{- end }}
  {{- with $svc.database }}
  {{- with .url }}
  {{- /* No password in it (the schema refuses one): that is DATABASE_PASSWORD, from a Secret. */}}
  {{ $prefix }}DATABASE_URL: {{ . | quote }}
  {{- if $root.Values.migrations.enabled }}
  {{- /* The migrations hook Job migrates; a replica only checks it is not behind. */}}
  GOVHALL_MIGRATE_ON_START: "false"
  GOVHALL_MIGRATE_WAIT_SECONDS: {{ $root.Values.migrations.waitSeconds | quote }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- include "govhall.trustFiles" . | nindent 2 }}
  {{- with include "govhall.publicUrl" $root }}
  {{- $base := . }}
  {{- range $setting, $path := index (include "govhall.portalPages" $root | fromYaml) $.name | default dict }}
  {{- $var := printf "%s%s" $prefix $setting }}
  {{- if not (hasKey ($svc.env | default dict) $var) }}
  {{ $var }}: {{ printf "%s%s" $base $path | quote }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- range $key, $value := $svc.env }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}

{{/* Probes: native gRPC health on the gRPC port, or /healthz and /readyz over HTTP. */}}
{{- define "govhall.probe" -}}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
{{- $timing := index .root.Values.probes .probe }}
{{- if eq $svc.protocol "grpc" }}
grpc:
  port: {{ $svc.ports.grpc }}
  {{- if eq .probe "liveness" }}
  # The kit keeps "liveness" SERVING while the process runs; "" follows the database and bus.
  service: liveness
  {{- end }}
{{- else }}
httpGet:
  path: {{ ternary "/healthz" "/readyz" (eq .probe "liveness") }}
  port: http
{{- end }}
{{- toYaml $timing | nindent 0 }}
{{- end }}

{{- define "govhall.deployment" -}}
{{- $root := .root }}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
{{- $prefix := include "govhall.envPrefix" . }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "govhall.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "govhall.labels" . | nindent 4 }}
spec:
  {{- if not (include "govhall.autoscaled" .) }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- $most := include "govhall.maxReplicas" . | int }}
  {{- with $svc.files }}
  {{- if ne .accessMode "ReadWriteMany" }}
  {{- if gt $most 1 }}
  {{- fail (printf "services.%s: %d replicas share one files volume, which needs accessMode ReadWriteMany (not %s)" $.name $most .accessMode) }}
  {{- end }}
  # The files volume attaches to one node at a time: the old pod lets go before the new one starts.
  strategy:
    type: Recreate
  {{- end }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "govhall.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "govhall.labels" . | nindent 8 }}
      annotations:
        # Roll the pods when their configuration changes.
        checksum/config: {{ include "govhall.configmap" . | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "govhall.selectorLabels" . | nindent 14 }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "govhall.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["python", "-m", {{ printf "govhall.%s" .name | quote }}]
          ports:
            {{- range $portName, $port := $svc.ports }}
            - name: {{ $portName }}
              containerPort: {{ $port }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "govhall.componentName" . }}
          env:
            - name: HOME
              value: /tmp
            - name: PYTHONDONTWRITEBYTECODE
              value: "1"
            - name: PYTHONUNBUFFERED
              value: "1"
            {{- range $setting, $ref := $svc.secretEnv }}
            - name: {{ $prefix }}{{ $setting }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.existingSecret }}
                  key: {{ $ref.key }}
                  {{- if $ref.optional }}
                  optional: true
                  {{- end }}
            {{- end }}
            {{- with include "govhall.credentialEnv" . | trim }}
            {{- . | nindent 12 }}
            {{- end }}
          livenessProbe:
            {{- include "govhall.probe" (dict "root" $root "name" .name "probe" "liveness") | trim | nindent 12 }}
          readinessProbe:
            {{- include "govhall.probe" (dict "root" $root "name" .name "probe" "readiness") | trim | nindent 12 }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "govhall.trustVolumeMounts" . | nindent 12 }}
            {{- with $svc.files }}
            - name: files
              mountPath: {{ .mountPath }}
            {{- end }}
            {{- if $svc.partner }}
            {{- range $volume := list "tls" "client" "signing" "config" }}
            - name: partner-{{ $volume }}
              mountPath: /etc/govhall/partner/{{ $volume }}
              readOnly: true
            {{- end }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.tmpSizeLimit }}
        {{- include "govhall.trustVolumes" . | trim | nindent 8 }}
        {{- with $svc.files }}
        - name: files
          persistentVolumeClaim:
            claimName: {{ include "govhall.filesClaimName" $ }}
        {{- end }}
        {{- with $svc.partner }}
        {{- /* The partner endpoint's certificates (kubernetes.io/tls Secrets), the province's
        signing key, all from Secrets made out of band; the partners file with the partners'
        CAs and the offered matters from a ConfigMap (public material). Not optional: a pod
        without them would have no partner endpoint. */}}
        - name: partner-tls
          secret:
            secretName: {{ .tls.existingSecret }}
            defaultMode: 0440
        - name: partner-client
          secret:
            secretName: {{ .clientTls.existingSecret }}
            defaultMode: 0440
        - name: partner-signing
          secret:
            secretName: {{ .signingKey.existingSecret }}
            defaultMode: 0440
        - name: partner-config
          configMap:
            name: {{ .config.existingConfigMap }}
        {{- end }}
{{- end }}

{{/* The claim a service's files live on: files.existingClaim, or the one the chart makes. */}}
{{- define "govhall.filesClaimName" -}}
{{- $svc := index .root.Values.services .name }}
{{- $svc.files.existingClaim | default (printf "%s-files" (include "govhall.componentName" .) | trunc 63 | trimSuffix "-") }}
{{- end }}

{{/* PersistentVolumeClaim for services.<service>.files, unless it names an existing claim (then
nothing). Kept on `helm uninstall`: it holds citizens' materials and the notices sent to them. An
empty storageClass means the cluster's default class; "-" means none (a pre-provisioned volume). */}}
{{- define "govhall.filesclaim" -}}
{{- $root := .root }}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
{{- with $svc.files }}
{{- if not .existingClaim }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "govhall.filesClaimName" $ }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "govhall.labels" $ | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
spec:
  accessModes:
    - {{ .accessMode }}
  {{- if eq .storageClass "-" }}
  storageClassName: ""
  {{- else if .storageClass }}
  storageClassName: {{ .storageClass | quote }}
  {{- end }}
  resources:
    requests:
      storage: {{ .size | required (printf "services.%s.files.size is required without an existingClaim" $.name) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "govhall.service" -}}
{{- $root := .root }}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "govhall.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "govhall.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "govhall.selectorLabels" . | nindent 4 }}
  ports:
    {{- range $portName, $port := $svc.ports }}
    - name: {{ $portName }}
      port: {{ $port }}
      targetPort: {{ $portName }}
      protocol: TCP
      appProtocol: {{ ternary "grpc" "http" (or (eq $portName "grpc") (eq $portName "partner")) }}
    {{- end }}
{{- end }}

{{- define "govhall.servicemonitor" -}}
{{- $root := .root }}
{{- $svc := index .root.Values.services .name | required (printf "services.%s is missing from the values" .name) }}
{{- if not (hasKey $svc.ports $svc.metricsPort) }}
{{- fail (printf "services.%s.metricsPort %q is not one of its ports" .name $svc.metricsPort) }}
{{- end }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "govhall.componentName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "govhall.labels" . | nindent 4 }}
    {{- with $root.Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "govhall.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ $root.Release.Namespace }}
  endpoints:
    - port: {{ $svc.metricsPort }}
      path: /metrics
      interval: {{ $root.Values.serviceMonitor.interval }}
      scrapeTimeout: {{ $root.Values.serviceMonitor.scrapeTimeout }}
      relabelings:
        # Every series carries its site, so one Prometheus can hold several instances.
        - action: replace
          targetLabel: site_code
          replacement: {{ $root.Values.site.code | quote }}
        - action: replace
          targetLabel: site_level
          replacement: {{ $root.Values.site.level | quote }}
{{- end }}

{{/* Every object of one service, "---"-separated: its ConfigMap, Deployment and Service, the
files claim, and its ServiceMonitor when serviceMonitor.enabled. A service's template file is its context and this. */}}
{{- define "govhall.serviceObjects" -}}
{{- $docs := list (include "govhall.configmap" .) (include "govhall.deployment" .) (include "govhall.service" .) }}
{{- $docs = append $docs (include "govhall.filesclaim" .) }}
{{- if .root.Values.serviceMonitor.enabled }}
{{- $docs = append $docs (include "govhall.servicemonitor" .) }}
{{- end }}
{{- range $doc := $docs }}
{{- with trim $doc }}
---
{{ . }}
{{- end }}
{{- end }}
{{- end }}
