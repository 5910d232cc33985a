// The manifests subcommand: renders overlays with kustomize in-process and decodes every object
// strictly into its real Kubernetes (or Strimzi) type; rules.go and topics.go check the result.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// object is one rendered resource, decoded into its typed struct (e.g. *appsv1.StatefulSet).
type object struct {
	overlay   string
	kind      string
	name      string
	namespace string
	typed     any
}

func (o *object) id() string { return o.overlay + ": " + o.kind + "/" + o.name }

func (o *object) finding(rule, format string, args ...any) finding {
	return finding{where: o.id(), rule: rule, msg: fmt.Sprintf(format, args...)}
}

// schemas maps "apiVersion kind" to a constructor of the typed struct it must decode into. A kind
// missing here fails the schema rule: add it here (and to README.md) to allow it.
var schemas = map[string]func() any{
	"v1 ConfigMap":                             func() any { return &corev1.ConfigMap{} },
	"v1 Secret":                                func() any { return &corev1.Secret{} },
	"v1 Service":                               func() any { return &corev1.Service{} },
	"v1 ServiceAccount":                        func() any { return &corev1.ServiceAccount{} },
	"v1 Namespace":                             func() any { return &corev1.Namespace{} },
	"v1 PersistentVolumeClaim":                 func() any { return &corev1.PersistentVolumeClaim{} },
	"v1 LimitRange":                            func() any { return &corev1.LimitRange{} },
	"v1 ResourceQuota":                         func() any { return &corev1.ResourceQuota{} },
	"apps/v1 StatefulSet":                      func() any { return &appsv1.StatefulSet{} },
	"apps/v1 Deployment":                       func() any { return &appsv1.Deployment{} },
	"apps/v1 DaemonSet":                        func() any { return &appsv1.DaemonSet{} },
	"batch/v1 Job":                             func() any { return &batchv1.Job{} },
	"batch/v1 CronJob":                         func() any { return &batchv1.CronJob{} },
	"policy/v1 PodDisruptionBudget":            func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1 NetworkPolicy":       func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1 Ingress":             func() any { return &networkingv1.Ingress{} },
	"rbac.authorization.k8s.io/v1 Role":        func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1 RoleBinding": func() any { return &rbacv1.RoleBinding{} },
	"rbac.authorization.k8s.io/v1 ClusterRole": func() any { return &rbacv1.ClusterRole{} },
	"rbac.authorization.k8s.io/v1 ClusterRoleBinding": func() any {
		return &rbacv1.ClusterRoleBinding{}
	},
	"autoscaling/v2 HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"kafka.strimzi.io/v1beta2 KafkaTopic":    func() any { return &KafkaTopic{} },
	"kafka.strimzi.io/v1beta2 KafkaUser":     func() any { return &KafkaUser{} },
}

func runManifests(args []string, stdout, stderr io.Writer) ([]finding, string, error) {
	fs := flag.NewFlagSet("manifests", flag.ContinueOnError)
	topicsFile := fs.String("topics", "", "check KafkaTopics against this topics file (config/topics.yaml)")
	outDir := fs.String("out", "", "write each rendered overlay to DIR/<overlay-name>.yaml")
	overlays, err := parseFlags(fs, args, stderr)
	if err != nil {
		return nil, "", err
	}
	if len(overlays) == 0 {
		return nil, "", fmt.Errorf("%w: manifests needs at least one OVERLAY_DIR", errUsage)
	}
	var topics *topicsFileSpec
	var findings []finding
	if *topicsFile != "" {
		topics, err = loadTopicsFile(*topicsFile)
		if err != nil {
			findings = append(findings, finding{where: *topicsFile, rule: "topics", msg: err.Error()})
		}
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return nil, "", err
		}
	}
	total := 0
	for _, overlay := range overlays {
		objs, more := checkOverlay(overlay, *outDir)
		findings = append(findings, more...)
		if objs != nil && topics != nil {
			findings = append(findings, checkTopics(overlay, objs, topics)...)
		}
		total += len(objs)
	}
	return findings, fmt.Sprintf("%d overlay(s), %d object(s)", len(overlays), total), nil
}

// checkOverlay renders one overlay and runs the schema and deploy rules on it. objs is nil when the
// overlay does not render.
func checkOverlay(overlay, outDir string) (objs []*object, findings []finding) {
	// Default options: load restrictions root-only and no plugins, exactly like `kustomize build`.
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rendered, err := k.Run(filesys.MakeFsOnDisk(), overlay)
	if err != nil {
		return nil, []finding{{where: overlay, rule: "render", msg: "kustomize build failed: " + err.Error()}}
	}
	if outDir != "" {
		y, err := rendered.AsYaml()
		if err == nil {
			err = os.WriteFile(filepath.Join(outDir, filepath.Base(filepath.Clean(overlay))+".yaml"), y, 0o644)
		}
		if err != nil {
			findings = append(findings, finding{where: overlay, rule: "render", msg: "writing the render: " + err.Error()})
		}
	}
	objs = []*object{}
	for _, res := range rendered.Resources() {
		o := &object{
			overlay:   overlay,
			kind:      res.GetKind(),
			name:      res.GetName(),
			namespace: res.GetNamespace(),
		}
		data, err := res.MarshalJSON()
		if err != nil {
			findings = append(findings, o.finding("schema", "cannot serialise the rendered object: %v", err))
			continue
		}
		typed, problems := decodeStrict(res.GetApiVersion(), o.kind, data)
		for _, p := range problems {
			findings = append(findings, o.finding("schema", "%s", p))
		}
		if typed == nil {
			continue
		}
		o.typed = typed
		findings = append(findings, checkNames(o)...)
		objs = append(objs, o)
	}
	findings = append(findings, checkRules(objs)...)
	return objs, findings
}

// decodeStrict decodes one object into the typed struct of its apiVersion and kind the way the API
// server's strict field validation does: unknown and duplicate fields and wrong types are errors.
// typed is nil when the kind is unknown or the object does not decode at all.
func decodeStrict(apiVersion, kind string, data []byte) (typed any, problems []string) {
	newTyped, ok := schemas[apiVersion+" "+kind]
	if !ok {
		return nil, []string{fmt.Sprintf("unknown apiVersion/kind %s %s (k8s-check knows: see README.md)", apiVersion, kind)}
	}
	typed = newTyped()
	strictErrs, err := kjson.UnmarshalStrict(data, typed, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	for _, e := range strictErrs {
		problems = append(problems, strings.TrimPrefix(e.Error(), "json: "))
	}
	if err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), "json: "))
	}
	if v, ok := typed.(interface{ validate() []string }); ok {
		problems = append(problems, v.validate()...)
	}
	return typed, problems
}

// checkNames validates the object's name, labels and annotation keys, and in a pod template the
// labels and the container and port names, with the API server's own validation functions.
func checkNames(o *object) []finding {
	var out []finding
	add := func(field string, errs []string) {
		for _, e := range errs {
			out = append(out, o.finding("names", "%s: %s", field, e))
		}
	}
	meta, ok := o.typed.(metav1.Object)
	if !ok {
		return nil
	}
	switch o.kind {
	case "Service":
		add("metadata.name", validation.IsDNS1035Label(o.name))
	case "Namespace":
		add("metadata.name", validation.IsDNS1123Label(o.name))
	case "StatefulSet": // its pods' names are their hostnames: a DNS label each
		add("metadata.name", validation.IsDNS1123Label(o.name))
	case "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding":
		add("metadata.name", path.IsValidPathSegmentName(o.name))
	default:
		add("metadata.name", validation.IsDNS1123Subdomain(o.name))
	}
	if o.namespace != "" {
		add("metadata.namespace", validation.IsDNS1123Label(o.namespace))
	}
	checkLabels := func(field string, labels map[string]string) {
		for k, v := range labels {
			add(field+" key "+k, validation.IsQualifiedName(k))
			add(field+"["+k+"]", validation.IsValidLabelValue(v))
		}
	}
	checkLabels("metadata.labels", meta.GetLabels())
	for k := range meta.GetAnnotations() {
		add("metadata.annotations key "+k, validation.IsQualifiedName(strings.ToLower(k)))
	}
	if sel := selectorOf(o); sel != nil {
		checkLabels("spec.selector.matchLabels", sel.MatchLabels)
	}
	if tpl := podTemplate(o); tpl != nil {
		checkLabels("pod template labels", tpl.Labels)
		for k := range tpl.Annotations {
			add("pod template annotations key "+k, validation.IsQualifiedName(strings.ToLower(k)))
		}
		for _, c := range allContainers(&tpl.Spec) {
			add("container name", validation.IsDNS1123Label(c.Name))
			for _, p := range c.Ports {
				if p.Name != "" {
					add("container "+c.Name+" port name", validation.IsValidPortName(p.Name))
				}
			}
		}
	}
	return out
}

// podTemplate returns the pod template of a workload, nil for other kinds.
func podTemplate(o *object) *corev1.PodTemplateSpec {
	switch t := o.typed.(type) {
	case *appsv1.StatefulSet:
		return &t.Spec.Template
	case *appsv1.Deployment:
		return &t.Spec.Template
	case *appsv1.DaemonSet:
		return &t.Spec.Template
	case *batchv1.Job:
		return &t.Spec.Template
	case *batchv1.CronJob:
		return &t.Spec.JobTemplate.Spec.Template
	}
	return nil
}

// selectorOf returns a workload's pod selector (nil when it has none, e.g. a Job left to default).
func selectorOf(o *object) *metav1.LabelSelector {
	switch t := o.typed.(type) {
	case *appsv1.StatefulSet:
		return t.Spec.Selector
	case *appsv1.Deployment:
		return t.Spec.Selector
	case *appsv1.DaemonSet:
		return t.Spec.Selector
	case *batchv1.Job:
		return t.Spec.Selector
	case *batchv1.CronJob:
		return t.Spec.JobTemplate.Spec.Selector
	}
	return nil
}

// allContainers lists the init containers then the containers of a pod.
func allContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}
