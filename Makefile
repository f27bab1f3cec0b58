# amko — see README.md. `make test` is what CI runs.

SHELL := /usr/bin/env bash
GO ?= go
# Tools pinned in hack/tools/go.mod, run with `go tool` from that module.
TOOL := $(GO) -C hack/tools tool
ROOT := $(CURDIR)
K8S_BIN := $(ROOT)/hack/k8s/bin

.PHONY: all build generate test test-tools lint k8s-bin demo demo-avi helm image clean \
	release-tools linux-binaries chart-package chart-repo release release-registry bench-dns

all: build

## build: compile every package, and every command into bin/
build:
	$(GO) build ./...
	@if [ -d cmd ]; then $(GO) build -o bin/ ./cmd/...; fi

## generate: deepcopy code and CRD manifests from the API types (controller-gen)
generate:
	$(TOOL) controller-gen object:headerFile=$(ROOT)/hack/boilerplate.go.txt crd paths=$(ROOT)/api/... output:crd:dir=$(ROOT)/config/crd
	cp config/crd/amko.vmware.com_*.yaml charts/amko/crds/

## k8s-bin: build kube-apiserver and etcd from source (skipped when current)
k8s-bin:
	hack/k8s/build.sh

## lint: go vet, staticcheck and gofmt
lint:
	$(GO) vet ./...
	$(GO) -C hack/release vet ./...
	$(GO) -C hack/tools build -o $(ROOT)/bin/staticcheck honnef.co/go/tools/cmd/staticcheck
	bin/staticcheck ./...
	@out=$$(gofmt -l api cmd internal test config hack bench third_party 2>/dev/null); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## demo: three local clusters, a backend per site, amko answering DNS with its built-in backend
demo: k8s-bin
	KUBEBUILDER_ASSETS=$(K8S_BIN) $(GO) run ./hack/demo

## demo-avi: the same with an emulated Avi Controller (avisim) as the GSLB backend
demo-avi: k8s-bin
	KUBEBUILDER_ASSETS=$(K8S_BIN) $(GO) run ./hack/demo -avi

## test-tools: what the tests run as programs (helm, amko, controller-gen), built
## here so that no test spends its own timeout compiling them
test-tools: helm release-tools linux-binaries
	$(GO) build -o bin/ ./cmd/amko ./cmd/kubectl-amko
	$(TOOL) controller-gen --version >/dev/null

# A loaded machine runs the suite in 2-5 minutes; the bound is for a hung test,
# not a slow one.
TEST_TIMEOUT ?= 20m

## test: lint, then every test against real API servers built on first use
test: k8s-bin lint test-tools
	KUBEBUILDER_ASSETS=$(K8S_BIN) AMKO_TEST_HELM=$(ROOT)/bin/helm AMKO_TEST_BINARY=$(ROOT)/bin/amko AMKO_TEST_PLUGIN=$(ROOT)/bin/kubectl-amko \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## helm: helm, pinned in hack/helm/go.mod, into bin/
helm:
	$(GO) -C hack/helm build -o $(ROOT)/bin/helm helm.sh/helm/v3/cmd/helm

## bench-dns: amko's DNS server beside NSD, Knot and CoreDNS on one zone, each
## pinned to core 0 with dnsperf on core 1, interleaved; medians and ratios to
## NSD (bench/README.md). NAMES=100000 for a large zone, ROUNDS=5 for more
## rounds, BENCH_DNS_FLAGS for the rest (bin/dnsbench -h). Installs nsd, knot
## and dnsperf (Debian) when absent; CoreDNS is built from hack/coredns.
NAMES ?= 1000
ROUNDS ?= 3
BENCH_DNS_FLAGS ?=
bench-dns:
	@command -v nsd >/dev/null && command -v knotd >/dev/null && command -v dnsperf >/dev/null || \
		{ apt-get install -y nsd knot dnsperf || { apt-get update && apt-get install -y nsd knot dnsperf; }; }
	$(GO) -C hack/coredns build -o $(ROOT)/bin/coredns .
	$(GO) build -o bin/dnsbench ./bench/dnsbench
	bin/dnsbench -names $(NAMES) -rounds $(ROUNDS) -coredns bin/coredns $(BENCH_DNS_FLAGS)

## The release: amko's image (built without a container engine) and its chart,
## pushed to an OCI registry. hack/release is its own module, like hack/helm, so
## that the registry and go-containerregistry stay out of the main go.mod.
RELEASE := $(GO) -C hack/release
# The chart's appVersion: the image tag the chart's default image.tag points at.
VERSION ?= $(shell sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$$/\1/p' charts/amko/Chart.yaml)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
# File times and the image's creation date: the commit's, so a rebuild of one
# commit gives the same digest.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_SOURCE ?= https://github.com/amko-project/amko
PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_LAYOUT ?= bin/image
CHART_DIR ?= bin/charts
# REGISTRY/amko is the image (the chart's default is ghcr.io/amko-project/amko),
# $(CHART_REGISTRY)/amko the chart, beside it as AMKO's helm-charts/amko is.
REGISTRY ?=
CHART_REGISTRY ?= $(REGISTRY)/helm-charts
# The address where the classic chart repository's files will be served.
CHART_REPO_URL ?=

## release-tools: bin/registry (distribution's registry) and bin/amko-image
release-tools:
	$(RELEASE) build -o $(ROOT)/bin/ ./cmd/registry ./cmd/amko-image

## linux-binaries: amko for each of PLATFORMS, static, into bin/OS_ARCH/amko
linux-binaries:
	@for p in $(PLATFORMS); do \
		echo "CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags='-s -w' -o bin/$${p%/*}_$${p#*/}/amko ./cmd/amko"; \
		CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags='-s -w' -o bin/$${p%/*}_$${p#*/}/amko ./cmd/amko || exit 1; \
	done

## image: the multi-arch image (PLATFORMS) as an OCI layout in bin/image, no
## container engine needed; `docker build .` builds the same from the Dockerfile
image: release-tools linux-binaries
	bin/amko-image build -layout $(IMAGE_LAYOUT) -version $(VERSION) -revision "$(REVISION)" \
		-source $(IMAGE_SOURCE) -created $(SOURCE_DATE_EPOCH) \
		$(foreach p,$(PLATFORMS),-binary $(p)=bin/$(subst /,_,$(p))/amko)

release-registry:
	@if [ -z "$(REGISTRY)" ]; then echo "make release needs REGISTRY=host/path (the image goes to REGISTRY/amko)" >&2; exit 1; fi

## chart-package: charts/amko as bin/charts/amko-VERSION.tgz, appVersion VERSION
chart-package: helm
	mkdir -p $(CHART_DIR)
	bin/helm package charts/amko --version $(VERSION) --app-version $(VERSION) --destination $(CHART_DIR)

## chart-repo: bin/charts as a classic chart repository (index.yaml) for CHART_REPO_URL
chart-repo: chart-package
	@if [ -z "$(CHART_REPO_URL)" ]; then echo "make chart-repo needs CHART_REPO_URL=https://... (where $(CHART_DIR) will be served)" >&2; exit 1; fi
	bin/helm repo index $(CHART_DIR) --url $(CHART_REPO_URL)

## release: push the image to REGISTRY/amko:VERSION and the chart to
## oci://CHART_REGISTRY/amko, e.g. make release REGISTRY=ghcr.io/amko-project
## (log in first with helm registry login; PLAIN_HTTP=1 for a registry without TLS)
release: release-registry image chart-package
	bin/amko-image push -layout $(IMAGE_LAYOUT) $(if $(PLAIN_HTTP),-insecure) $(REGISTRY)/amko:$(VERSION)
	bin/helm push $(CHART_DIR)/amko-$(VERSION).tgz oci://$(CHART_REGISTRY) $(if $(PLAIN_HTTP),--plain-http)

clean:
	rm -rf bin hack/k8s/bin
