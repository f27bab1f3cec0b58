// Copyright 2026 The amko authors. Licensed under the Apache License, Version 2.0.

package v1beta1

// Annotations AKO writes on the Ingresses and Services it has given a virtual
// service, and on Namespaces for multi-tenancy. On a Route, AKO writes the same
// three keys as a JSON object into status.ingress[].conditions[0].reason.
const (
	// AnnotationVSUUIDMap is a JSON object from host name to virtual service uuid.
	AnnotationVSUUIDMap = "ako.vmware.com/host-fqdn-vs-uuid-map"
	// AnnotationControllerClusterUUID is the uuid of the Avi controller cluster
	// that holds the virtual service: it identifies the GSLB site.
	AnnotationControllerClusterUUID = "ako.vmware.com/controller-cluster-uuid"
	// AnnotationTenant is the Avi tenant of the object, or of a namespace's objects.
	AnnotationTenant = "ako.vmware.com/tenant-name"
	// AnnotationEnableTLS on an Ingress makes every host TLS.
	AnnotationEnableTLS = "ako.vmware.com/enable-tls"
	// AnnotationPassthrough set to "true" marks a passthrough Ingress.
	AnnotationPassthrough = "passthrough.ako.vmware.com/enabled"
)
