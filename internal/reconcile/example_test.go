package reconcile_test

import (
	"context"
	"errors"
	"time"

	"github.com/amko-project/amko/internal/reconcile"
)

var (
	errUnavailable = errors.New("controller unavailable")
	errBadCreds    = errors.New("bad credentials")
)

// How a caller wires the loop: informer handlers call Trigger, a change of the
// credentials calls Reset, /status reads State.
func Example() {
	loop := reconcile.New(reconcile.Options{
		Resync: func() time.Duration { return 10 * time.Minute }, // e.g. GSLBConfig refreshInterval
		Classify: func(err error) string {
			switch {
			case errors.Is(err, errBadCreds):
				return "bad-credentials"
			case errors.Is(err, errUnavailable):
				return "unavailable"
			}
			return ""
		},
		Backoff: func(class string) reconcile.Backoff {
			if class == "bad-credentials" {
				return reconcile.Backoff{Base: 10 * time.Minute, Max: 30 * time.Minute}
			}
			return reconcile.Backoff{} // 500 ms doubling to 5 s
		},
		Probe: func(ctx context.Context, class string) error {
			if class == "bad-credentials" {
				return errBadCreds // no login until Reset: the Secret changed
			}
			return nil // e.g. an unauthenticated GET of the controller
		},
	})
	var observed map[string]string // what the backend held at the last read
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // so that the example returns
	_ = loop.Run(ctx, func(ctx context.Context, p reconcile.Pass) error {
		if p.Resync || observed == nil {
			observed = map[string]string{} // re-read the backend: drift repair, garbage collection
		}
		return nil // plan against observed and apply
	})
	_ = loop.State()
}
