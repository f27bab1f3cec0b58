// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Command amko-image builds amko's container image without a container engine
// and pushes it to a registry. The image is what the Dockerfile builds, made from
// binaries cross-compiled beforehand (make image does that): one layer with the
// static amko binary at /amko and a minimal /etc (passwd and group with the
// nonroot user 65532), user 65532:65532, entrypoint /amko, an OCI image index
// with one image per platform. Its bytes depend only on the binaries and the
// flags: file times and the config's dates are -created, so two builds of one
// commit give one digest.
//
//	amko-image build -layout bin/image -version 0.1.0 -revision $(git rev-parse HEAD) \
//	    -binary linux/amd64=bin/linux_amd64/amko -binary linux/arm64=bin/linux_arm64/amko
//	amko-image push -layout bin/image ghcr.io/amko-project/amko:0.1.0
//
// push authenticates with what `helm registry login` stored (HELM_REGISTRY_CONFIG,
// else helm's default registry config), else with Docker's config and its
// credential helpers, else anonymously.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "amko-image:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  amko-image build -layout DIR -version V -binary OS/ARCH=PATH [-binary ...] [flags]
  amko-image push -layout DIR [-insecure] REFERENCE [REFERENCE ...]`

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "build":
		return runBuild(args[1:])
	case "push":
		return runPush(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Println(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func runBuild(args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	var o buildOptions
	var binaries multiFlag
	fs.StringVar(&o.layout, "layout", "", "OCI layout folder to write (replaced if it holds an earlier layout)")
	fs.StringVar(&o.version, "version", "", "the image's version: its tag in the layout and its version label")
	fs.StringVar(&o.revision, "revision", "", "the source revision (git commit) for the revision label")
	fs.StringVar(&o.source, "source", "https://github.com/amko-project/amko", "the source repository for the source label")
	fs.Int64Var(&o.created, "created", 0, "creation time in Unix seconds, for file times and the config (e.g. the commit's time)")
	fs.StringVar(&o.caCertificates, "ca-certificates", "", "a PEM bundle to install as /etc/ssl/certs/ca-certificates.crt (amko itself needs none)")
	fs.Var(&binaries, "binary", "OS/ARCH=PATH of the amko binary for a platform; repeat for each platform")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.layout == "" || o.version == "" || len(binaries) == 0 || fs.NArg() > 0 {
		return errors.New("build needs -layout, -version and at least one -binary, and no arguments\n" + usage)
	}
	for _, b := range binaries {
		platform, path, ok := strings.Cut(b, "=")
		osName, arch, ok2 := strings.Cut(platform, "/")
		if !ok || !ok2 || path == "" || osName == "" || arch == "" {
			return fmt.Errorf("-binary %q: want OS/ARCH=PATH, e.g. linux/arm64=bin/linux_arm64/amko", b)
		}
		o.platforms = append(o.platforms, platformBinary{os: osName, arch: arch, path: path})
	}
	digest, err := build(o)
	if err != nil {
		return err
	}
	fmt.Printf("amko-image: wrote %s (index %s, tag %s)\n", o.layout, digest, o.version)
	return nil
}

func runPush(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	layoutDir := fs.String("layout", "", "OCI layout folder written by build")
	insecure := fs.Bool("insecure", false, "allow plain HTTP to the registry (loopback addresses get it anyway)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *layoutDir == "" || fs.NArg() == 0 {
		return errors.New("push needs -layout and at least one reference\n" + usage)
	}
	for _, ref := range fs.Args() {
		digest, err := push(ctx, *layoutDir, ref, *insecure)
		if err != nil {
			return err
		}
		fmt.Printf("amko-image: pushed %s@%s\n", ref, digest)
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
