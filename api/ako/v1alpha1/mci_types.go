// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ClusterSet names the clusters whose Services multi-cluster ingresses may use.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
type ClusterSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterSetSpec   `json:"spec,omitempty"`
	Status ClusterSetStatus `json:"status,omitempty"`
}

// ClusterSetSpec is the set of clusters and where their kubeconfig is.
// +kubebuilder:pruning:PreserveUnknownFields
type ClusterSetSpec struct {
	// SecretName is a Secret in avi-system whose key "clusters" is a kubeconfig.
	SecretName string           `json:"secretName,omitempty"`
	Clusters   []ClusterContext `json:"clusters,omitempty"`
}

// ClusterContext is one cluster's kubeconfig context.
type ClusterContext struct {
	Context string `json:"context,omitempty"`
}

// ClusterSetStatus is service discovery's state per cluster.
// +kubebuilder:pruning:PreserveUnknownFields
type ClusterSetStatus struct {
	ServiceDiscovery []ClusterStatus `json:"serviceDiscovery,omitempty"`
}

// ClusterStatus is one cluster's service discovery state.
type ClusterStatus struct {
	Cluster string `json:"cluster,omitempty"`
	Status  string `json:"status,omitempty"`
}

// ClusterSetList is a list of ClusterSets.
//
// +kubebuilder:object:root=true
type ClusterSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterSet `json:"items"`
}

// MultiClusterIngress is one host served by Services of several clusters.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
type MultiClusterIngress struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   MultiClusterIngressSpec   `json:"spec,omitempty"`
	Status MultiClusterIngressStatus `json:"status,omitempty"`
}

// MultiClusterIngressSpec is the host and its backends.
// +kubebuilder:pruning:PreserveUnknownFields
type MultiClusterIngressSpec struct {
	HostName string `json:"hostName,omitempty"`
	// SecretName makes the host TLS.
	SecretName string          `json:"secretName,omitempty"`
	Config     []BackendConfig `json:"config,omitempty"`
}

// BackendConfig is one backend of a multi-cluster ingress.
type BackendConfig struct {
	Path    string         `json:"path,omitempty"`
	Cluster string         `json:"cluster,omitempty"`
	Weight  int            `json:"weight,omitempty"`
	Service ServiceBackend `json:"service,omitempty"`
}

// ServiceBackend is a Service port in a member cluster.
type ServiceBackend struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Port      int    `json:"port,omitempty"`
}

// MultiClusterIngressStatus is AKO's verdict and the virtual service address.
// +kubebuilder:pruning:PreserveUnknownFields
type MultiClusterIngressStatus struct {
	LoadBalancer LoadBalancerStatus `json:"loadBalancer,omitempty"`
	Status       AcceptedStatus     `json:"status,omitempty"`
}

// LoadBalancerStatus lists the addresses of a multi-cluster ingress.
type LoadBalancerStatus struct {
	Ingress []LoadBalancerIngress `json:"ingress,omitempty"`
}

// LoadBalancerIngress is one address and its host name.
type LoadBalancerIngress struct {
	Hostname string `json:"hostname,omitempty"`
	IP       string `json:"ip,omitempty"`
}

// AcceptedStatus says whether AKO accepted the object, and why not.
type AcceptedStatus struct {
	Accepted bool   `json:"accepted,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// MultiClusterIngressList is a list of MultiClusterIngresses.
//
// +kubebuilder:object:root=true
type MultiClusterIngressList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MultiClusterIngress `json:"items"`
}

// ServiceImport is a member cluster's Service as node addresses and ports, written
// by service discovery for AKO.
//
// +kubebuilder:object:root=true
type ServiceImport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ServiceImportSpec `json:"spec,omitempty"`
}

// ServiceImportSpec is the imported Service.
// +kubebuilder:pruning:PreserveUnknownFields
type ServiceImportSpec struct {
	Cluster   string    `json:"cluster,omitempty"`
	Namespace string    `json:"namespace,omitempty"`
	Service   string    `json:"service,omitempty"`
	SvcPorts  []SvcPort `json:"svcPorts,omitempty"`
}

// SvcPort is a Service port and the node endpoints that serve it.
type SvcPort struct {
	Port      int        `json:"port,omitempty"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is a node address and node port.
type Endpoint struct {
	IP   string `json:"ip,omitempty"`
	Port int    `json:"port,omitempty"`
}

// ServiceImportList is a list of ServiceImports.
//
// +kubebuilder:object:root=true
type ServiceImportList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ServiceImport `json:"items"`
}
