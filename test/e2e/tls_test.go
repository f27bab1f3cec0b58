// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
	"github.com/amko-project/amko/internal/avisim"
	"github.com/amko-project/amko/internal/operator"
	"github.com/amko-project/amko/test/await"
	"github.com/amko-project/amko/test/clusters"
)

// The link to the controller: verified against a CA given in the credentials
// Secret or through spec.gslbLeader.caBundle; refused, before any login, when
// the CA does not match; pinned on first use without a CA, visibly; refused
// when the certificate is not the one pinned, until the pin is cleared.
// avisim serves a certificate issued by avisim.DefaultCA. Each test leaves
// gc-1 and its Secret as it found them: no CA, and the pin of that
// certificate (which every test without a CA takes on first use anyway).

// tlsScenario starts amko with a metrics registry and one synced service.
func tlsScenario(t *testing.T, app string) (*scenario, *prometheus.Registry, func() error) {
	t.Helper()
	s := begin(t, appGDP(app))
	reg := s.restartWithMetrics()
	host := app + ".example.com"
	s.ingress(leader(), clusters.Ingress{Namespace: "default", Name: app, Labels: map[string]string{"app": app},
		Rules: []clusters.IngressRule{{Host: host, IP: "10.61.0.1"}}, AKO: ako(host, "virtualservice-"+app)})
	s.track(host)
	synced := wantMembers(host, "10:10.61.0.1:1")
	await.Eventually(t, "the service is synced", synced)
	return s, reg, synced
}

// addApp adds an application and returns the check that its service is synced.
func addApp(s *scenario, app, name, ip string) func() error {
	host := name + ".example.com"
	s.ingress(leader(), clusters.Ingress{Namespace: "default", Name: name, Labels: map[string]string{"app": app},
		Rules: []clusters.IngressRule{{Host: host, IP: ip}}, AKO: ako(host, "virtualservice-"+name)})
	s.track(host)
	return wantMembers(host, "10:"+ip+":1")
}

var gcKey = client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.GSLBConfigName}

// changeGC applies change to gc-1.
func changeGC(t *testing.T, change func(*amkov1alpha1.GSLBConfig)) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(ctx, gcKey, &gc); err != nil {
			return err
		}
		change(&gc)
		return leader().Client.Update(ctx, &gc)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// setPin writes the pin annotation ("" removes it, as kubectl annotate ...- does).
func setPin(t *testing.T, pin string) {
	t.Helper()
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		if pin == "" {
			delete(gc.Annotations, amkov1alpha1.ControllerCertificateAnnotation)
			return
		}
		if gc.Annotations == nil {
			gc.Annotations = map[string]string{}
		}
		gc.Annotations[amkov1alpha1.ControllerCertificateAnnotation] = pin
	})
}

func currentPin(t *testing.T) string {
	t.Helper()
	var gc amkov1alpha1.GSLBConfig
	if err := leader().Client.Get(context.Background(), gcKey, &gc); err != nil {
		t.Fatal(err)
	}
	return gc.Annotations[amkov1alpha1.ControllerCertificateAnnotation]
}

// setCredentialsCA writes the credentials Secret's certificateAuthorityData
// (nil removes it) and removes it again when the test ends.
func setCredentialsCA(t *testing.T, data []byte) {
	t.Helper()
	ctx := context.Background()
	write := func(data []byte) error {
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			var secret corev1.Secret
			if err := leader().Client.Get(ctx, client.ObjectKey{Namespace: clusters.Namespace, Name: clusters.ControllerSecret}, &secret); err != nil {
				return err
			}
			if data == nil {
				delete(secret.Data, operator.CAKey)
			} else {
				secret.Data[operator.CAKey] = data
			}
			return leader().Client.Update(ctx, &secret)
		})
	}
	if err := write(data); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := write(nil); err != nil {
			t.Errorf("cleanup: removing the CA: %v", err)
		}
	})
}

// wantState waits for gc-1's state to hold each of texts, and its Synced
// condition to have reason.
func wantState(t *testing.T, reason string, texts ...string) {
	t.Helper()
	await.Eventually(t, fmt.Sprintf("GSLBConfig state says %q, Synced %s", texts, reason), func() error {
		var gc amkov1alpha1.GSLBConfig
		if err := leader().Client.Get(context.Background(), gcKey, &gc); err != nil {
			return err
		}
		for _, text := range texts {
			if !strings.Contains(gc.Status.State, text) {
				return fmt.Errorf("state %q", gc.Status.State)
			}
		}
		if c := meta.FindStatusCondition(gc.Status.Conditions, amkov1alpha1.ConditionSynced); c == nil || c.Reason != reason {
			return fmt.Errorf("Synced %+v", c)
		}
		return nil
	})
}

// wantGCEvent waits for a Warning Event on gc-1 since t0 with one of reasons
// and a message holding each of texts.
func wantGCEvent(t *testing.T, since time.Time, reasons []string, texts ...string) {
	t.Helper()
	await.Eventually(t, fmt.Sprintf("a Warning Event %v on the GSLBConfig saying %q", reasons, texts), func() error {
		var events corev1.EventList
		if err := leader().Client.List(context.Background(), &events, client.InNamespace(clusters.Namespace)); err != nil {
			return err
		}
		var seen []string
	next:
		for _, e := range events.Items {
			if e.InvolvedObject.Kind != "GSLBConfig" || e.InvolvedObject.Name != clusters.GSLBConfigName || e.Type != corev1.EventTypeWarning ||
				e.LastTimestamp.Time.Before(since.Truncate(time.Second)) {
				continue
			}
			seen = append(seen, e.Reason+": "+e.Message)
			for _, text := range texts {
				if !strings.Contains(e.Message, text) {
					continue next
				}
			}
			for _, r := range reasons {
				if e.Reason == r {
					return nil
				}
			}
		}
		return fmt.Errorf("Events seen: %q", seen)
	})
}

// wantVerified waits for amko_controller_tls_verified to be want.
func wantVerified(t *testing.T, reg *prometheus.Registry, want float64) {
	t.Helper()
	await.Eventually(t, fmt.Sprintf("amko_controller_tls_verified %v", want), func() error {
		v, ok := metricValue(t, reg, "amko_controller_tls_verified", nil)
		if !ok || v != want {
			return fmt.Errorf("amko_controller_tls_verified %v (exported: %v)", v, ok)
		}
		return nil
	})
}

// untrustedReasons are the Event reasons a refused certificate is reported with.
var untrustedReasons = []string{"ControllerUntrusted"}

// noLoginFor checks for d that avisim gets no login (nor write) since t0.
func noLoginFor(t *testing.T, t0 time.Time, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if n := loginsSince(t0); n != 0 {
			t.Fatalf("%d logins reached the controller whose certificate is refused", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := writesSince(t0); n != 0 {
		t.Fatalf("%d writes reached the controller whose certificate is refused", n)
	}
}

// restorePin puts the pin of avisim's certificate back when the test ends.
func restorePin(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { setPin(t, avisim.Fingerprint(sim.Certificate())) })
}

// With the CA in the credentials Secret (PEM, or base64 of PEM as AKO's
// chart may leave it) or in a ConfigMap spec.gslbLeader.caBundle names, the
// certificate is verified and amko syncs.
func TestTLSVerifiedWithCA(t *testing.T) {
	ctx := context.Background()
	s, reg, _ := tlsScenario(t, "tls-ca")
	wantVerified(t, reg, 0) // pinned only

	setCredentialsCA(t, avisim.CAPEM())
	wantVerified(t, reg, 1)
	await.Eventually(t, "synced with a verified certificate", addApp(s, "tls-ca", "tls-ca-2", "10.61.0.2"))
	wantState(t, amkov1alpha1.ReasonSynced, amkov1alpha1.GSLBConfigStateAccepted)

	setCredentialsCA(t, []byte(base64.StdEncoding.EncodeToString(avisim.CAPEM())))
	await.Eventually(t, "synced with a base64 CA", addApp(s, "tls-ca", "tls-ca-3", "10.61.0.3"))
	wantVerified(t, reg, 1)

	// Back to pinned, then the CA in a ConfigMap.
	setCredentialsCA(t, nil)
	wantVerified(t, reg, 0)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "controller-ca"},
		Data: map[string]string{"ca.crt": string(avisim.CAPEM())}}
	if err := leader().Client.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leader().Client.Delete(context.Background(), cm) })
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.GSLBLeader.CABundle = &amkov1alpha1.CABundleRef{Kind: "ConfigMap", Name: cm.Name}
	})
	t.Cleanup(func() { changeGC(t, func(gc *amkov1alpha1.GSLBConfig) { gc.Spec.GSLBLeader.CABundle = nil }) })
	wantVerified(t, reg, 1)
	await.Eventually(t, "synced with the CA of a ConfigMap", addApp(s, "tls-ca", "tls-ca-4", "10.61.0.4"))

	// And in a Secret of its own, which amko watches by name.
	caSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: clusters.Namespace, Name: "controller-ca"},
		Data: map[string][]byte{"ca.crt": avisim.CAPEM()}}
	if err := leader().Client.Create(ctx, caSecret); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = leader().Client.Delete(context.Background(), caSecret) })
	changeGC(t, func(gc *amkov1alpha1.GSLBConfig) {
		gc.Spec.GSLBLeader.CABundle = &amkov1alpha1.CABundleRef{Kind: "Secret", Name: caSecret.Name}
	})
	await.Eventually(t, "synced with the CA of a Secret", addApp(s, "tls-ca", "tls-ca-5", "10.61.0.5"))
	wantVerified(t, reg, 1)
	await.Eventually(t, "the CA Secret is watched by name", func() error {
		if got := amko.WatchedSecrets(); !slices.Contains(got, caSecret.Name) {
			return fmt.Errorf("watched Secrets %v", got)
		}
		return nil
	})
}

// A CA that did not issue the controller's certificate: amko says so in the
// status, an Event and the metric, and sends the controller nothing, the
// login least of all; with the CA removed, it syncs again.
func TestTLSWrongCARefused(t *testing.T) {
	s, reg, _ := tlsScenario(t, "tls-wrong-ca")
	other, err := avisim.NewCA("not the controller's CA")
	if err != nil {
		t.Fatal(err)
	}
	mark := time.Now()
	setCredentialsCA(t, other.PEM())
	wantState(t, amkov1alpha1.ReasonCertificateUntrusted,
		"error: issue in connecting to the controller API", "unknown authority", "not trusted")
	wantGCEvent(t, mark, untrustedReasons, "unknown authority")
	wantVerified(t, reg, 0)
	pending := addApp(s, "tls-wrong-ca", "tls-wrong-ca-2", "10.61.1.2")
	noLoginFor(t, mark, 3*time.Second)

	setCredentialsCA(t, nil)
	await.Eventually(t, "synced once the wrong CA is gone", pending)
}

// Without a CA the certificate is pinned on first use: the pin is recorded
// on the GSLBConfig, a Warning Event says it is not verified, the metric is
// 0, and amko syncs.
func TestTLSPinnedOnFirstUse(t *testing.T) {
	mark := time.Now()
	s, reg, _ := tlsScenario(t, "tls-pin")
	restorePin(t)
	setPin(t, "") // kubectl annotate gslbconfig gc-1 amko.vmware.com/controller-certificate-sha256-
	want := avisim.Fingerprint(sim.Certificate())
	await.Eventually(t, "the pin is recorded", func() error {
		if got := currentPin(t); got != want {
			return fmt.Errorf("pin %q, want %s", got, want)
		}
		return nil
	})
	wantGCEvent(t, mark, []string{"ControllerNotVerified"}, want, "no CA given", "caBundle")
	wantVerified(t, reg, 0)
	await.Eventually(t, "synced with a pinned certificate", addApp(s, "tls-pin", "tls-pin-2", "10.61.2.2"))
}

// A certificate that is not the one pinned is refused, before any login,
// with both fingerprints and how to clear the pin; clearing the pin pins the
// certificate served and amko syncs.
func TestTLSPinMismatchRefused(t *testing.T) {
	s, reg, _ := tlsScenario(t, "tls-mismatch")
	restorePin(t)
	sum := sha256.Sum256([]byte("another controller's certificate"))
	wrong := hex.EncodeToString(sum[:])
	served := avisim.Fingerprint(sim.Certificate())

	mark := time.Now()
	setPin(t, wrong)
	wantState(t, amkov1alpha1.ReasonCertificateUntrusted,
		"error: issue in connecting to the controller API", wrong, served, "annotate gslbconfig gc-1 "+amkov1alpha1.ControllerCertificateAnnotation+"-")
	wantGCEvent(t, mark, untrustedReasons, wrong, served)
	wantVerified(t, reg, 0)
	pending := addApp(s, "tls-mismatch", "tls-mismatch-2", "10.61.3.2")
	noLoginFor(t, mark, 3*time.Second)

	setPin(t, "")
	await.Eventually(t, "synced once the pin is cleared", pending)
	await.Eventually(t, "the served certificate is pinned", func() error {
		if got := currentPin(t); got != served {
			return fmt.Errorf("pin %q, want %s", got, served)
		}
		return nil
	})
	wantState(t, amkov1alpha1.ReasonSynced, amkov1alpha1.GSLBConfigStateAccepted)
}
