// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// AMKOUUIDAnnotation on a GSLBConfig names the amko instance; objects it creates on
// the controller carry created_by "amko-<uuid>".
const AMKOUUIDAnnotation = "amko.vmware.com/amko-uuid"

// ControllerCertificateAnnotation, on the GSLBConfig, pins the SHA-256 of the
// controller's certificate (hex) that amko trusted on first use when no CA is
// given; an operator clears it to trust a new certificate.
const ControllerCertificateAnnotation = "amko.vmware.com/controller-certificate-sha256"

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
	// A context named twice counts once, as with AMKO.
	MemberClusters []MemberCluster `json:"memberClusters,omitempty"`

	// RefreshInterval is the period, in seconds, of the full resync with the
	// controller; 0 or less means 600.
	RefreshInterval int `json:"refreshInterval,omitempty"`

	// LogLevel is the operator's log level; it applies live.
	LogLevel LogLevel `json:"logLevel,omitempty"`

	// UseCustomGlobalFqdn names GSLB services after the AKO HostRules' gslb.fqdn
	// instead of the applications' own host names.
	UseCustomGlobalFqdn *bool `json:"useCustomGlobalFqdn,omitempty"`

	// DNS turns on the built-in DNS server: amko answers DNS for the GSLB
	// services itself, with its own health probes. Without
	// gslbLeader.controllerIP it is the backend; with it, amko programs the
	// controller and serves the same services from this server too, the way
	// off Avi without a gap. Not part of AMKO's API.
	DNS *DNSConfig `json:"dns,omitempty"`

	// MemberClusterLoss says what becomes of the members of a member cluster
	// whose API server cannot be reached (its data plane may well serve on).
	// Unset: its members are kept as last seen, as AMKO keeps them, and
	// health monitors decide. Not part of AMKO's API.
	MemberClusterLoss *MemberClusterLoss `json:"memberClusterLoss,omitempty"`
}

// MemberClusterLoss configures what happens to an unreachable member cluster's members.
type MemberClusterLoss struct {
	// DisableMembersAfter takes the members of a cluster out (written
	// enabled: false, left out of DNS answers) once its API server has been
	// unreachable this long; they are back as soon as it answers again.
	// Unset or 0s: they are kept.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	DisableMembersAfter *metav1.Duration `json:"disableMembersAfter,omitempty"`
}

// DNSConfig is the built-in DNS backend's configuration.
type DNSConfig struct {
	// Listen is the address DNS is served on, over UDP and TCP.
	// +kubebuilder:default=":53"
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]*):[0-9]{1,5}$')",message="listen must be host:port or :port, with an IPv6 host in brackets"
	Listen string `json:"listen,omitempty"`
	// Zones are served authoritatively: the GSLB services under them are
	// answered, other names in them get NXDOMAIN, names outside them REFUSED.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, b.name == a.name))",message="each zone may appear only once in zones"
	Zones []DNSZone `json:"zones"`
	// TTL is the TTL, in seconds, of the answers of services that set none.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	TTL *int32 `json:"ttl,omitempty"`
	// Geo places sites and clients for pools with GSLB_ALGORITHM_GEO: a client
	// gets the nearest member, or the fallback algorithm when it cannot be placed.
	Geo *DNSGeo `json:"geo,omitempty"`
	// RateLimit limits the responses per second to each client prefix, as
	// BIND's and Knot's response rate limiting do; absent means off.
	// +optional
	RateLimit *DNSRateLimit `json:"rateLimit,omitempty"`
	// TCP bounds the server's TCP connections; absent means the defaults.
	// +optional
	TCP *DNSTCP `json:"tcp,omitempty"`
	// CompareWith is another DNS server (host:port), typically the Avi DNS
	// service while this server mirrors a controller: amko asks both the same
	// questions about every GSLB service's names after its passes (at most
	// every 30 s) and reports the differences in /status and the metric
	// amko_dns_differences, so a zone can be delegated once they agree.
	// +optional
	// +kubebuilder:validation:MaxLength=262
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):[0-9]{1,5}$')",message="compareWith must be host:port, with an IPv6 host in brackets"
	CompareWith string `json:"compareWith,omitempty"`
}

// DNSRateLimit is response rate limiting per client prefix.
type DNSRateLimit struct {
	// ResponsesPerSecond is the rate of responses each client prefix gets.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +required
	ResponsesPerSecond int32 `json:"responsesPerSecond"`
	// Slip: of the responses over the limit, every Slip-th is sent truncated
	// (TC set, no answer) so that a real resolver retries over TCP, which is
	// not limited; the others are dropped. 0 drops all; default 2.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	// +kubebuilder:default=2
	Slip *int32 `json:"slip,omitempty"`
	// IPv4PrefixLength and IPv6PrefixLength group clients; defaults 24 and 56.
	// +kubebuilder:validation:Minimum=8
	// +kubebuilder:validation:Maximum=32
	IPv4PrefixLength *int32 `json:"ipv4PrefixLength,omitempty"`
	// +kubebuilder:validation:Minimum=16
	// +kubebuilder:validation:Maximum=128
	IPv6PrefixLength *int32 `json:"ipv6PrefixLength,omitempty"`
}

// DNSTCP bounds the DNS server's TCP connections.
type DNSTCP struct {
	// MaxConnections caps the simultaneous TCP connections; default 1000.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MaxConnections *int32 `json:"maxConnections,omitempty"`
	// MaxQueriesPerConnection closes a connection after that many queries;
	// default no limit (RFC 7766: a resolver may pipeline any number); a
	// connection is closed 5 minutes after it opened in any case.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MaxQueriesPerConnection *int32 `json:"maxQueriesPerConnection,omitempty"`
	// IdleTimeoutSeconds closes a connection idle that long; default 10.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	IdleTimeoutSeconds *int32 `json:"idleTimeoutSeconds,omitempty"`
}

// DNSGeo is the location table of the geo algorithm.
type DNSGeo struct {
	// Sites are where the members of each member cluster (by context) or
	// third-party site (by name) are.
	// +kubebuilder:validation:MaxItems=256
	Sites []GeoSite `json:"sites,omitempty"`
	// Clients place client addresses; the longest matching prefix wins.
	// +kubebuilder:validation:MaxItems=10000
	Clients []GeoClient `json:"clients,omitempty"`
	// Database is the path, in amko's file system, of a MaxMind database (GeoIP2
	// or GeoLite2 City) placing the clients Clients does not.
	// +kubebuilder:validation:MaxLength=4096
	Database string `json:"database,omitempty"`
}

// GeoSite is where one site's members are.
type GeoSite struct {
	// Name is a member cluster's context or a third-party site's name.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name     string      `json:"name"`
	Location GeoLocation `json:"location"`
}

// GeoClient is where the clients of one address prefix are.
type GeoClient struct {
	// Prefix is an address prefix such as 198.51.100.0/24.
	// +required
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="isCIDR(self)",message="prefix must be an IPv4 or IPv6 prefix, such as 198.51.100.0/24"
	Prefix   string      `json:"prefix"`
	Location GeoLocation `json:"location"`
}

// GeoLocation is a point in decimal degrees, written as strings ("48.8566").
type GeoLocation struct {
	// +required
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^-?[0-9]+(\\.[0-9]+)?$') && double(self) >= -90.0 && double(self) <= 90.0",message="latitude must be a decimal number of degrees from -90 to 90"
	Latitude string `json:"latitude"`
	// +required
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^-?[0-9]+(\\.[0-9]+)?$') && double(self) >= -180.0 && double(self) <= 180.0",message="longitude must be a decimal number of degrees from -180 to 180"
	Longitude string `json:"longitude"`
}

// DNSZone is one zone the DNS backend serves.
type DNSZone struct {
	// Name is the zone's domain, such as global.example.com.
	// +required
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?\.?$`
	Name string `json:"name"`
	// Nameservers are the host names of the zone's NS records: the amko DNS
	// endpoints of every site the zone is delegated to. Default: ns1.<zone>.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=253
	Nameservers []string `json:"nameservers,omitempty"`
	// Hostmaster is the SOA's responsible mailbox, as a domain name.
	// Default: hostmaster.<zone>.
	// +kubebuilder:validation:MaxLength=253
	Hostmaster string `json:"hostmaster,omitempty"`
	// NegativeTTL is the SOA minimum: how long NXDOMAIN and empty answers may be cached.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	NegativeTTL *int32 `json:"negativeTTL,omitempty"`
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
	// CABundle names a Secret or ConfigMap in avi-system holding the PEM CA
	// bundle the controller's certificate must chain to (as does the
	// credentials Secret's certificateAuthorityData key, which AKO users know).
	// With a CA, verification is mandatory. Without one, amko pins the
	// certificate it first sees (annotation
	// amko.vmware.com/controller-certificate-sha256) and refuses another. Not
	// part of AMKO's API.
	// +optional
	CABundle *CABundleRef `json:"caBundle,omitempty"`
	// AlternateControllers are the controllers of the other sites of the same
	// Avi GSLB federation, host[:port]. When the controller at ControllerIP
	// answers that it is not the GSLB leader, or cannot be reached for
	// AlternateAfter, amko asks each of them (and ControllerIP) which leads
	// and continues on that one, with a Warning Event. They share the
	// credentials Secret, and need a CA bundle (caBundle or the Secret's
	// certificateAuthorityData): a certificate pinned on first use cannot
	// vouch for another site's controller. Not part of AMKO's API.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MinLength=1
	// +listType=set
	AlternateControllers []string `json:"alternateControllers,omitempty"`
	// AlternateAfter is how long the controller in use may stay unreachable
	// before amko looks for the GSLB leader among AlternateControllers;
	// default 30s. A controller that answers it is not the leader is left at
	// once. Not part of AMKO's API.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	AlternateAfter *metav1.Duration `json:"alternateAfter,omitempty"`
}

// CABundleRef names a PEM CA bundle in a Secret or ConfigMap of avi-system.
type CABundleRef struct {
	// Kind is Secret or ConfigMap.
	// +kubebuilder:validation:Enum=Secret;ConfigMap
	// +kubebuilder:default=Secret
	Kind string `json:"kind,omitempty"`
	// Name is the object's name in avi-system.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key is the key holding the bundle; default ca.crt.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:default=ca.crt
	Key string `json:"key,omitempty"`
}

// MemberCluster is one member cluster.
type MemberCluster struct {
	// ClusterContext is the cluster's context name in the gslb-members kubeconfig.
	ClusterContext string `json:"clusterContext,omitempty"`
}

// GSLBConfigStatus is the state the operator reports for a GSLBConfig.
type GSLBConfigStatus struct {
	// State is one of AMKO's status strings, such as "success: gslb config accepted".
	State string `json:"state,omitempty"`

	// Conditions say, beside State, whether this GSLBConfig is in effect and
	// synced, each with the generation it reflects and when it last changed:
	// Accepted (the spec was validated and is in effect; False with reason Rejected
	// and AMKO's message when refused, the last accepted spec staying in effect),
	// Synced (the backend holds what this GSLBConfig asks for; False with a reason
	// such as BackendUnavailable, BadCredentials, NotLeader or DeletionHeld) and
	// Ready (Accepted and Synced both True).
	//
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// GSLBConfigList is a list of GSLBConfigs.
//
// +kubebuilder:object:root=true
type GSLBConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GSLBConfig `json:"items"`
}
