// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package validation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/amko-project/amko/test/clusters"
)

// `kubectl get gc,gdp,ghr,amkocluster` shows at a glance whether each object was
// accepted: the API server's table view carries the status in a column.
func TestPrinterColumnsShowAcceptance(t *testing.T) {
	ctx := context.Background()
	c := set.Clusters[0].Client
	cases := []struct {
		kind, resource, spec string
		status               map[string]any
		column, want         string
	}{
		{"GSLBConfig", "gslbconfigs", "gslbLeader: {controllerIP: 10.10.10.10}",
			map[string]any{"state": "success: gslb config accepted"}, "State", "success: gslb config accepted"},
		{"GlobalDeploymentPolicy", "globaldeploymentpolicies", "",
			map[string]any{"errorStatus": "success"}, "Status", "success"},
		{"GSLBHostRule", "gslbhostrules", "fqdn: cols.example.com",
			map[string]any{"status": "Rejected", "error": "ThirdPartyMember site s does not exist"}, "Error", "ThirdPartyMember site s does not exist"},
		{"AMKOCluster", "amkoclusters", "clusterContext: cluster1-admin",
			map[string]any{"conditions": []any{map[string]any{"type": "current AMKOCluster Validation", "status": "valid AMKOCluster object"}}},
			"Validation", "valid AMKOCluster object"},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			obj := object(t, tc.kind, "columns", tc.spec)
			if err := c.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
			if err := unstructured.SetNestedField(obj.Object, tc.status, "status"); err != nil {
				t.Fatal(err)
			}
			if err := c.Status().Update(ctx, obj); err != nil {
				t.Fatalf("writing status through the status subresource: %v", err)
			}
			got, err := tableCell(ctx, obj.GroupVersionKind().Version, tc.resource, "columns", tc.column)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("column %s = %q, want %q", tc.column, got, tc.want)
			}
		})
	}
}

// tableCell reads the named column of one object from the API server's table view.
func tableCell(ctx context.Context, version, resource, name, column string) (string, error) {
	cfg := set.Clusters[0].Config
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return "", err
	}
	url := fmt.Sprintf("%s/apis/amko.vmware.com/%s/namespaces/%s/%s/%s", strings.TrimSuffix(cfg.Host, "/"), version, clusters.Namespace, resource, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var table metav1.Table
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil {
		return "", err
	}
	if len(table.Rows) != 1 {
		return "", fmt.Errorf("table has %d rows, want 1", len(table.Rows))
	}
	for i, col := range table.ColumnDefinitions {
		if col.Name == column {
			return fmt.Sprint(table.Rows[0].Cells[i]), nil
		}
	}
	return "", fmt.Errorf("no column %q in %v", column, table.ColumnDefinitions)
}
