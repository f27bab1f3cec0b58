// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package operator

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/amko-project/amko/internal/gslb"
	"github.com/amko-project/amko/internal/members"
	"github.com/amko-project/amko/internal/plan"
	"github.com/amko-project/amko/internal/policy"
)

// The causes of a disabled member, as metrics label them.
const (
	causeEndpoints   = "endpoints"
	causeClusterLost = "cluster_lost"
)

// downCause is the metrics label of a member's Down.
func downCause(down string) string {
	if strings.HasPrefix(down, members.CauseClusterLost) {
		return causeClusterLost
	}
	return causeEndpoints
}

// memberHealthSettings hands the member registry the GDP's endpoint health
// hold-down and the GSLBConfig's time before a lost cluster's members are
// taken out: both apply from the pass that reads them.
func (o *Operator) memberHealthSettings(pol *policy.Policy) {
	hold := members.DefaultHoldDown
	if pol != nil && pol.GDP != nil && pol.GDP.EndpointHealth != nil && pol.GDP.EndpointHealth.HoldDown != nil {
		hold = max(pol.GDP.EndpointHealth.HoldDown.Duration, 0)
	}
	var lossAfter time.Duration
	o.mu.Lock()
	if gc := o.state.config; gc != nil && gc.Spec.MemberClusterLoss != nil && gc.Spec.MemberClusterLoss.DisableMembersAfter != nil {
		lossAfter = gc.Spec.MemberClusterLoss.DisableMembersAfter.Duration
	}
	o.mu.Unlock()
	o.members.SetHealth(hold, lossAfter)
}

// memberKey is a member of a service, across passes.
type memberKey struct {
	tenant, service, cluster string
	ip                       netip.Addr
}

// memberDownChanges records as Events on the GSLBConfig and as metrics the
// members the desired services take out for their endpoints or their lost
// cluster, and those they bring back. Members that appear already out count
// as taken out; members that go away are forgotten. It looks at the services
// that changed since the last call only (prev), and runs on the pass
// goroutine only.
func (o *Operator) memberDownChanges(prev, desired []*gslb.Service) {
	if o.downMembers == nil {
		o.downMembers = map[memberKey]string{}
	}
	type change struct {
		key        memberKey
		down, prev string
	}
	var changes []change
	plan.Changed(prev, desired, func(old, cur *gslb.Service) {
		var was map[memberKey]string // old's members that were out
		if old != nil {
			for _, p := range old.Pools {
				for _, m := range p.Members {
					k := memberKey{old.Tenant, old.Name, m.Cluster, m.IP}
					if down, ok := o.downMembers[k]; ok {
						if was == nil {
							was = map[memberKey]string{}
						}
						was[k] = down
						delete(o.downMembers, k)
					}
				}
			}
		}
		if cur == nil {
			return
		}
		for _, p := range cur.Pools {
			for _, m := range p.Members {
				k := memberKey{cur.Tenant, cur.Name, m.Cluster, m.IP}
				if m.Down != "" {
					o.downMembers[k] = m.Down
				}
				if prev := was[k]; (m.Down != "") != (prev != "") {
					changes = append(changes, change{k, m.Down, prev})
				}
			}
		}
	})
	if len(changes) == 0 {
		return
	}
	o.mu.Lock()
	gc := o.state.config
	o.mu.Unlock()
	for _, c := range changes {
		member := c.key.cluster + "/" + c.key.ip.String()
		if c.down != "" {
			o.metrics.downChanges.WithLabelValues("down", downCause(c.down)).Inc()
			if gc != nil {
				o.recorder.Event(gc, corev1.EventTypeWarning, "MemberDown",
					fmt.Sprintf("member %s of %s is taken out (written disabled, left out of DNS answers): %s", member, c.key.service, c.down))
			}
			continue
		}
		o.metrics.downChanges.WithLabelValues("up", downCause(c.prev)).Inc()
		if gc != nil {
			o.recorder.Event(gc, corev1.EventTypeNormal, "MemberUp",
				fmt.Sprintf("member %s of %s is back (enabled) after %s", member, c.key.service, c.prev))
		}
	}
}
