{{/*
Who may reach what: the NetworkPolicies' peers, derived from the values so there is one source
of truth. A service's callers are the services that list it under services.<name>.upstreams
(the same list that gives them its address); a back end's users are the services configured
with credentials for it (and the hook Jobs that use it).
*/}}

{{/* The services listing .name among their upstreams, sorted, as a YAML list. */}}
{{- define "govhall.callers" -}}
{{- $callers := list }}
{{- range $other := keys .root.Values.services | sortAlpha }}
{{- if has $.name ((index $.root.Values.services $other).upstreams | default list) }}
{{- $callers = append $callers $other }}
{{- end }}
{{- end }}
{{- toYaml $callers }}
{{- end }}

{{/* The components (services and hook Jobs) using back end .backend (postgresql, nats, redis,
elasticsearch), sorted, as a YAML list. */}}
{{- define "govhall.backendUsers" -}}
{{- $root := .root }}
{{- $users := list }}
{{- range $name := keys $root.Values.services | sortAlpha }}
{{- $svc := index $root.Values.services $name }}
{{- if eq $.backend "postgresql" }}
{{- if and $svc.database $svc.database.url }}
{{- $users = append $users $name }}
{{- if $root.Values.migrations.enabled }}
{{- $users = append $users (printf "%s-migrate" $name) }}
{{- end }}
{{- end }}
{{- else if and (index $svc $.backend) (index $root.Values $.backend).url }}
{{- $users = append $users $name }}
{{- end }}
{{- end }}
{{- if and (eq .backend "nats") $root.Values.nats.url $root.Values.nats.admin.existingSecret }}
{{- $users = append $users "stream-settings" }}
{{- end }}
{{- toYaml (sortAlpha $users) }}
{{- end }}

{{/* A NetworkPolicyPeer: the pods of this release whose component is one of .components. */}}
{{- define "govhall.componentsPeer" -}}
podSelector:
  matchLabels:
    app.kubernetes.io/name: {{ include "govhall.name" .root }}
    app.kubernetes.io/instance: {{ .root.Release.Name }}
  matchExpressions:
    - key: app.kubernetes.io/component
      operator: In
      values:
        {{- toYaml .components | nindent 8 }}
{{- end }}
