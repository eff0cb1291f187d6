{{/* The chart name, for the app.kubernetes.io/name label. */}}
{{- define "homeostat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every resource name: the release name when it contains the chart name (release
"homeostat" gives homeostat-controller, the names manifests/ and the tests use), else
<release>-homeostat. At most 45 characters, so <fullname>-leader-election fits a label's 63.
*/}}
{{- define "homeostat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The controller's name: Deployment, Service, ClusterRole, and the leader election Lease. */}}
{{- define "homeostat.controller" -}}
{{- printf "%s-controller" (include "homeostat.fullname" .) -}}
{{- end -}}

{{- define "homeostat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "homeostat.controller" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "homeostat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "homeostat.labels" -}}
helm.sh/chart: {{ include "homeostat.chart" . }}
app.kubernetes.io/name: {{ include "homeostat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: homeostat
{{- end -}}

{{/* The controller Pods' selector (immutable in a Deployment: never add to it). */}}
{{- define "homeostat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "homeostat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "homeostat.controllerLabels" -}}
{{ include "homeostat.labels" . }}
app.kubernetes.io/component: controller
{{- end -}}

{{/* repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "homeostat.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where action Jobs reach the controller: https when the controller serves TLS. */}}
{{- define "homeostat.advertiseUrl" -}}
{{- default (printf "%s://%s.%s.svc:%v" (include "homeostat.scheme" .) (include "homeostat.controller" .) .Release.Namespace .Values.service.port) .Values.advertiseUrl -}}
{{- end -}}

{{/* https with tls.enabled, else http: the scheme of the port, and the name of the port (meshes read the protocol from it). */}}
{{- define "homeostat.scheme" -}}
{{- ternary "https" "http" .Values.tls.enabled -}}
{{- end -}}

{{/* The Secret the serving certificate is mounted from: tls.existingSecret, else the chart's (cert-manager's or generated). */}}
{{- define "homeostat.tlsSecret" -}}
{{- default (printf "%s-tls" (include "homeostat.controller" .)) .Values.tls.existingSecret -}}
{{- end -}}

{{/* The names the serving certificate is valid for: the Service's, short and long. */}}
{{- define "homeostat.dnsNames" -}}
{{- $svc := include "homeostat.controller" . -}}
{{- list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) | toJson -}}
{{- end -}}

{{/* The watched namespaces, comma-separated as --namespace takes them, or "" for every namespace. */}}
{{- define "homeostat.watchNamespaces" -}}
{{- join "," (uniq .Values.watchNamespaces) -}}
{{- end -}}

{{/* Render-time checks that the schema cannot express. */}}
{{- define "homeostat.validate" -}}
{{- if and .Values.tls.existingSecret .Values.tls.certManager.enabled -}}
{{- fail "tls: give tls.existingSecret or tls.certManager.enabled, not both: the certificate comes from one place" -}}
{{- end -}}
{{- if and .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) -}}
{{- fail "tls: tls.certManager.enabled needs tls.certManager.issuerRef.name, the cert-manager Issuer or ClusterIssuer that signs the controller's certificate" -}}
{{- end -}}
{{- if and .Values.tls.enabled .Values.advertiseUrl (not (hasPrefix "https://" .Values.advertiseUrl)) -}}
{{- fail (printf "tls: advertiseUrl %q must be https:// when tls.enabled: the controller serves HTTPS only" .Values.advertiseUrl) -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicas: %d replicas without leaderElection.enabled would all act at once; set replicas: 1 or leaderElection.enabled: true" (int .Values.replicas)) -}}
{{- end -}}
{{- end -}}
