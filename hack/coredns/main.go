// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command coredns is CoreDNS (github.com/coredns/coredns, pinned in this
// module's go.mod) with only the plugins `make bench-dns` uses: bind, file and
// loadbalance. A plugin that a Corefile does not name costs a query nothing,
// so this answers as the stock build does; leaving out the cloud and
// Kubernetes plugins keeps their dependencies out of the build (minutes on
// this machine). The directive order is CoreDNS's own (dnsserver.Directives).
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/file"
	_ "github.com/coredns/coredns/plugin/loadbalance"
)

func main() { coremain.Run() }
