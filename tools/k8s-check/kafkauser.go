// Strimzi KafkaUser types: leadflow's Kafka user and its ACLs (k8s/overlays/prod), decoded as
// strictly as the built-in kinds and checked against what the CRD's schema allows.
package main

import (
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KafkaUser mirrors the schema of Strimzi's KafkaUser CRD (kafka.strimzi.io/v1beta2).
type KafkaUser struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              KafkaUserSpec `json:"spec"`
	// Status is written by the user operator; a manifest must not set it.
	Status map[string]any `json:"status,omitempty"`
}

type KafkaUserSpec struct {
	Authentication *KafkaUserAuthentication `json:"authentication,omitempty"`
	Authorization  *KafkaUserAuthorization  `json:"authorization,omitempty"`
	Quotas         *KafkaUserQuotas         `json:"quotas,omitempty"`
	Template       map[string]any           `json:"template,omitempty"`
}

type KafkaUserAuthentication struct {
	Type     string         `json:"type"`
	Password map[string]any `json:"password,omitempty"`
}

type KafkaUserAuthorization struct {
	Type string    `json:"type"`
	ACLs []UserACL `json:"acls"`
}

type UserACL struct {
	Type       string          `json:"type,omitempty"`
	Resource   UserACLResource `json:"resource"`
	Operations []string        `json:"operations,omitempty"`
	Operation  string          `json:"operation,omitempty"` // deprecated by Strimzi
	Host       string          `json:"host,omitempty"`
}

type UserACLResource struct {
	Type        string `json:"type"`
	Name        string `json:"name,omitempty"`
	PatternType string `json:"patternType,omitempty"`
}

type KafkaUserQuotas struct {
	ProducerByteRate       *int32   `json:"producerByteRate,omitempty"`
	ConsumerByteRate       *int32   `json:"consumerByteRate,omitempty"`
	RequestPercentage      *int32   `json:"requestPercentage,omitempty"`
	ControllerMutationRate *float64 `json:"controllerMutationRate,omitempty"`
}

var (
	userAuthTypes     = []string{"tls", "tls-external", "scram-sha-512"}
	aclResourceTypes  = []string{"topic", "group", "cluster", "transactionalId"}
	aclPatternTypes   = []string{"literal", "prefix"}
	aclOperations     = []string{"Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "AlterConfigs", "DescribeConfigs", "IdempotentWrite", "All"}
	aclPermissionType = []string{"allow", "deny"}
)

// validate checks the CRD's enums and what a usable user needs beyond the field types.
func (u *KafkaUser) validate() []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if u.Labels["strimzi.io/cluster"] == "" {
		bad("no strimzi.io/cluster label (the user operator would ignore it)")
	}
	if a := u.Spec.Authentication; a != nil && !slices.Contains(userAuthTypes, a.Type) {
		bad("spec.authentication.type %q is not one of %v", a.Type, userAuthTypes)
	}
	if z := u.Spec.Authorization; z != nil {
		if z.Type != "simple" {
			bad(`spec.authorization.type %q is not "simple"`, z.Type)
		}
		for i, acl := range z.ACLs {
			where := fmt.Sprintf("spec.authorization.acls[%d]", i)
			if acl.Type != "" && !slices.Contains(aclPermissionType, acl.Type) {
				bad("%s.type %q is not one of %v", where, acl.Type, aclPermissionType)
			}
			r := acl.Resource
			if !slices.Contains(aclResourceTypes, r.Type) {
				bad("%s.resource.type %q is not one of %v", where, r.Type, aclResourceTypes)
			}
			if r.Type == "cluster" && r.Name != "" {
				bad("%s.resource: a cluster resource has no name", where)
			}
			if r.Type != "cluster" && r.Name == "" {
				bad("%s.resource: a %s resource needs a name", where, r.Type)
			}
			if r.PatternType != "" && !slices.Contains(aclPatternTypes, r.PatternType) {
				bad("%s.resource.patternType %q is not one of %v", where, r.PatternType, aclPatternTypes)
			}
			ops := acl.Operations
			if acl.Operation != "" {
				ops = append(ops, acl.Operation)
			}
			if len(ops) == 0 {
				bad("%s has no operations", where)
			}
			for _, op := range ops {
				if !slices.Contains(aclOperations, op) {
					bad("%s: operation %q is not one of %v", where, op, aclOperations)
				}
			}
		}
	}
	if u.Status != nil {
		bad("status is set: the user operator writes it, a manifest must not")
	}
	return problems
}
