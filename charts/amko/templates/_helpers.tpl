{{/* The namespace of AMKO's configuration: fixed, as in AMKO. */}}
{{- define "amko.namespace" -}}avi-system{{- end -}}

{{- define "amko.name" -}}
{{- default "amko" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The workload's name: "amko" as in AMKO (kubectl logs amko-0 keeps working). */}}
{{- define "amko.fullname" -}}
{{- default "amko" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "amko.labels" -}}
app.kubernetes.io/name: {{ include "amko.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "amko.selectorLabels" -}}
app.kubernetes.io/name: {{ include "amko.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* AMKO hard-codes amko-sa; serviceAccount.name, when set, names another. */}}
{{- define "amko.serviceAccountName" -}}
{{- $sa := .Values.serviceAccount | default dict -}}
{{- default "amko-sa" $sa.name -}}
{{- end -}}

{{/* The image: AMKO's repositories stand for the default one (see values.yaml). */}}
{{- define "amko.image" -}}
{{- $img := .Values.image | default dict -}}
{{- $repo := default "ghcr.io/amko-project/amko" $img.repository -}}
{{- if has $repo (list "projects.packages.broadcom.com/ako/amko" "projects.registry.vmware.com/ako/amko") -}}
{{- $repo = "ghcr.io/amko-project/amko" -}}
{{- end -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion $img.tag | toString) -}}
{{- end -}}

{{/* The federation settings: top-level federation.*, overridden by configs.federation.* as AMKO's README spells them. */}}
{{- define "amko.federation" -}}
{{- $configs := .Values.configs | default dict -}}
{{- $fed := deepCopy (.Values.federation | default dict) -}}
{{- range $k, $v := ($configs.federation | default dict) }}{{ $_ := set $fed $k $v }}{{ end -}}
{{- toYaml $fed -}}
{{- end -}}

{{/* The GDP settings: globalDeploymentPolicy.*, overridden by gdpConfig.* as AMKO's README spells them. */}}
{{- define "amko.gdp" -}}
{{- $gdp := deepCopy (.Values.globalDeploymentPolicy | default dict) -}}
{{- range $k, $v := (.Values.gdpConfig | default dict) }}{{ $_ := set $gdp $k $v }}{{ end -}}
{{- toYaml $gdp -}}
{{- end -}}

{{/* The GSLB leader's address: configs.gslbLeaderController, or the README's configs.gsllbLeaderController. */}}
{{- define "amko.controllerIP" -}}
{{- $configs := .Values.configs | default dict -}}
{{- default (index $configs "gsllbLeaderController" | default "") $configs.gslbLeaderController -}}
{{- end -}}

{{/* Whether the built-in DNS backend is configured. */}}
{{- define "amko.dns" -}}
{{- $configs := .Values.configs | default dict -}}
{{- if $configs.dns }}true{{ end -}}
{{- end -}}

{{/* Whether replicas elect an active one. */}}
{{- define "amko.leaderElect" -}}
{{- $le := "auto" -}}
{{- if hasKey .Values "leaderElection" }}{{ $le = toString .Values.leaderElection }}{{ end -}}
{{- if or (eq $le "true") (and (eq $le "auto") (gt (int (.Values.replicaCount | default 1)) 1)) }}true{{ end -}}
{{- end -}}

{{/* The DNS listen address in the pod. */}}
{{- define "amko.dnsPort" -}}
{{- $configs := .Values.configs | default dict -}}
{{- $dns := $configs.dns | default dict -}}
{{- $listen := default ":5353" $dns.listen | toString -}}
{{- $port := last (splitList ":" $listen) -}}
{{- if or (lt (int $port) 1) (gt (int $port) 65535) }}
{{- fail (printf "configs.dns.listen %q: the pod needs a fixed port from 1 to 65535" $listen) }}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* The identity other clusters' amkos use here through gslb-members. */}}
{{- define "amko.memberServiceAccountName" -}}
{{- $m := .Values.memberServiceAccount | default dict -}}
{{- default "amko-member" $m.name -}}
{{- end -}}

{{/* The port of /metrics and /status: https, or http with metrics.insecure. */}}
{{- define "amko.endpointsPortName" -}}
{{- if (.Values.metrics | default dict).insecure -}}http{{- else -}}https{{- end -}}
{{- end -}}

{{/* The ServiceAccount whose short-lived tokens "amko status" shows amko. */}}
{{- define "amko.statusReaderName" -}}
{{- $r := .Values.statusReader | default dict -}}
{{- default "amko-status" $r.name -}}
{{- end -}}

{{/*
The owner of a GlobalDeploymentPolicy global-gdp that exists already and that
this release does not own: helm uninstall keeps the GDP (see gdp.yaml), and
helm refuses to install an object that carries another release's
meta.helm.sh annotations, so a release under a new name would fail. Such a GDP
is left alone (not rendered): amko keeps running from it, and NOTES.txt says
how to hand it to this release. Empty when there is none, when this release
owns it, and whenever helm renders without a cluster (helm template).
*/}}
{{- define "amko.keptGDPOwner" -}}
{{- if .Capabilities.APIVersions.Has "amko.vmware.com/v1alpha2/GlobalDeploymentPolicy" -}}
{{- $kept := lookup "amko.vmware.com/v1alpha2" "GlobalDeploymentPolicy" (include "amko.namespace" .) "global-gdp" -}}
{{- if $kept -}}
{{- $name := dig "metadata" "annotations" "meta.helm.sh/release-name" "" $kept -}}
{{- $ns := dig "metadata" "annotations" "meta.helm.sh/release-namespace" "" $kept -}}
{{- if not (and (eq $name .Release.Name) (eq $ns .Release.Namespace)) -}}
{{- if $name -}}release {{ $name }} (namespace {{ $ns }}){{- else -}}no Helm release{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
"true" when amko must write the GDP's and GSLBHostRules' statuses on the objects
themselves: AMKO 2.2.1's CRDs (no status subresource) serve them, as after a
chart upgrade without kubectl apply -f charts/amko/crds. auto looks at the
installed CRD (helm install/upgrade; helm template sees none: amko's).
*/}}
{{- define "amko.statusOnObjects" -}}
{{- $mode := toString ((.Values.rbac | default dict).amkoCRDsStatus | default "auto") -}}
{{- if eq $mode "true" -}}
true
{{- else if eq $mode "auto" -}}
{{- $crd := lookup "apiextensions.k8s.io/v1" "CustomResourceDefinition" "" "globaldeploymentpolicies.amko.vmware.com" -}}
{{- if $crd -}}
{{- range $crd.spec.versions -}}
{{- if and .served (not (and .subresources (hasKey .subresources "status"))) -}}true{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The built-in DNS server is the backend: configs.dns without a controller
(with one, it serves the controller's services beside it). */}}
{{- define "amko.dnsOnly" -}}
{{- if and (include "amko.dns" .) (not (include "amko.controllerIP" .)) }}true{{ end -}}
{{- end -}}
