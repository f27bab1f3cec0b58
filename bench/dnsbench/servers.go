// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

const zoneName = "gslb.example.com"

// server is one DNS server under test: how to configure it in a directory of
// its own and the command that serves the zone on 127.0.0.1:port in the
// foreground, one worker (the harness pins it to one core).
type server struct {
	name string
	// command writes its configuration into dir and returns the argv.
	command func(h *harness, dir string, port, names int) ([]string, error)
}

var servers = map[string]server{
	"amko":    {"amko", amkoCommand},
	"nsd":     {"nsd", nsdCommand},
	"knot":    {"knot", knotCommand},
	"coredns": {"coredns", corednsCommand},
}

func amkoCommand(h *harness, _ string, port, names int) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("amko: own path: %w", err)
	}
	return []string{self, "serve-amko", "-names", strconv.Itoa(names), "-port", strconv.Itoa(port),
		"-weights", h.weights, "-ips", strconv.Itoa(h.amkoIPs)}, nil
}

// nsdCommand: one server process (server-count 1), no database file, rate
// limiting off (Debian's NSD has it on at 200 q/s per source), minimal
// responses and round-robin rotation, as amko answers.
func nsdCommand(_ *harness, dir string, port, names int) ([]string, error) {
	zone, err := writeZone(dir, names)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`server:
	ip-address: 127.0.0.1
	port: %d
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	database: ""
	zonesdir: %[2]q
	zonelistfile: "%[2]s/zone.list"
	xfrdfile: "%[2]s/xfrd.state"
	pidfile: "%[2]s/nsd.pid"
	logfile: "%[2]s/nsd.log"
	verbosity: 0
	hide-version: yes
	minimal-responses: yes
	round-robin: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: %[3]s
	zonefile: %[4]q
`, port, dir, zoneName, zone)
	path := filepath.Join(dir, "nsd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("nsd: %w", err)
	}
	return []string{"nsd", "-d", "-c", path}, nil
}

// knotCommand: one UDP, one TCP and one background worker, answer rotation on.
func knotCommand(_ *harness, dir string, port, names int) ([]string, error) {
	zone, err := writeZone(dir, names)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`server:
    rundir: %[2]q
    user: root:root
    listen: 127.0.0.1@%[1]d
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    answer-rotation: on
log:
  - target: stderr
    any: warning
database:
    storage: %[2]q
template:
  - id: default
    storage: %[2]q
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: %[3]s
    file: %[4]q
`, port, dir, zoneName, zone)
	path := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("knot: %w", err)
	}
	return []string{"knotd", "-c", path}, nil
}

// corednsCommand: the file plugin, with loadbalance's round-robin shuffle of
// the A records, as amko rotates them.
func corednsCommand(h *harness, dir string, port, names int) ([]string, error) {
	zone, err := writeZone(dir, names)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`%s:%d {
    bind 127.0.0.1
    file %s
    loadbalance
}
`, zoneName, port, zone)
	path := filepath.Join(dir, "Corefile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("coredns: %w", err)
	}
	return []string{h.coredns, "-conf", path, "-quiet"}, nil
}

// writeZone writes the zone the names of which amko serves as services: SOA,
// NS, and app-<i> with the two addresses of memberAddrs, TTL 30 as amko's
// default.
func writeZone(dir string, names int) (string, error) {
	path := filepath.Join(dir, zoneName+".zone")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("zone file: %w", err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "$ORIGIN %s.\n$TTL 30\n@ IN SOA ns1 hostmaster 1 3600 600 86400 30\n@ IN NS ns1\nns1 IN A 127.0.0.1\n", zoneName)
	for i := range names {
		a, b := memberAddrs(i)
		fmt.Fprintf(w, "app-%d IN A %s\napp-%d IN A %s\n", i, a, i, b)
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("zone file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("zone file: %w", err)
	}
	return path, nil
}
