// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
	"github.com/amko-project/amko/internal/provider"
)

// MembersSecret and MembersKey hold the gslb-members kubeconfig, as in AMKO.
const (
	MembersSecret = "gslb-config-secret"
	MembersKey    = "gslb-members"
)

// state is what one pass leaves for the next.
type state struct {
	config    *amkov1alpha1.GSLBConfig // the accepted one
	configKey string                   // what the backend was built from
	backend   provider.Provider
	leader    bool
	checked   time.Time // of leadership
	// cause is the class of the backend's last failure, "" when it answers:
	// an Event is recorded when it changes, not at every failing pass.
	cause string
	// lastErr is the backend's last failure, nil when it answers.
	lastErr error

	// observed plans against the backend's state as last read and since
	// written; nil: read it again.
	observed *plan.Planner
	synced   bool

	// mirror is the built-in DNS server beside a controller (mirror.go),
	// built from mirrorKey; mirrorErr why it could not be, "" when it runs.
	mirror    provider.Provider
	mirrorKey string
	mirrorErr string

	defaultPKI      string
	defaultPKIKnown bool

	clusters map[string]members.State // as last reported

	// pinRecorded: the certificate the backend pinned is on the GSLBConfig
	// (an empty annotation then means an operator cleared it).
	pinRecorded bool
	// pinAnnounced is the pin last announced by a ControllerNotVerified Event.
	pinAnnounced string

	// controller is the alternate controller followed (leaderfollow.go), ""
	// for controllerIP; unreachableSince when the one in use stopped
	// answering; searchAnnounced the last search outcome announced.
	controller       string
	unreachableSince time.Time
	searchAnnounced  string
	searchedAt       time.Time
}

// configPass selects and checks the GSLBConfig, writes the GSLBConfigs'
// statuses, and keeps the backend and the member clusters in step with it. It
// returns the accepted config, or nil while there is none.
func (o *Operator) configPass(ctx context.Context) (*amkov1alpha1.GSLBConfig, error) {
	var list amkov1alpha1.GSLBConfigList
	if err := o.cache.List(ctx, &list, client.InNamespace(Namespace)); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		o.retainSecrets(nil)
		o.setConfig(nil)
		return nil, nil
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool {
		ai, aj := inEffect(items[i].Status.State), inEffect(items[j].Status.State)
		if ai != aj {
			return ai
		}
		return olderThan(&items[i], &items[j])
	})
	gc := items[0].DeepCopy()
	o.announceCRDs(gc)
	for i := range items[1:] {
		o.setConfigStatus(ctx, &items[1+i], amkov1alpha1.GSLBConfigStateAnother)
	}
	o.retainSecrets(gc)

	if gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] == "" && o.active() {
		// The uuid names this amko's controller objects; keep it forever.
		patch := client.MergeFrom(gc.DeepCopy())
		if gc.Annotations == nil {
			gc.Annotations = map[string]string{}
		}
		gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation] = uuid.NewString()
		if err := o.client.Patch(ctx, gc, patch); err != nil {
			return nil, fmt.Errorf("writing the amko-uuid annotation: %w", err)
		}
	}

	kubeconfig, err := o.membersKubeconfig(ctx)
	if err == nil {
		var contexts []string
		for _, m := range gc.Spec.MemberClusters {
			contexts = append(contexts, m.ClusterContext)
		}
		err = o.members.Set(ctx, kubeconfig, contexts)
	}
	if err != nil {
		msg := "error: provided kubeconfig has an error " + err.Error()
		if gc.Status.State != msg {
			o.recorder.Event(gc, corev1.EventTypeWarning, "Rejected", msg)
			o.log.Warn("the gslb-members kubeconfig cannot be used", "err", err)
		}
		o.setConfigStatus(ctx, gc, msg)
		o.setConfig(nil)
		// Retried with backoff, not only at the next change of the Secret or
		// the GSLBConfig: a read that failed for a moment must not leave amko
		// idle until then.
		return nil, fmt.Errorf("the gslb-members kubeconfig: %w", err)
	}

	backend, err := o.backendFor(ctx, gc)
	if err != nil {
		var cerr *provider.ConfigError
		if errors.As(err, &cerr) {
			if gc.Status.State != cerr.State {
				o.recorder.Event(gc, corev1.EventTypeWarning, "Rejected", cerr.State)
			}
			o.setConfigStatus(ctx, gc, cerr.State)
			o.setConfig(nil)
			return nil, err // retried with backoff: a taken DNS port may be freed
		}
		return nil, err
	}

	o.mirrorFor(ctx, gc)
	o.applyLogLevel(gc.Spec.LogLevel)
	o.mu.Lock()
	if prev := o.state.config; prev == nil || !slices.Equal(prev.Spec.MemberClusters, gc.Spec.MemberClusters) {
		// The role of an amko without an AMKOCluster depends on the set.
		defer o.pokeFederation()
	}
	// A copy: the pass goes on writing gc's status (and a patch decodes the
	// answer into it) while other goroutines read the config under o.mu.
	o.state.config = gc.DeepCopy()
	// With alternates, a controller that is not the leader, or not
	// answering, is asked again (and the others searched) every searchEvery.
	needCheck := backend.Shared() && (time.Since(o.state.checked) > o.opts.LeadershipRecheck || o.searchDueLocked(gc))
	if !backend.Shared() {
		o.state.leader = true
	}
	o.mu.Unlock()

	if needCheck {
		leader, err := backend.Leading(ctx)
		o.trustReport(ctx, gc, backend)
		o.noteReachable(gc, err)
		if why := o.shouldSearch(gc, err == nil && !leader); why != "" {
			o.searchLeader(ctx, gc, why)
		}
		if err != nil {
			if errors.Is(err, provider.ErrUntrusted) {
				// Fixed by a new CA or pin: the annotation and the Secrets are
				// watched, a caBundle ConfigMap is read again after this.
				time.AfterFunc(untrustedRecheck, o.Poke)
			}
			return gc, &connectError{err}
		}
		o.mu.Lock()
		if leader && !o.state.leader {
			o.state.observed = nil // the controller changed while we were not leading: read it again
		}
		o.state.leader, o.state.checked = leader, time.Now()
		o.mu.Unlock()
	} else {
		o.trustReport(ctx, gc, backend)
	}
	return gc, nil
}

// untrustedRecheck is how often a pass looks again for a new CA (a caBundle
// object is not watched) while the controller's certificate is refused.
const untrustedRecheck = 15 * time.Second

// connectError is a failure to reach the controller at all, which AMKO
// reports in the GSLBConfig's status.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// applyLogLevel makes the log level follow the GSLBConfig, as AMKO does live.
func (o *Operator) applyLogLevel(level amkov1alpha1.LogLevel) {
	if o.opts.LogLevel == nil || level == "" {
		return
	}
	levels := map[amkov1alpha1.LogLevel]slog.Level{
		amkov1alpha1.LogLevelDebug: slog.LevelDebug, amkov1alpha1.LogLevelInfo: slog.LevelInfo,
		amkov1alpha1.LogLevelWarn: slog.LevelWarn, amkov1alpha1.LogLevelError: slog.LevelError,
	}
	if l, ok := levels[level]; ok && o.opts.LogLevel.Level() != l {
		o.opts.LogLevel.Set(l)
		o.log.Info("log level set from the GSLBConfig", "level", level)
	}
}

func (o *Operator) setConfig(gc *amkov1alpha1.GSLBConfig) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.state.config = gc.DeepCopy() // nil stays nil
}

// backendFor returns the backend of the accepted config, reusing the current
// one when nothing it depends on changed; a *provider.ConfigError refuses the
// config. A new backend starts afresh: nothing observed, leadership and
// references to be checked again.
func (o *Operator) backendFor(ctx context.Context, gc *amkov1alpha1.GSLBConfig) (provider.Provider, error) {
	key, creds, ca, err := o.backendKey(ctx, gc)
	if err != nil {
		return nil, err
	}
	if alt := o.following(gc, ca); alt != "" {
		gc = withController(gc, alt)
		key += "@" + alt
	}
	pin := ""
	if !dnsOnly(gc) && len(ca) == 0 {
		pin = annotatedPin(gc)
	}
	o.mu.Lock()
	current, currentKey, recorded, mirror := o.state.backend, o.state.configKey, o.state.pinRecorded, o.state.mirror
	o.mu.Unlock()
	if current != nil && currentKey == key && !pinChanged(current, pin, recorded) {
		return current, nil
	}
	prev := current
	if dnsOnly(gc) && mirror != nil {
		// Leaving Avi: the DNS server that mirrored the controller becomes the
		// backend, listener and answers kept, so a delegated zone never stops
		// resolving.
		prev = mirror
	}
	backend, err := o.opts.Providers(ctx, provider.Settings{
		Config: gc, Credentials: creds, Prev: prev, Timeout: o.opts.BackendTimeout,
		Concurrency: o.opts.ControllerConcurrency,
		ProbeScale:  o.opts.ProbeScale, OnHealth: o.healthChanged, Log: o.log, Registerer: o.metrics.reg,
		CABundle: ca, Pin: pin, OnPin: o.onPin(gc.Spec.GSLBLeader.ControllerIP),
	})
	if err != nil {
		return nil, err
	}
	handOver := current != nil && current != backend && wantsMirror(gc) && mirror == nil && current.Kind() == "dns"
	if current != nil && current != backend && !handOver {
		if err := current.Close(); err != nil {
			o.log.Warn("closing the previous GSLB backend", "kind", current.Kind(), "err", err)
		}
	}
	o.mu.Lock()
	switch {
	case handOver:
		// A controller added to the DNS backend: the DNS server goes on as its
		// mirror (mirrorFor applies the new settings to it).
		o.state.mirror, o.state.mirrorKey = current, ""
	case mirror != nil && backend == mirror:
		o.state.mirror, o.state.mirrorKey = nil, ""
	}
	o.state.backend, o.state.configKey = backend, key
	o.state.observed, o.state.synced, o.state.checked, o.state.leader = nil, false, time.Time{}, false
	o.state.defaultPKIKnown, o.state.cause = false, ""
	o.state.pinRecorded = pin != ""
	o.mu.Unlock()
	o.loop.Reset() // a fixed configuration ends any backoff of the old one
	return backend, nil
}

// backendKey identifies what the backend is built from, and returns the
// controller's credentials and CA bundle (nil: none given). The credentials
// and the CA are part of the key, hashed, so that a fixed password or CA
// builds a new backend (which may log in again). The pin is not: see
// pinChanged.
func (o *Operator) backendKey(ctx context.Context, gc *amkov1alpha1.GSLBConfig) (string, map[string][]byte, []byte, error) {
	h := sha256.New()
	if dnsOnly(gc) {
		spec, err := json.Marshal(gc.Spec.DNS)
		if err != nil {
			return "", nil, nil, err
		}
		h.Write([]byte("dns\x00"))
		h.Write(spec)
		return hex.EncodeToString(h.Sum(nil)), nil, nil, nil
	}
	leader := gc.Spec.GSLBLeader
	if leader.ControllerIP == "" {
		return "", nil, nil, &provider.ConfigError{State: "error: invalid gslb config with controller IP " + leader.ControllerIP}
	}
	if leader.Credentials == "" {
		return "", nil, nil, &provider.ConfigError{State: "error: invalid gslb config with leaderSecret " + leader.Credentials}
	}
	secret, err := o.secrets.get(ctx, leader.Credentials)
	if apierrors.IsNotFound(err) {
		return "", nil, nil, &provider.ConfigError{State: "error: secret object doesn't exist " + leader.Credentials, Err: err}
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("reading the credentials Secret %s/%s: %w", Namespace, leader.Credentials, err)
	}
	if msg := credentialsProblem(secret); msg != "" {
		// The Secret exists: saying it does not would send the admin looking
		// for the wrong fault.
		return "", nil, nil, &provider.ConfigError{State: "error: invalid gslb config: " + msg}
	}
	tenant := policy.DefaultTenant
	if leader.Tenant != nil && *leader.Tenant != "" {
		tenant = *leader.Tenant
	}
	ca, err := o.controllerCA(ctx, gc, secret)
	if err != nil {
		return "", nil, nil, err
	}
	for _, part := range []string{"avi", leader.ControllerIP, leader.ControllerVersion, tenant, gc.Annotations[amkov1alpha1.AMKOUUIDAnnotation],
		string(secret.Data["username"]), string(secret.Data["password"]), string(ca)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), secret.Data, ca, nil
}

// credentialsProblem says what is wrong with the controller credentials
// Secret, "" when nothing: AMKO reads its keys username and password.
func credentialsProblem(s *corev1.Secret) string {
	where := fmt.Sprintf("the Secret %s/%s", s.Namespace, s.Name)
	switch u, ok := s.Data["username"]; {
	case !ok:
		return where + " has no key username"
	case len(bytes.TrimSpace(u)) == 0:
		return where + " has an empty username"
	}
	return ""
}

// CAKey is the key of the credentials Secret that may hold the controller's
// CA bundle, as AKO's avi-secret does: PEM, or base64 of PEM (what a value
// given already encoded to a chart that encodes it again leaves).
const CAKey = "certificateAuthorityData"

// controllerCA is the CA bundle the controller's certificate must chain to:
// the credentials Secret's certificateAuthorityData and the bundle
// spec.gslbLeader.caBundle names, together; nil when neither is given. A CA
// named but missing or unreadable refuses the configuration: it never falls
// back to trust on first use.
func (o *Operator) controllerCA(ctx context.Context, gc *amkov1alpha1.GSLBConfig, secret *corev1.Secret) ([]byte, error) {
	var bundle []byte
	if data := secret.Data[CAKey]; len(bytes.TrimSpace(data)) > 0 {
		ca, err := caPEM(data)
		if err != nil {
			msg := fmt.Sprintf("error: invalid gslb config: the key %s of Secret %s/%s %v", CAKey, secret.Namespace, secret.Name, err)
			return nil, &provider.ConfigError{State: msg, Err: err}
		}
		bundle = append(bundle, ca...)
	}
	ref := gc.Spec.GSLBLeader.CABundle
	if ref == nil {
		return bundle, nil
	}
	kind, key := ref.Kind, ref.Key
	if kind == "" {
		kind = "Secret"
	}
	if key == "" {
		key = "ca.crt"
	}
	where := fmt.Sprintf("CA bundle %s %s/%s", kind, Namespace, ref.Name)
	var data []byte
	var err error
	switch kind {
	case "Secret":
		// Watched by name like the credentials (a change asks for a pass),
		// not read from the API server at every pass.
		var s *corev1.Secret
		if s, err = o.secrets.get(ctx, ref.Name); err == nil {
			data = s.Data[key]
		}
	case "ConfigMap":
		data, err = o.caConfigMap(ctx, ref.Name, key)
	default:
		return nil, &provider.ConfigError{State: "error: invalid gslb config: caBundle kind " + kind + " is neither Secret nor ConfigMap"}
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, &provider.ConfigError{State: "error: invalid gslb config: " + where + " doesn't exist", Err: err}
	case err != nil:
		return nil, fmt.Errorf("reading the %s: %w", where, err)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, &provider.ConfigError{State: "error: invalid gslb config: " + where + " has no key " + key}
	}
	ca, err := caPEM(data)
	if err != nil {
		return nil, &provider.ConfigError{State: fmt.Sprintf("error: invalid gslb config: the key %s of %s %v", key, where, err), Err: err}
	}
	return append(bundle, ca...), nil
}

// caConfigMapRead is a CA bundle ConfigMap as last read, so that passes,
// which may run many times a second, read it at most every untrustedRecheck.
// amko watches no ConfigMap: a change shows within that period.
type caConfigMapRead struct {
	name, key string
	at        time.Time
	data      []byte
	err       error
}

// caConfigMap returns the key of the ConfigMap name in avi-system, read again
// when the last read is older than untrustedRecheck. It is the pass
// goroutine's own.
func (o *Operator) caConfigMap(ctx context.Context, name, key string) ([]byte, error) {
	if r := o.caRead; r.name == name && r.key == key && time.Since(r.at) < untrustedRecheck {
		return r.data, r.err
	}
	var cm corev1.ConfigMap
	err := o.client.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: name}, &cm)
	var data []byte
	if err == nil {
		data = []byte(cm.Data[key])
		if len(data) == 0 {
			data = cm.BinaryData[key]
		}
	}
	if err == nil || apierrors.IsNotFound(err) {
		o.caRead = caConfigMapRead{name: name, key: key, at: time.Now(), data: data, err: err}
	}
	return data, err
}

// caPEM returns data as a PEM bundle holding at least one certificate: data
// itself, or data decoded from base64.
func caPEM(data []byte) ([]byte, error) {
	data = bytes.TrimSpace(data)
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		decoded, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(data), nil)))
		if err != nil || !bytes.Contains(decoded, []byte("-----BEGIN")) {
			return nil, errors.New("is neither a PEM certificate bundle nor base64 of one")
		}
		data = bytes.TrimSpace(decoded)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return nil, errors.New("holds no PEM certificate")
	}
	// A copy: data may be the cache's own bytes.
	out := make([]byte, 0, len(data)+1)
	return append(append(out, data...), '\n'), nil
}

// trustReporter is what a controller backend says of its TLS trust (the Avi
// provider): the operator imports no concrete provider.
type trustReporter interface {
	// Verified: the certificate chained to the CA given at the last handshake.
	Verified() bool
	// Pinned is the SHA-256 (hex) of the certificate pinned without a CA.
	Pinned() string
}

// pinChanged reports whether the pin on the GSLBConfig (annotated; "" with
// a CA) asks for another backend than current: an operator cleared the pin
// or wrote another. The pin current took on first use and amko has not
// recorded yet (or the cache has not seen recorded yet) is no change: the
// pin is not part of the backend's key, so recording it rebuilds nothing.
func pinChanged(current provider.Provider, annotated string, recorded bool) bool {
	tr, ok := current.(trustReporter)
	if !ok {
		return false
	}
	switch held := tr.Pinned(); {
	case annotated == held:
		return false
	case annotated == "" && !recorded:
		return false
	}
	return true
}

// annotatedPin is the pin on the GSLBConfig, as the backend holds it.
func annotatedPin(gc *amkov1alpha1.GSLBConfig) string {
	return strings.ToLower(strings.TrimSpace(gc.Annotations[amkov1alpha1.ControllerCertificateAnnotation]))
}

// onPin is told by the backend of the certificate it pinned on first use;
// the pass it asks for records the pin on the GSLBConfig.
func (o *Operator) onPin(controller string) func(string) {
	return func(sum string) {
		o.log.Warn("no CA given: the controller's certificate is pinned on first use", "controller", controller, "sha256", sum)
		o.Poke()
	}
}

// trustReport sets amko_controller_tls_verified from the backend, and
// records the certificate it pinned on first use in the GSLBConfig's
// annotation (the active replica only), with a Warning Event once per pin.
func (o *Operator) trustReport(ctx context.Context, gc *amkov1alpha1.GSLBConfig, backend provider.Provider) {
	tr, ok := backend.(trustReporter)
	o.metrics.controllerTLS(ok && tr.Verified())
	if !ok {
		return
	}
	held := tr.Pinned()
	if held == "" {
		return
	}
	annotated := annotatedPin(gc)
	o.mu.Lock()
	if annotated == held {
		o.state.pinRecorded = true
	}
	write := annotated == "" && !o.state.pinRecorded
	announce := o.state.pinAnnounced != held
	o.mu.Unlock()
	if !write || !o.active() {
		return
	}
	patch := client.MergeFrom(gc.DeepCopy())
	if gc.Annotations == nil {
		gc.Annotations = map[string]string{}
	}
	gc.Annotations[amkov1alpha1.ControllerCertificateAnnotation] = held
	if err := o.client.Patch(ctx, gc, patch); err != nil {
		o.log.Warn("recording the controller's certificate pin", "name", gc.Name, "err", err)
		return
	}
	if announce {
		o.recorder.Event(gc, corev1.EventTypeWarning, "ControllerNotVerified", fmt.Sprintf(
			"no CA given: the controller's certificate %s is pinned on first use; give a CA (spec.gslbLeader.caBundle or the credentials Secret's %s) to verify it",
			held, CAKey))
		o.mu.Lock()
		o.state.pinAnnounced = held
		o.mu.Unlock()
	}
}

// retainSecrets stops watching the Secrets neither gc nor the members need:
// a credentials Secret the GSLBConfig no longer names.
func (o *Operator) retainSecrets(gc *amkov1alpha1.GSLBConfig) {
	var names []string
	if len(o.opts.MembersKubeconfig) == 0 {
		names = append(names, MembersSecret)
	}
	if gc != nil && !dnsOnly(gc) && gc.Spec.GSLBLeader.Credentials != "" {
		names = append(names, gc.Spec.GSLBLeader.Credentials)
	}
	if gc != nil && !dnsOnly(gc) {
		if ref := gc.Spec.GSLBLeader.CABundle; ref != nil && (ref.Kind == "" || ref.Kind == "Secret") {
			names = append(names, ref.Name)
		}
	}
	o.secrets.retain(names...)
}

// membersKubeconfig is the gslb-members kubeconfig: GSLB_CONFIG when given,
// else the gslb-config-secret Secret.
func (o *Operator) membersKubeconfig(ctx context.Context) ([]byte, error) {
	if len(o.opts.MembersKubeconfig) > 0 {
		return o.opts.MembersKubeconfig, nil
	}
	secret, err := o.secrets.get(ctx, MembersSecret)
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", Namespace, MembersSecret, err)
	}
	data := secret.Data[MembersKey]
	if len(data) == 0 {
		return nil, fmt.Errorf("the Secret %s/%s has no key %s", Namespace, MembersSecret, MembersKey)
	}
	return data, nil
}

// setConfigStatus writes a GSLBConfig's state, and the conditions beside it,
// when they differ. On AMKO 2.2.1's CRDs, which prune conditions, the state
// alone is written, on the object itself as AMKO does.
func (o *Operator) setConfigStatus(ctx context.Context, gc *amkov1alpha1.GSLBConfig, msg string) {
	if !o.active() {
		return
	}
	o.mu.Lock()
	hold, backendErr := o.hold, o.state.lastErr
	o.mu.Unlock()
	var conds []metav1.Condition
	changed := false
	if !o.amkoCRDsFor(resGSLBConfigs) {
		conds, changed = withConditions(gc.Status.Conditions, gc.Generation, configConditions(msg, backendErr, hold)...)
	}
	if gc.Status.State == msg && !changed {
		return
	}
	prevState := gc.Status.State
	old := gc.DeepCopy()
	gc.Status.State, gc.Status.Conditions = msg, conds
	if err := o.patchStatus(ctx, resGSLBConfigs, gc, old); err != nil {
		if !isGone(err) {
			o.log.Warn("writing GSLBConfig status", "name", gc.Name, "err", err)
		}
		return
	}
	if prevState != msg && msg == amkov1alpha1.GSLBConfigStateAccepted && !isOutageState(prevState) {
		// AMKO's message, on the GSLBConfig rather than on the pod.
		o.recorder.Event(gc, corev1.EventTypeNormal, "Accepted", "GSLB Configuration validated and accepted.")
	}
}

// inEffect reports whether a GSLBConfig's state says amko uses it.
func inEffect(state string) bool {
	return state == amkov1alpha1.GSLBConfigStateAccepted || isOutageState(state)
}

// olderThan orders objects by creation, then name, so the oldest wins ties.
func olderThan(a, b client.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
}

// isGone reports an error writing an object that was deleted meanwhile.
func isGone(err error) bool { return apierrors.IsNotFound(err) || errors.Is(err, context.Canceled) }

// policyController is what policy validation looks references up in: the
// controller of the current backend, nil when there is none to look in.
func (o *Operator) policyController() policy.Controller {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state.backend == nil {
		return nil
	}
	return o.state.backend.Controller()
}

// defaultPKIProfile is AMKO's default PKI profile for site persistence: the
// controller's first federated one, read once per backend configuration; ""
// without a controller.
func (o *Operator) defaultPKIProfile(ctx context.Context, tenant string) (string, error) {
	o.mu.Lock()
	backend, pki, known := o.state.backend, o.state.defaultPKI, o.state.defaultPKIKnown
	o.mu.Unlock()
	if backend == nil || known {
		return pki, nil
	}
	pki, err := backend.DefaultPKIProfile(ctx, tenant)
	if err != nil {
		return "", err
	}
	o.mu.Lock()
	o.state.defaultPKI, o.state.defaultPKIKnown = pki, true
	o.mu.Unlock()
	return pki, nil
}
