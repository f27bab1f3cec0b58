// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// AMKOUUIDAnnotation on a GSLBConfig names the amko instance; objects it creates on
// the controller carry created_by "amko-<uuid>".
const AMKOUUIDAnnotation = "amko.vmware.com/amko-uuid"

// Values of GSLBConfigStatus.State that AMKO writes and users and tools match on.
const (
	GSLBConfigStateSyncing   = "syncing all objects"
	GSLBConfigStateSynced    = "synced all objects"
	GSLBConfigStateAccepted  = "success: gslb config accepted"
	GSLBConfigStateNotLeader = "error: controller not a leader"
	GSLBConfigStateEdited    = "gslb config edited, amko needs a restart"
	GSLBConfigStateAnother   = "error: can't add another gslbconfig"
)

// LogLevel is one of AMKO's log levels.
// +kubebuilder:validation:Enum=DEBUG;INFO;WARN;ERROR
type LogLevel string

// Log levels.
const (
	LogLevelDebug LogLevel = "DEBUG"
	LogLevelInfo  LogLevel = "INFO"
	LogLevelWarn  LogLevel = "WARN"
	LogLevelError LogLevel = "ERROR"
)

// GSLBConfig names the GSLB leader, the member clusters and the operator's settings.
// Exactly one is in effect, in the avi-system namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gc,categories=amko
// +kubebuilder:printcolumn:name="Leader",type=string,JSONPath=`.spec.gslbLeader.controllerIP`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GSLBConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GSLBConfigSpec   `json:"spec"`
	Status GSLBConfigStatus `json:"status,omitempty"`
}

// GSLBConfigSpec is the GSLB configuration.
type GSLBConfigSpec struct {
	// GSLBLeader is the Avi Controller that leads the GSLB federation.
	GSLBLeader GSLBLeader `json:"gslbLeader,omitempty"`

	// MemberClusters are the kubeconfig contexts, in the gslb-members kubeconfig, of
	// the clusters whose applications are load balanced.
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.clusterContext == a.clusterContext))",message="each clusterContext may appear only once in memberClusters"
	MemberClusters []MemberCluster `json:"memberClusters,omitempty"`

	// RefreshInterval is the period, in seconds, of the full resync with the
	// controller; 0 or less means 600.
	RefreshInterval int `json:"refreshInterval,omitempty"`

	// LogLevel is the operator's log level; it applies live.
	LogLevel LogLevel `json:"logLevel,omitempty"`

	// UseCustomGlobalFqdn names GSLB services after the AKO HostRules' gslb.fqdn
	// instead of the applications' own host names.
	UseCustomGlobalFqdn *bool `json:"useCustomGlobalFqdn,omitempty"`
}

// GSLBLeader is the GSLB leader site's controller.
type GSLBLeader struct {
	// Credentials names a Secret in avi-system with keys username and password.
	Credentials string `json:"credentials,omitempty"`
	// ControllerVersion is sent as X-Avi-Version.
	ControllerVersion string `json:"controllerVersion,omitempty"`
	// ControllerIP is the leader controller's address, host[:port].
	ControllerIP string `json:"controllerIP,omitempty"`
	// Tenant is the default Avi tenant for GSLB objects; empty means admin.
	Tenant *string `json:"tenant,omitempty"`
}

// MemberCluster is one member cluster.
type MemberCluster struct {
	// ClusterContext is the cluster's context name in the gslb-members kubeconfig.
	// +kubebuilder:validation:MaxLength=253
	ClusterContext string `json:"clusterContext,omitempty"`
}

// GSLBConfigStatus is the state the operator reports for a GSLBConfig.
type GSLBConfigStatus struct {
	// State is one of AMKO's status strings, such as "success: gslb config accepted".
	State string `json:"state,omitempty"`
}

// GSLBConfigList is a list of GSLBConfigs.
//
// +kubebuilder:object:root=true
type GSLBConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GSLBConfig `json:"items"`
}
