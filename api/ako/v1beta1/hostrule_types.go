// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1beta1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// HostRuleAccepted is the HostRuleStatus.Status of a HostRule AKO applied; amko
// uses no other.
const HostRuleAccepted = "Accepted"

// HostRule is AKO's per-host virtual service settings; amko reads its host name,
// aliases, TLS and GSLB FQDN.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=hostrule;hr
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=`.spec.virtualhost.fqdn`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type HostRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   HostRuleSpec   `json:"spec,omitempty"`
	Status HostRuleStatus `json:"status,omitempty"`
}

// HostRuleSpec is the rule.
// +kubebuilder:pruning:PreserveUnknownFields
type HostRuleSpec struct {
	// +required
	VirtualHost HostRuleVirtualHost `json:"virtualhost"`
}

// HostRuleVirtualHost is the virtual host the rule applies to.
// +kubebuilder:pruning:PreserveUnknownFields
type HostRuleVirtualHost struct {
	// Fqdn is the host name the rule matches.
	// +required
	Fqdn string `json:"fqdn"`
	// FqdnType is how Fqdn matches: Exact, Wildcard or Contains.
	// +kubebuilder:validation:Enum=Exact;Wildcard;Contains
	// +kubebuilder:default=Exact
	FqdnType string `json:"fqdnType,omitempty"`
	// Aliases are further host names of the virtual host.
	Aliases []string `json:"aliases,omitempty"`
	// TLS is the virtual host's TLS setup; a certificate makes the host TLS.
	TLS *HostRuleTLS `json:"tls,omitempty"`
	// Gslb sets the host's global FQDN.
	Gslb *HostRuleGSLB `json:"gslb,omitempty"`
}

// HostRuleTLS is the part of the TLS settings amko reads.
// +kubebuilder:pruning:PreserveUnknownFields
type HostRuleTLS struct {
	SSLKeyCertificate HostRuleSSLKeyCertificate `json:"sslKeyCertificate,omitempty"`
}

// HostRuleSSLKeyCertificate names the virtual host's certificate.
// +kubebuilder:pruning:PreserveUnknownFields
type HostRuleSSLKeyCertificate struct {
	Name string `json:"name,omitempty"`
	// +kubebuilder:validation:Enum=ref;secret
	Type string `json:"type,omitempty"`
}

// HostRuleGSLB is the host's global FQDN.
type HostRuleGSLB struct {
	// Fqdn is the global name used with GSLBConfig.spec.useCustomGlobalFqdn.
	Fqdn string `json:"fqdn,omitempty"`
	// IncludeAliases adds the aliases to the GSLB service's domain names.
	// +kubebuilder:default=false
	IncludeAliases bool `json:"includeAliases,omitempty"`
}

// HostRuleStatus is AKO's verdict on the rule.
type HostRuleStatus struct {
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// HostRuleList is a list of HostRules.
//
// +kubebuilder:object:root=true
type HostRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HostRule `json:"items"`
}
