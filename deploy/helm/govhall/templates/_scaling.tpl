{{/* "true" when services.<name>.autoscaling.enabled: an HPA owns the service's replica count. */}}
{{- define "govhall.autoscaled" -}}
{{- $svc := index .root.Values.services .name }}
{{- if and $svc.autoscaling $svc.autoscaling.enabled }}true{{ end }}
{{- end }}

{{/* The most pods the service may run at once: the HPA's maxReplicas, or replicas. */}}
{{- define "govhall.maxReplicas" -}}
{{- $svc := index .root.Values.services .name }}
{{- if include "govhall.autoscaled" . }}{{ $svc.autoscaling.maxReplicas }}{{ else }}{{ $svc.replicas }}{{ end }}
{{- end }}
