// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command avisim serves an emulated Avi Controller (see internal/avisim) for manual
// use and for tests that run amko as a binary.
//
//	avisim --listen 127.0.0.1:8443 --password-file pw --snapshot state.json --dns-listen 127.0.0.1:8053
package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/amko-project/amko/internal/avisim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "avisim:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. With l nil it listens on --listen; tests pass their own.
func run(ctx context.Context, args []string, l net.Listener) error {
	fs := flag.NewFlagSet("avisim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8443", "address of the HTTPS API")
	certFile := fs.String("tls-cert", "", "TLS certificate (PEM); default: a generated self-signed one")
	keyFile := fs.String("tls-key", "", "TLS key (PEM) for --tls-cert")
	caOut := fs.String("ca-out", "", "write the generated self-signed certificate (PEM) to this file: the CA to give amko (certificateAuthorityData or spec.gslbLeader.caBundle)")
	user := fs.String("user", "admin", "user name")
	passwordFile := fs.String("password-file", "", "file holding the user's password; default: $AVISIM_PASSWORD, else avi123")
	version := fs.String("controller-version", "31.1.1", "controller version")
	seedFile := fs.String("seed", "", "JSON seed file of objects to create at start (see avisim.SeedFile)")
	noSeed := fs.Bool("no-default-seed", false, "start without the default objects (sites, system monitors, profiles)")
	snapshotFile := fs.String("snapshot", "", "state file: loaded at start if present, rewritten after every write")
	dnsListen := fs.String("dns-listen", "", "address for DNS answers over UDP and TCP (off if empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	password := os.Getenv("AVISIM_PASSWORD")
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("reading the password file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}
	if password == "" {
		password = "avi123"
	}
	opts := avisim.Options{
		Users:             map[string]string{*user: password},
		ControllerVersion: *version,
		NoSeed:            *noSeed,
	}
	if *snapshotFile != "" {
		path := *snapshotFile
		opts.OnWrite = func(snap []byte) {
			if err := writeAtomic(path, snap); err != nil {
				slog.Error("saving the snapshot", "file", path, "err", err)
			}
		}
	}
	sim, err := avisim.New(opts)
	if err != nil {
		return err
	}
	if *snapshotFile != "" {
		if data, err := os.ReadFile(*snapshotFile); err == nil {
			if err := sim.Restore(data); err != nil {
				return err
			}
			slog.Info("restored the snapshot", "file", *snapshotFile)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reading the snapshot: %w", err)
		}
	}
	if *seedFile != "" {
		data, err := os.ReadFile(*seedFile)
		if err != nil {
			return fmt.Errorf("reading the seed file: %w", err)
		}
		if err := sim.LoadSeed(data); err != nil {
			return err
		}
	}

	var tlsConfig *tls.Config
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else {
		host, _, _ := net.SplitHostPort(*listen)
		if tlsConfig, err = avisim.TLSConfig(host, "localhost", "127.0.0.1"); err != nil {
			return err
		}
		if *caOut != "" {
			ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsConfig.Certificates[0].Certificate[0]})
			if err := os.WriteFile(*caOut, ca, 0o644); err != nil { //nolint:gosec // a certificate is public
				return fmt.Errorf("writing the CA: %w", err)
			}
		}
	}

	if *dnsListen != "" {
		d, err := sim.ServeDNS(ctx, *dnsListen)
		if err != nil {
			return err
		}
		slog.Info("serving DNS", "addr", d.Addr)
	}
	if l == nil {
		if l, err = net.Listen("tcp", *listen); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: sim, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("serving the Avi API", "addr", "https://"+l.Addr().String(), "user", *user, "version", *version)
	if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// writeAtomic replaces path with data so a crash never leaves half a file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".avisim-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
