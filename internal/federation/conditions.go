// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package federation

import (
	"strings"

	amkov1alpha1 "github.com/amko-project/amko/api/amko/v1alpha1"
)

// Condition types and texts of the AMKOCluster status, exactly as AMKO's
// federator writes them: tools and runbooks match on them.
const (
	TypeValidation           = "current AMKOCluster Validation"
	TypeMemberInitialisation = "member cluster initialisation"
	TypeMemberValidation     = "member cluster validation"
	TypeGSLBConfigFederation = "GSLBConfig Federation"
	TypeGDPFederation        = "GDP Federation"
	// TypeGSLBHostRuleFederation is ours: AMKO does not replicate GSLBHostRules.
	// It takes the texts of the other federation conditions.
	TypeGSLBHostRuleFederation = "GSLBHostRule Federation"
	// TypeElected is ours too: with spec.failover Automatic, the election's
	// view (status "True" or "False", the term and holder in the reason).
	TypeElected = "Elected"

	StatusInvalidAMKOCluster = "invalid AMKOCluster object"
	StatusValidAMKOCluster   = "valid AMKOCluster object"
	StatusNotALeader         = "won't federate objects"
	ReasonNotALeader         = "AMKO not a leader"

	StatusClientsInvalid     = "member cluster clients invalid"
	StatusSomeClientsInvalid = "some member cluster clients couldn't be fetched"
	StatusClientsFetched     = "all cluster clients fetched"

	// StatusMembersAllFailed is, as in AMKO, the client text reused for a hard
	// failure of the member validation (such as another leader).
	StatusMembersAllFailed   = StatusClientsInvalid
	StatusSomeMembersInvalid = "error in validating some member clusters"
	StatusMembersValidated   = "validated all member clusters"

	StatusFederationFailure     = "failure in federation"
	StatusSomeFederationFailure = "error in federating to some clusters"
	StatusFederationSuccess     = "federated to all valid clusters successfully"
)

// texts are a condition's three statuses: after a hard error, after errors in
// some clusters, and after success.
type texts struct{ allFailed, someFailed, success string }

var (
	initTexts       = texts{StatusClientsInvalid, StatusSomeClientsInvalid, StatusClientsFetched}
	validationTexts = texts{StatusMembersAllFailed, StatusSomeMembersInvalid, StatusMembersValidated}
	federationTexts = texts{StatusFederationFailure, StatusSomeFederationFailure, StatusFederationSuccess}
)

// conditions accumulates a pass's conditions in AMKO's order; AMKO resets them
// on every pass, so a pass that stops early shows only the steps it reached.
type conditions []amkov1alpha1.AMKOClusterCondition

func (c *conditions) add(typ, status, reason string) {
	*c = append(*c, amkov1alpha1.AMKOClusterCondition{Type: typ, Status: status, Reason: reason})
}

// hard records a step that failed as a whole.
func (c *conditions) hard(typ string, t texts, err error) { c.add(typ, t.allFailed, err.Error()) }

// step records a step that ran for every cluster: success, or the per-cluster
// errors joined with "," as AMKO does.
func (c *conditions) step(typ string, t texts, errs []error) {
	if len(errs) == 0 {
		c.add(typ, t.success, "")
		return
	}
	c.add(typ, t.someFailed, joinErrs(errs))
}

// joinErrs joins error messages with ",", as AMKO's reasons do.
func joinErrs(errs []error) string {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, ",")
}
