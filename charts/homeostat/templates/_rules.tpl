{{/*
The controller's rules, the same in its ClusterRole (every namespace) and its Role (one namespace).
Every rule names the code that needs it; test/integration/controllerRbac.test.ts runs a whole
scenario with exactly these and fails on any 403.
*/}}
{{- define "homeostat.controllerRules" -}}
# The declared objects: one informer per kind (src/kube/worldCache.ts), and the leases loaded at start (statusStore.ts).
- apiGroups: [homeostat.dev]
  resources: [statecheckers, expectations, dags, dagruns, dagdependencies]
  verbs: [get, list, watch]
# Status, leases and retry records are written whole (PUT /status) with a resourceVersion guard (statusStore.ts).
- apiGroups: [homeostat.dev]
  resources: [statecheckers/status, expectations/status, dags/status, dagruns/status, dagdependencies/status]
  verbs: [update]
# The DagRuns of the runs the controller opens; it deletes only its own (label app.kubernetes.io/managed-by=homeostat).
# create also serves the web page's Re-run (src/server/rerunRoute.ts), only after a SubjectAccessReview said the CALLER may create dagruns there.
# patch: a user's DagRun gets the homeostat.dev/dag label (statusStore.ts writeRun), so -l homeostat.dev/dag=X lists it.
- apiGroups: [homeostat.dev]
  resources: [dagruns]
  verbs: [create, delete, patch]
# Action and checker Jobs (jobActionRunner.ts, jobCheckRunner.ts): one informer (label selector), adoption after a restart, cancellation,
# and a renewed lease's longer activeDeadlineSeconds (patch, JobActionRunner.extend).
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete, patch]
# Checker verdicts are read from the checker container's termination message (an informer, and a list when it missed one).
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
# valuesFrom: the named ConfigMaps are read on demand (no ConfigMap watch, so no list).
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
# Events on the objects they are about (eventRecorder.ts); patch folds repeats into a series.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
# The web page's recent Events of one object (src/kube/nodeDetails.ts): one bounded list call per page
# view, with a fieldSelector on involvedObject. list only: no watch, no get of a single Event.
- apiGroups: [""]
  resources: [events]
  verbs: [list]
{{- if ((.Values.sources).enabled) }}
# DefinitionSources (src/kube/sourceInformer.ts, sourceLoader.ts): one informer; the status is a merge patch.
- apiGroups: [homeostat.dev]
  resources: [definitionsources]
  verbs: [get, list, watch]
- apiGroups: [homeostat.dev]
  resources: [definitionsources/status]
  verbs: [patch]
# The loader's server-side applies (patch, and create for a new object), the removal of a resumed
# object's pruned annotation (patch), and prune: Delete. Only Homeostat's kinds: a source never
# writes a Secret, a Deployment or anything else (src/sources/parseFile.ts refuses them).
- apiGroups: [homeostat.dev]
  resources: [statecheckers, expectations, dags, dagruns, dagdependencies]
  verbs: [create, patch, delete]
{{- if .Values.sources.credentialsFromSecrets }}
# An S3 source's credentialsSecretRef: get only (no list or watch, so no Secret is ever enumerated),
# and the loader uses a Secret only when its annotation homeostat.dev/definition-sources names the
# source (sourceApi.ts credentials): a Secret's owner opts in, a source's author cannot borrow it.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
{{- end }}
{{- end }}
{{- end -}}
