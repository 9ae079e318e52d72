{{/*
Credentials (issue 12: trust inside the platform). Every credential a service holds is a
reference to a Secret created out of band (existingSecret), so no secret passes through helm;
the schema refuses inline ones (value, username, password).
  trustKey       its caller-assertion signing key, mounted as a file (GOVHALL_TRUST_KEY_FILE);
                 required: the chart will not deploy a service that cannot prove who it is
  nats           GOVHALL_NATS_USER, GOVHALL_NATS_PASSWORD          (when nats.url is set)
  redis          GOVHALL_REDIS_USERNAME, GOVHALL_REDIS_PASSWORD    (when redis.url is set)
  elasticsearch  GOVHALL_ELASTICSEARCH_USERNAME, ..._PASSWORD      (when elasticsearch.url is set)
  database       GOVHALL_<SERVICE>_DATABASE_PASSWORD               (when database.url is set)
User/password pairs read a kubernetes.io/basic-auth Secret (keys username and password).
The public keys of every principal (trust.bundle) are one ConfigMap every pod mounts.
*/}}

{{/* Where the trust files are mounted. Whole directories, never subPath: the kubelet updates a
mounted ConfigMap or Secret in place only without subPath, and the verifiers reload the bundle
when it changes (key rotation without restarts). */}}
{{- define "govhall.trustBundleDir" -}}/etc/govhall/trust-bundle{{- end }}
{{- define "govhall.trustKeyDir" -}}/etc/govhall/trust-key{{- end }}

{{/* How one credential is given: "secret", "inline" (only the public trust bundle may be: the
schema refuses inline credentials) or "" (not at all). Context:
(dict "ref" <values> "what" <values path, for messages> "inline" <its inline fields>). */}}
{{- define "govhall.credentialSource" -}}
{{- $ref := .ref | default dict }}
{{- $inline := false }}
{{- range $field := .inline }}
{{- if index $ref $field }}
{{- $inline = true }}
{{- end }}
{{- end }}
{{- if and $ref.existingSecret $inline }}
{{- fail (printf "%s: both existingSecret and an inline value are set; set existingSecret to \"\" to use the inline one" .what) }}
{{- else if $ref.existingSecret }}secret
{{- else if $inline }}inline
{{- end }}
{{- end }}

{{/* The ConfigMap holding the trust bundle, and its key: trust.bundle.existingConfigMap, or the
one the chart makes from trust.bundle.value. Fails without either. */}}
{{- define "govhall.trustBundle" -}}
{{- $bundle := .Values.trust.bundle | default dict }}
{{- $src := include "govhall.credentialSource" (dict "ref" (dict "existingSecret" $bundle.existingConfigMap "value" $bundle.value) "what" "trust.bundle" "inline" (list "value")) }}
{{- if eq $src "secret" }}
{{- toYaml (dict "name" $bundle.existingConfigMap "key" ($bundle.key | default "bundle.json")) }}
{{- else if eq $src "inline" }}
{{- toYaml (dict "name" (printf "%s-trust-bundle" (include "govhall.fullname" .) | trunc 63 | trimSuffix "-") "key" "bundle.json" "value" $bundle.value) }}
{{- else }}
{{- fail "trust.bundle: no trust bundle (the public keys every service verifies callers with): set existingConfigMap (see `python -m govhall.kit.trust init` in deploy/helm/README.md) or value" }}
{{- end }}
{{- end }}

{{/* Every credential of one service as {"entries": [...]}, each entry
  {env: variable or "" for the key file, secret, key}:
the one list the env and the volumes are rendered from. */}}
{{- define "govhall.credentialEntries" -}}
{{- $root := .root }}
{{- $svc := index $root.Values.services .name }}
{{- $where := printf "services.%s" .name }}
{{- $entries := list }}
{{- $trustKey := $svc.trustKey | default dict }}
{{- $src := include "govhall.credentialSource" (dict "ref" $trustKey "what" (printf "%s.trustKey" $where) "inline" (list "value")) }}
{{- if not $src }}
{{- fail (printf "%s.trustKey: no caller-assertion key, and a service that cannot sign what it sends would run unauthenticated. Set existingSecret (a Secret holding %s.key from `python -m govhall.kit.trust init`, see deploy/helm/README.md)" $where .name) }}
{{- end }}
{{- $entries = append $entries (dict "env" "" "secret" $trustKey.existingSecret "key" ($trustKey.key | default (printf "%s.key" .name))) }}
{{- $pairs := list
  (dict "field" "nats" "on" $root.Values.nats.url "user" "GOVHALL_NATS_USER" "password" "GOVHALL_NATS_PASSWORD")
  (dict "field" "redis" "on" $root.Values.redis.url "user" "GOVHALL_REDIS_USERNAME" "password" "GOVHALL_REDIS_PASSWORD")
  (dict "field" "elasticsearch" "on" $root.Values.elasticsearch.url "user" "GOVHALL_ELASTICSEARCH_USERNAME" "password" "GOVHALL_ELASTICSEARCH_PASSWORD") }}
{{- range $pair := $pairs }}
{{- $ref := index $svc $pair.field | default dict }}
{{- $what := printf "%s.%s" $where $pair.field }}
{{- $src := include "govhall.credentialSource" (dict "ref" $ref "what" $what "inline" (list "username" "password")) }}
{{- if and $src $pair.on }}
{{- $entries = append $entries (dict "env" $pair.user "secret" $ref.existingSecret "key" ($ref.usernameKey | default "username")) }}
{{- $entries = append $entries (dict "env" $pair.password "secret" $ref.existingSecret "key" ($ref.passwordKey | default "password")) }}
{{- end }}
{{- end }}
{{- with $svc.database }}
{{- if .url }}
{{- $ref := .password | default dict }}
{{- $src := include "govhall.credentialSource" (dict "ref" $ref "what" (printf "%s.database.password" $where) "inline" (list "value")) }}
{{- if $src }}
{{- $entries = append $entries (dict "env" (printf "%sDATABASE_PASSWORD" (include "govhall.envPrefix" $)) "secret" $ref.existingSecret "key" ($ref.key | default "password")) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml (dict "entries" $entries) }}
{{- end }}

{{/* The Secret a credential entry is read from. */}}
{{- define "govhall.credentialSecretRef" -}}
name: {{ .entry.secret }}
key: {{ .entry.key }}
{{- end }}

{{/* The container's credential variables, every one a secretKeyRef (never optional: a missing
Secret keeps the pod from starting instead of letting it run without credentials). */}}
{{- define "govhall.credentialEnv" -}}
{{- $ctx := . }}
{{- range $entry := (include "govhall.credentialEntries" . | fromYaml).entries }}
{{- if $entry.env }}
- name: {{ $entry.env }}
  valueFrom:
    secretKeyRef:
      {{- include "govhall.credentialSecretRef" (dict "ctx" $ctx "entry" $entry) | nindent 6 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The trust files' mounts and volumes: the bundle every pod shares, and this service's own key
(only its own: the item projects that one key of the Secret). Mode 0440: the files belong to
root and the pod's fsGroup, which the non-root user is in. */}}
{{- define "govhall.trustVolumeMounts" -}}
- name: trust-bundle
  mountPath: {{ include "govhall.trustBundleDir" . }}
  readOnly: true
- name: trust-key
  mountPath: {{ include "govhall.trustKeyDir" . }}
  readOnly: true
{{- end }}

{{- define "govhall.trustVolumes" -}}
{{- $ctx := . }}
{{- $bundle := include "govhall.trustBundle" .root | fromYaml }}
{{- range $entry := (include "govhall.credentialEntries" . | fromYaml).entries }}
{{- if not $entry.env }}
- name: trust-key
  secret:
    secretName: {{ $entry.secret }}
    defaultMode: 288  # 0440
    items:
      - key: {{ $entry.key }}
        path: {{ printf "%s.key" $ctx.name }}
{{- end }}
{{- end }}
- name: trust-bundle
  configMap:
    name: {{ $bundle.name }}
    defaultMode: 292  # 0444
    items:
      - key: {{ $bundle.key }}
        path: bundle.json
{{- end }}

{{/* The ConfigMap entries naming the trust files. */}}
{{- define "govhall.trustFiles" -}}
GOVHALL_TRUST_BUNDLE_FILE: {{ printf "%s/bundle.json" (include "govhall.trustBundleDir" .) | quote }}
GOVHALL_TRUST_KEY_FILE: {{ printf "%s/%s.key" (include "govhall.trustKeyDir" .) .name | quote }}
{{- end }}
