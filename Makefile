# amko — see README.md. `make test` is what CI runs.

SHELL := /usr/bin/env bash
GO ?= go
# Tools pinned in hack/tools/go.mod, run with `go tool` from that module.
TOOL := $(GO) -C hack/tools tool
ROOT := $(CURDIR)
K8S_BIN := $(ROOT)/hack/k8s/bin

.PHONY: all build generate test test-tools lint k8s-bin demo demo-avi helm image clean

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
test-tools: helm
	$(GO) build -o bin/ ./cmd/amko
	$(TOOL) controller-gen --version >/dev/null

# A loaded machine runs the suite in 2-5 minutes; the bound is for a hung test,
# not a slow one.
TEST_TIMEOUT ?= 20m

## test: lint, then every test against real API servers built on first use
test: k8s-bin lint test-tools
	KUBEBUILDER_ASSETS=$(K8S_BIN) AMKO_TEST_HELM=$(ROOT)/bin/helm AMKO_TEST_BINARY=$(ROOT)/bin/amko \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## helm: helm, pinned in hack/helm/go.mod, into bin/
helm:
	$(GO) -C hack/helm build -o $(ROOT)/bin/helm helm.sh/helm/v3/cmd/helm

## image: the container image, where a Docker engine runs (not on this project's CI machines)
IMAGE ?= amko:dev
image:
	docker build -t $(IMAGE) .

clean:
	rm -rf bin hack/k8s/bin
