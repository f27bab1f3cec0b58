// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

// Package statusreport reads and prints what "amko status" shows: the statuses
// of amko's custom resources, and what a running amko reports at /status (its
// role, backend, member clusters and GSLB services with their members and
// health). It only reads (and asks for a short-lived token to show amko), and
// never reads Secrets.
package statusreport

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	amkov1alpha2 "github.com/amko-project/amko/api/amko/v1alpha2"
	"github.com/amko-project/amko/internal/operator"
)

// Object is the status of one of amko's custom resources.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status"`
}

// ReadObjects lists the policy objects and their statuses, by kind, namespace
// and name. A list that fails is reported and the others still read.
func ReadObjects(ctx context.Context, c client.Client, namespace string) ([]Object, error) {
	var out []Object
	var errs []error
	add := func(kind, ns, name, status string) {
		out = append(out, Object{Kind: kind, Namespace: ns, Name: name, Status: status})
	}

	var gcs amkov1alpha1.GSLBConfigList
	if err := c.List(ctx, &gcs, client.InNamespace(namespace)); err != nil {
		errs = append(errs, fmt.Errorf("listing GSLBConfigs: %w", err))
	}
	for _, o := range gcs.Items {
		add("GSLBConfig", o.Namespace, o.Name, o.Status.State)
	}
	var gdps amkov1alpha2.GlobalDeploymentPolicyList
	if err := c.List(ctx, &gdps, client.InNamespace(namespace)); err != nil {
		errs = append(errs, fmt.Errorf("listing GlobalDeploymentPolicies: %w", err))
	}
	for _, o := range gdps.Items {
		add("GlobalDeploymentPolicy", o.Namespace, o.Name, o.Status.ErrorStatus)
	}
	var ghrs amkov1alpha1.GSLBHostRuleList
	if err := c.List(ctx, &ghrs); err != nil {
		errs = append(errs, fmt.Errorf("listing GSLBHostRules: %w", err))
	}
	for _, o := range ghrs.Items {
		s := o.Status.Status
		if o.Status.Error != "" {
			s = strings.TrimPrefix(s+": "+o.Status.Error, ": ")
		}
		add("GSLBHostRule", o.Namespace, o.Name, s)
	}
	var acs amkov1alpha1.AMKOClusterList
	if err := c.List(ctx, &acs, client.InNamespace(namespace)); err != nil {
		errs = append(errs, fmt.Errorf("listing AMKOClusters: %w", err))
	}
	for _, o := range acs.Items {
		var conds []string
		for _, cond := range o.Status.Conditions {
			s := cond.Type + ": " + cond.Status
			if cond.Reason != "" {
				s += " (" + cond.Reason + ")"
			}
			conds = append(conds, s)
		}
		add("AMKOCluster", o.Namespace, o.Name, strings.Join(conds, "; "))
	}

	// Kinds stay in the order above; within one, by namespace and name.
	rank := map[string]int{"GSLBConfig": 0, "GlobalDeploymentPolicy": 1, "GSLBHostRule": 2, "AMKOCluster": 3}
	slices.SortStableFunc(out, func(a, b Object) int {
		return cmp.Or(cmp.Compare(rank[a.Kind], rank[b.Kind]), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, errors.Join(errs...)
}

// TokenHeader carries the bearer token for amko's /status through the API
// server's service proxy, which consumes the Authorization header itself.
const TokenHeader = "X-Amko-Authorization"

// DefaultReader is the ServiceAccount the chart gives the right to read
// /status and /metrics, and whose tokens "amko status" asks for.
const DefaultReader = "amko-status"

// FetchOptions say where amko's /status is and how to be let in.
type FetchOptions struct {
	// Namespace, Service and Port name amko's Service and its port; scheme
	// https unless the port is named http (--insecure-endpoints).
	Namespace, Service, Port string
	// Addr, when set, is amko's address, reached directly instead.
	Addr string
	// Reader is the ServiceAccount in Namespace whose short-lived token is
	// presented, requested with the kubeconfig's own credentials; empty: none.
	Reader string
	// CAFile verifies amko's certificate when reached directly; Insecure skips
	// that (the self-signed default).
	CAFile   string
	Insecure bool
	// Explain asks why candidates are or are not selected.
	Explain string
}

// tokenLifetime is how long a token asked for /status lasts: one command.
const tokenLifetime = 10 * time.Minute

// Fetch reads amko's /status, through the API server's service proxy (so that
// the kubeconfig's credentials decide who may: get on services/proxy, and
// create on the reader's serviceaccounts/token) or directly at o.Addr.
func Fetch(ctx context.Context, cfg *rest.Config, o FetchOptions) (*operator.Status, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var token string
	var tokenErr error
	if o.Reader != "" {
		exp := int64(tokenLifetime / time.Second)
		tr, err := cs.CoreV1().ServiceAccounts(o.Namespace).CreateToken(ctx, o.Reader,
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			// Carry on: amko may serve without authentication; if not, its
			// 401 is explained with this.
			tokenErr = fmt.Errorf("asking for a token of ServiceAccount %s/%s: %w", o.Namespace, o.Reader, err)
		} else {
			token = "Bearer " + tr.Status.Token
		}
	}
	var body []byte
	if o.Addr != "" {
		body, err = fetchDirect(ctx, o, token)
	} else {
		scheme := "https"
		if o.Port == "http" {
			scheme = "http"
		}
		req := cs.CoreV1().RESTClient().Get().Namespace(o.Namespace).Resource("services").
			Name(scheme + ":" + o.Service + ":" + o.Port).SubResource("proxy").Suffix("status")
		if o.Explain != "" {
			req = req.Param("explain", o.Explain)
		}
		if token != "" {
			req = req.SetHeader(TokenHeader, token)
		}
		body, err = req.DoRaw(ctx)
		if err != nil && len(body) > 0 && !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
			// amko's own refusal, passed on by the proxy: say it.
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(body)))
		}
	}
	if err != nil {
		if tokenErr != nil && (apierrors.IsUnauthorized(err) || strings.Contains(err.Error(), "Unauthorized")) {
			return nil, fmt.Errorf("%w (%v)", err, tokenErr)
		}
		return nil, err
	}
	var st operator.Status
	if err := json.Unmarshal(body, &st); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	return &st, nil
}

// fetchDirect reads /status at o.Addr.
func fetchDirect(ctx context.Context, o FetchOptions, token string) ([]byte, error) {
	addr := o.Addr
	if !strings.Contains(addr, "://") {
		addr = "https://" + addr
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure} //nolint:gosec // asked for by --insecure-skip-tls-verify
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--certificate-authority: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--certificate-authority %s: no PEM certificate", o.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}}
	defer hc.CloseIdleConnections()
	u := strings.TrimSuffix(addr, "/") + "/status"
	if o.Explain != "" {
		u += "?" + url.Values{"explain": {o.Explain}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if token != "" && strings.HasPrefix(addr, "https://") {
		req.Header.Set("Authorization", token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// cell makes s fit one table cell: no tabs or line breaks, "-" when empty.
func cell(s string) string {
	s = strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(s)
	if s == "" {
		return "-"
	}
	return s
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// row writes one table line of cells.
func row(w io.Writer, cells ...string) {
	for i := range cells {
		cells[i] = cell(cells[i])
	}
	_, _ = fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// PrintObjects prints the objects' statuses as a table.
func PrintObjects(w io.Writer, objects []Object) error {
	if len(objects) == 0 {
		_, err := fmt.Fprintln(w, "No GSLBConfig, GlobalDeploymentPolicy, GSLBHostRule or AMKOCluster found.")
		return err
	}
	tw := newTable(w)
	row(tw, "KIND", "NAMESPACE", "NAME", "STATUS")
	for _, o := range objects {
		row(tw, o.Kind, o.Namespace, o.Name, o.Status)
	}
	return tw.Flush()
}

// PrintAmko prints what amko reports: its state, the member clusters, one
// line per member of every GSLB service, then one per health monitor of every
// service with what it probes.
func PrintAmko(w io.Writer, st *operator.Status) error {
	_, _ = fmt.Fprintln(w)
	tw := newTable(w)
	if !st.Active {
		row(tw, "AMKO:", "a standby replica (leader election): it answers DNS from its own view but writes nothing")
	}
	row(tw, "ROLE:", st.Role)
	if st.RoleReason != "" {
		row(tw, "", st.RoleReason)
	}
	printElection(tw, st.Election)
	if b := st.Backend; b != nil {
		where := ""
		if b.Controller != "" {
			where = ", controller " + b.Controller
		}
		switch {
		case b.Mirror:
			where += ", and the same services from amko's DNS server on " + b.DNSAddr
		case b.MirrorError != "":
			where += ", and not from amko's DNS server: " + b.MirrorError
		case b.DNSAddr != "":
			where += ", serving DNS on " + b.DNSAddr
		}
		row(tw, "BACKEND:", b.Kind+where)
	}
	if gc := st.GSLBConfig; gc != nil {
		row(tw, "GSLBCONFIG:", gc.Name+": "+cell(gc.State))
	} else {
		row(tw, "GSLBCONFIG:", "none accepted")
	}
	if c := st.Comparison; c != nil {
		verdict := fmt.Sprintf("%d names, %d differences", c.Names, len(c.Differences))
		if c.Error != "" {
			verdict = "failed: " + c.Error
		}
		row(tw, "COMPARED WITH:", c.With+" at "+c.At.UTC().Format(time.RFC3339)+": "+verdict+" (amko status --compare "+c.With+" lists them)")
	}
	if c := st.CRDs; c != nil {
		row(tw, "CRDS:", "AMKO 2.2.1's for "+strings.Join(c.Kinds, ", ")+" (kubectl apply -f charts/amko/crds); lost until then: "+c.Lost)
	}
	ready := "yes"
	if !st.Ready {
		ready = "no: " + st.NotReady
	}
	row(tw, "READY:", ready)
	synced := "never"
	if st.LastSynced != nil {
		synced = st.LastSynced.UTC().Format(time.RFC3339)
	}
	row(tw, "LAST SYNCED:", synced)
	switch st.HealthSource {
	case "probes":
		row(tw, "HEALTH:", "from amko's own probes")
	case "controller":
		row(tw, "HEALTH:", "decided by the Avi controller, not reported by amko")
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(st.Clusters) > 0 {
		_, _ = fmt.Fprintln(w)
		row(tw, "CLUSTER", "STATE", "ERROR")
		for _, c := range st.Clusters {
			row(tw, c.Name, c.State, c.Error)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	_, _ = fmt.Fprintln(w)
	if len(st.Services) == 0 {
		_, err := fmt.Fprintln(w, "No GSLB services.")
		return err
	}
	row(tw, "FQDN", "TENANT", "POOL", "PRIORITY", "CLUSTER", "ADDRESS", "WEIGHT", "HEALTH")
	for _, s := range st.Services {
		fqdn := strings.Join(s.DomainNames, ",")
		if fqdn == "" {
			fqdn = s.Name
		}
		if len(s.Pools) == 0 {
			row(tw, fqdn, s.Tenant, "", "", "", "", "", "")
		}
		for _, p := range s.Pools {
			prio := strconv.FormatUint(uint64(p.Priority), 10)
			if len(p.Members) == 0 {
				row(tw, fqdn, s.Tenant, p.Name, prio, "", "", "", "")
			}
			for _, m := range p.Members {
				address := m.IP
				if m.PublicIP != "" {
					address += " (public " + m.PublicIP + ")"
				}
				health := m.Health
				switch {
				case m.Down != "":
					// Taken out by amko: say why (endpoints, lost cluster).
					health = strings.TrimSpace(health + " (disabled: " + m.Down + ")")
				case !m.Enabled:
					health = strings.TrimSpace(health + " (disabled)")
				}
				// A ratio of 0 weighs as 1.
				row(tw, fqdn, s.Tenant, p.Name, prio, m.Cluster, address, strconv.FormatUint(uint64(max(m.Ratio, 1)), 10), health)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printMonitors(w, st); err != nil {
		return err
	}
	return printExplain(w, st)
}

// printMonitors prints what each service's health monitors probe, one line
// per monitor of every GSLB service: their names (amko--<sha1>) say nothing
// by themselves.
func printMonitors(w io.Writer, st *operator.Status) error {
	n := 0
	for _, s := range st.Services {
		n += len(s.HealthMonitors) + len(s.HealthMonitorRefs)
	}
	if n == 0 {
		return nil
	}
	_, _ = fmt.Fprintln(w)
	tw := newTable(w)
	row(tw, "FQDN", "HEALTH MONITOR", "PROTOCOL", "PORT", "REQUEST", "UP ON", "FOR")
	for _, s := range st.Services {
		fqdn := strings.Join(s.DomainNames, ",")
		if fqdn == "" {
			fqdn = s.Name
		}
		for _, m := range s.HealthMonitors {
			port := "member's"
			if m.Port != 0 {
				port = strconv.FormatUint(uint64(m.Port), 10)
			}
			request := m.Request
			if m.Protocol == "tcp" {
				request = "connect"
			}
			// Who the monitor is for: its GSLB service and path, the
			// template it was made from, or all passthrough services.
			var what []string
			switch {
			case m.Shared:
				what = append(what, "shared by the passthrough services")
			case m.Service != "":
				what = append(what, "gsname "+m.Service)
			}
			if m.Path != "" {
				what = append(what, "path "+m.Path)
			}
			if m.Template != "" {
				what = append(what, "from template "+m.Template)
			}
			row(tw, fqdn, m.Name, m.Protocol, port, request, strings.Join(m.ResponseCodes, ","), strings.Join(what, ", "))
		}
		for _, ref := range s.HealthMonitorRefs {
			row(tw, fqdn, ref, "", "", "", "", "a custom monitor (healthMonitorRefs), not amko's")
		}
	}
	return tw.Flush()
}

// printExplain prints why each candidate asked about is or is not selected.
func printExplain(w io.Writer, st *operator.Status) error {
	if st.ExplainError == "" && st.Explain == nil {
		return nil
	}
	_, _ = fmt.Fprintln(w)
	if st.ExplainError != "" {
		_, err := fmt.Fprintln(w, "EXPLAIN: "+st.ExplainError)
		return err
	}
	if len(st.Explain) == 0 {
		_, err := fmt.Fprintln(w, "EXPLAIN: nothing matches: no Ingress host, Service or Route of that name in any member cluster amko watches.")
		return err
	}
	tw := newTable(w)
	row(tw, "CLUSTER", "KIND", "OBJECT", "HOST", "ADDRESS", "SELECTED", "SERVICE OR REASON")
	for _, e := range st.Explain {
		selected, why := "no", e.Reason
		if e.Selected {
			selected, why = "yes", e.Service
		}
		row(tw, e.Cluster, e.Kind, e.Namespace+"/"+e.Name, e.Host, e.IP, selected, why)
	}
	return tw.Flush()
}

// printElection prints the set's election (failover Automatic): holder and
// term, the clusters granting this amko's term, its expiry, this amko's last
// election or loss and why, and each cluster's record.
func printElection(tw *tabwriter.Writer, e *operator.StatusElection) {
	if e == nil {
		return
	}
	if e.Waiting != "" {
		row(tw, "ELECTION:", "not taking part: "+e.Waiting)
	}
	if e.Identity == "" {
		return
	}
	holder := "none holds a majority"
	if e.Holder != "" {
		holder = fmt.Sprintf("%s, term %d", e.Holder, e.HolderTerm)
	}
	row(tw, "ELECTION:", fmt.Sprintf("automatic failover; this amko (%s) is %s, term %d; holder: %s", e.Identity, e.Role, e.Term, holder))
	if e.ValidUntil != nil {
		row(tw, "", fmt.Sprintf("granted by %s; valid until %s unless renewed", strings.Join(e.Granted, ", "), e.ValidUntil.UTC().Format(time.RFC3339Nano)))
	}
	if e.LastChange != nil {
		row(tw, "", "last change "+e.LastChange.UTC().Format(time.RFC3339)+": "+e.LastChangeWhy)
	}
	if e.Reason != "" {
		row(tw, "", "why: "+e.Reason)
	}
	for _, c := range e.Clusters {
		rec := "not read yet"
		switch {
		case c.Released:
			rec = fmt.Sprintf("released, term %d", c.Term)
		case c.Holder != "":
			rec = fmt.Sprintf("%s, term %d", c.Holder, c.Term)
		case c.LastHeard != nil:
			rec = "no record"
		}
		if c.Granted {
			rec += " (granted)"
		}
		if c.LastHeard != nil {
			rec += ", heard " + c.LastHeard.UTC().Format(time.RFC3339)
		}
		row(tw, "", "  "+c.Name+": "+rec)
	}
}
