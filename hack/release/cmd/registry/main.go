// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command registry runs distribution/distribution's OCI registry (the code behind
// Docker Hub's and most self-hosted registries) for amko's release tests: on a
// loopback address, optionally over TLS and with a user and password, with its
// storage in a folder or in memory. It is the upstream registry's HTTP handler
// with only the filesystem and in-memory storage drivers and htpasswd
// authentication linked in, so that it builds in seconds rather than pulling in
// every cloud SDK; the API it serves is the same.
//
//	registry -addr 127.0.0.1:0 -addr-file /tmp/addr -root /tmp/store \
//	    -tls-cert cert.pem -tls-key key.pem -user amko   # password in $AMKO_REGISTRY_PASSWORD
//
// With -addr port 0 it picks a free port and writes the address it listens on to
// -addr-file once it accepts connections, so that a test needs no port guessing.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:5000", "address to listen on; port 0 picks a free one")
	addrFile := flag.String("addr-file", "", "write the address listened on to this file once serving")
	root := flag.String("root", "", "folder for the registry's storage; empty keeps it in memory")
	tlsCert := flag.String("tls-cert", "", "serve HTTPS with this PEM certificate (and -tls-key)")
	tlsKey := flag.String("tls-key", "", "PEM private key of -tls-cert")
	user := flag.String("user", "", "require this user, with the password in $AMKO_REGISTRY_PASSWORD (HTTP basic auth)")
	logLevel := flag.String("log-level", "warn", "error, warn, info or debug")
	flag.Parse()
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("-tls-cert and -tls-key go together")
	}
	level, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	// The registry logs through logrus' standard logger; its own command sets
	// the level from the configuration, which we do not run.
	logrus.SetLevel(level)
	logrus.SetOutput(os.Stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "registry-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	config, err := buildConfig(*root, *user, os.Getenv("AMKO_REGISTRY_PASSWORD"), tmp)
	if err != nil {
		return err
	}
	app := handlers.NewApp(ctx, config)
	defer func() { _ = app.Shutdown() }()

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			served <- srv.ServeTLS(l, *tlsCert, *tlsKey)
		} else {
			served <- srv.Serve(l)
		}
	}()
	// The listener accepts from here on: announcing the address now cannot
	// send a client to a port nobody listens on.
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	fmt.Printf("registry: serving %s://%s\n", scheme, l.Addr())
	if *addrFile != "" {
		if err := writeAtomic(*addrFile, l.Addr().String()); err != nil {
			return err
		}
	}
	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// buildConfig is the registry's configuration, as its YAML file would hold it.
func buildConfig(root, user, password, tmp string) (*configuration.Configuration, error) {
	storage := "inmemory: {}"
	if root != "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, err
		}
		storage = fmt.Sprintf("filesystem: {rootdirectory: %q}", abs)
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	var auth string
	if user != "" {
		if password == "" || strings.Contains(user, ":") {
			return nil, errors.New("-user needs a user name without ':' and a password in $AMKO_REGISTRY_PASSWORD")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("hashing the password: %w", err)
		}
		htpasswd := filepath.Join(tmp, "htpasswd")
		if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", user, hash), 0o600); err != nil {
			return nil, err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd: {realm: registry, path: %q}\n", htpasswd)
	}
	yaml := fmt.Sprintf(`version: 0.1
storage:
  %s
  delete: {enabled: true}
http:
  secret: %s
%s`, storage, hex.EncodeToString(secret), auth)
	config, err := configuration.Parse(strings.NewReader(yaml))
	if err != nil {
		return nil, fmt.Errorf("registry configuration: %w", err)
	}
	return config, nil
}

// writeAtomic writes data to path through a rename, so that a reader polling
// for the file never sees it half written.
func writeAtomic(path, data string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
