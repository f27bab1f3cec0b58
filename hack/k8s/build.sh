#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the versions pinned in this module into
# hack/k8s/bin, the folder KUBEBUILDER_ASSETS points at. The build is skipped when
# the binaries there were built from the same go.mod, go.sum and sources.
set -euo pipefail
cd "$(dirname "$0")"
out=bin
stamp=$(cat go.mod go.sum etcd/main.go build.sh | sha256sum | cut -d' ' -f1)
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
mkdir -p "$out"
rm -f "$out/.stamp"
flags=(-trimpath -ldflags='-s -w')
start=$SECONDS
echo "hack/k8s: building etcd (about 1 minute the first time)" >&2
go build "${flags[@]}" -o "$out/etcd" ./etcd
echo "hack/k8s: building kube-apiserver (about 7 minutes on 2 cores the first time)" >&2
go build "${flags[@]}" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
echo "$stamp" > "$out/.stamp"
echo "hack/k8s: built in $((SECONDS - start))s" >&2
