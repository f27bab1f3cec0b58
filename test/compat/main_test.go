// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package compat_test proves that amko's CRDs are a drop-in for AMKO 2.2.1's at
// admission: every object AMKO's CRDs accept, amko's accept and store the same,
// except a short list where AMKO's own code cannot read the object (and then
// amko's message says so). It runs two real API servers, one with amko's
// CRDs and one with AMKO 2.2.1's, applies the examples of the AMKO reference
// and a corpus generated from AMKO's schemas to both, and compares. It also
// runs amko on the first to show that what admission no longer refuses is
// refused at runtime, in the status, with AMKO's text.
package compat_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/amko-project/amko/config/crd"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

var set *clusters.Set

// Cluster 0 has amko's CRDs; cluster 1 gets AMKO 2.2.1's (amkoCluster).
func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard()) // controller-runtime's clients log through it
	os.Exit(clusters.Main(m, 2, &set, clusters.Options{}))
}

// AMKO's CRD manifests: its four own, kept with config/crd's compatibility
// test, and the AKO HostRule CRD that AMKO's tests install.
var amkoCRDFiles = []string{
	"../../config/crd/testdata/amko-2.2.1/amko.vmware.com_amkoclusters.yaml",
	"../../config/crd/testdata/amko-2.2.1/gdp_def.yaml",
	"../../config/crd/testdata/amko-2.2.1/gslb_config_def.yaml",
	"../../config/crd/testdata/amko-2.2.1/gslbhostrule_def.yaml",
	"testdata/foreign-crds/ako.vmware.com_hostrules.yaml",
}

// crdDeletion bounds the wait for a CRD to go and for its replacement to serve.
const crdDeletion = 3 * time.Minute

var (
	swapOnce sync.Once
	swapErr  error
)

// amkoCluster returns the cluster whose CRDs are AMKO 2.2.1's, replacing amko's
// there on first use.
func amkoCluster(t *testing.T) client.Client {
	t.Helper()
	swapOnce.Do(func() { swapErr = installAMKOCRDs(t, set.Clusters[1].Client) })
	if swapErr != nil {
		t.Fatalf("installing AMKO 2.2.1's CRDs: %v", swapErr)
	}
	return set.Clusters[1].Client
}

// installAMKOCRDs deletes amko's CRD of each of AMKO's names and creates AMKO's,
// waiting for each step: a CRD is gone once its instances are, and serves
// once Established.
func installAMKOCRDs(t *testing.T, c client.Client) error {
	ctx := context.Background()
	for _, f := range amkoCRDFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		theirs, err := crd.Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
		ours := &apiextensionsv1.CustomResourceDefinition{}
		ours.Name = theirs.Name
		if err := c.Delete(ctx, ours); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting amko's %s: %w", theirs.Name, err)
		}
		// The API server deletes a CRD's instances and then polls every 5 s
		// until they are gone: under a full suite's load that has taken
		// longer than await.Timeout.
		await.Within(t, crdDeletion, "amko's "+theirs.Name+" deleted", func() error {
			err := c.Get(ctx, client.ObjectKeyFromObject(ours), ours)
			if apierrors.IsNotFound(err) {
				return nil
			}
			return errors.Join(err, errors.New("still there"))
		})
		theirs.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
		if err := c.Create(ctx, theirs); err != nil {
			return fmt.Errorf("creating AMKO's %s: %w", theirs.Name, err)
		}
		await.Within(t, crdDeletion, "AMKO's "+theirs.Name+" established", func() error {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(theirs), got); err != nil {
				return err
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return nil
				}
			}
			return errors.New("not established")
		})
	}
	return nil
}
