// leadflow's deploy rules over one rendered overlay: what every StatefulSet and Job must have, and
// that every reference (serviceName, ConfigMaps, selectors) resolves inside the render.
package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// minGracePeriodSeconds: the services drain their Kafka transactions and flush RocksDB on SIGTERM;
// scripts/down.sh gives them the same 30 s locally.
const minGracePeriodSeconds = 30

// render indexes one overlay's objects for the reference rules.
type render struct {
	objs       []*object
	services   map[string]*corev1.Service   // by namespace/name
	configMaps map[string]*corev1.ConfigMap // by namespace/name
}

func nsName(ns, name string) string { return ns + "/" + name }

func checkRules(objs []*object) []finding {
	r := &render{objs: objs, services: map[string]*corev1.Service{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, o := range objs {
		switch t := o.typed.(type) {
		case *corev1.Service:
			r.services[nsName(o.namespace, o.name)] = t
		case *corev1.ConfigMap:
			r.configMaps[nsName(o.namespace, o.name)] = t
		}
	}
	var out []finding
	for _, o := range objs {
		switch t := o.typed.(type) {
		case *appsv1.StatefulSet:
			out = append(out, r.statefulSetRules(o, t)...)
		case *batchv1.Job:
			out = append(out, jobRules(o, &t.Spec)...)
		case *batchv1.CronJob:
			out = append(out, jobRules(o, &t.Spec.JobTemplate.Spec)...)
		case *corev1.Service:
			if len(t.Spec.Selector) > 0 && !r.selectsWorkload(o.namespace, labels.SelectorFromSet(t.Spec.Selector)) {
				out = append(out, o.finding("service-selector", "selector %v matches the pod template of no workload in the render", t.Spec.Selector))
			}
		case *policyv1.PodDisruptionBudget:
			out = append(out, r.labelSelectorRule(o, "pdb-selector", "spec.selector", t.Spec.Selector)...)
		case *networkingv1.NetworkPolicy:
			out = append(out, r.labelSelectorRule(o, "networkpolicy-selector", "spec.podSelector", &t.Spec.PodSelector)...)
		}
		if tpl := podTemplate(o); tpl != nil {
			out = append(out, selectorMatchesTemplate(o, tpl)...)
			out = append(out, r.configMapRefs(o, &tpl.Spec)...)
			out = append(out, imageTags(o, &tpl.Spec)...)
		}
	}
	return out
}

func (r *render) statefulSetRules(o *object, sts *appsv1.StatefulSet) []finding {
	var out []finding
	spec := &sts.Spec
	pod := &spec.Template.Spec
	if spec.ServiceName == "" {
		out = append(out, o.finding("statefulset-service", "spec.serviceName is not set"))
	} else if svc, ok := r.services[nsName(o.namespace, spec.ServiceName)]; !ok {
		out = append(out, o.finding("statefulset-service", "spec.serviceName %q names no Service in the render", spec.ServiceName))
	} else if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		out = append(out, o.finding("statefulset-service", "spec.serviceName %q names a Service that is not headless (clusterIP: None)", spec.ServiceName))
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil {
		out = append(out, o.finding("grace-period", "terminationGracePeriodSeconds is not set (want >= %d, explicitly)", minGracePeriodSeconds))
	} else if *g < minGracePeriodSeconds {
		out = append(out, o.finding("grace-period", "terminationGracePeriodSeconds is %d (want >= %d)", *g, minGracePeriodSeconds))
	}
	if len(spec.VolumeClaimTemplates) == 0 {
		out = append(out, o.finding("volume-claims", "no volumeClaimTemplates (the RocksDB state needs a volume of its own)"))
	}
	for _, vct := range spec.VolumeClaimTemplates {
		mounted := false
		for _, c := range pod.Containers {
			mounted = mounted || slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == vct.Name })
		}
		if !mounted {
			out = append(out, o.finding("volume-claims", "volumeClaimTemplate %q is mounted by no container", vct.Name))
		}
	}
	for i := range pod.Containers {
		c := &pod.Containers[i]
		out = append(out, httpProbe(o, c, "readinessProbe", "/readyz", c.ReadinessProbe)...)
		out = append(out, httpProbe(o, c, "livenessProbe", "/healthz", c.LivenessProbe)...)
		out = append(out, r.apiSecurity(o, c)...)
	}
	out = append(out, podSecurityRules(o, pod)...)
	out = append(out, resourceRules(o, pod)...)
	out = append(out, prometheusRules(o, &spec.Template)...)
	return out
}

// httpProbe: the services' probes are HTTP GETs of /readyz (readiness) and /healthz (liveness) on
// a port the container declares. Not gRPC probes: the kubelet's gRPC probe cannot speak TLS.
func httpProbe(o *object, c *corev1.Container, field, path string, p *corev1.Probe) []finding {
	switch {
	case p == nil:
		return []finding{o.finding("probes", "container %q has no %s", c.Name, field)}
	case p.HTTPGet == nil:
		return []finding{o.finding("probes", "container %q %s is not an httpGet probe of %s (a gRPC probe cannot speak TLS)", c.Name, field, path)}
	case p.HTTPGet.Path != path:
		return []finding{o.finding("probes", "container %q %s gets %q (want %s)", c.Name, field, p.HTTPGet.Path, path)}
	case !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		if p.HTTPGet.Port.Type == intstr.String {
			return cp.Name == p.HTTPGet.Port.StrVal
		}
		return cp.ContainerPort == p.HTTPGet.Port.IntVal
	}):
		return []finding{o.finding("probes", "container %q %s probes port %s, which the container does not declare", c.Name, field, p.HTTPGet.Port.String())}
	}
	return nil
}

// apiSecurity: a service container starts only with TLS (certificate and key files on mounted
// volumes, and a way to authenticate: tokens file, JWT key, or auth explicitly disabled) or with
// plaintext asked for explicitly; its probes' scheme follows (HTTPS with TLS).
func (r *render) apiSecurity(o *object, c *corev1.Container) []finding {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			if cm, ok := r.configMaps[nsName(o.namespace, ef.ConfigMapRef.Name)]; ok {
				for k, v := range cm.Data {
					env[ef.Prefix+k] = v
				}
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			env[e.Name] = "(from a reference)"
		} else {
			env[e.Name] = e.Value
		}
	}
	var out []finding
	plaintext := env["LEADFLOW_TLS_PLAINTEXT"] == "true"
	tls := env["LEADFLOW_TLS_CERT_FILE"] != "" || env["LEADFLOW_TLS_KEY_FILE"] != ""
	switch {
	case plaintext && tls:
		out = append(out, o.finding("api-security", "container %q sets both LEADFLOW_TLS_PLAINTEXT=true and TLS files: the service refuses to start", c.Name))
	case !plaintext && !tls:
		out = append(out, o.finding("api-security", "container %q has neither LEADFLOW_TLS_CERT_FILE/LEADFLOW_TLS_KEY_FILE nor LEADFLOW_TLS_PLAINTEXT=true: the service refuses to start", c.Name))
	case tls:
		for _, name := range []string{"LEADFLOW_TLS_CERT_FILE", "LEADFLOW_TLS_KEY_FILE", "LEADFLOW_TLS_CLIENT_CA_FILE", "LEADFLOW_AUTH_TOKENS_FILE", "LEADFLOW_AUTH_JWT_KEY_FILE"} {
			path := env[name]
			if path == "" {
				if name == "LEADFLOW_TLS_CERT_FILE" || name == "LEADFLOW_TLS_KEY_FILE" {
					out = append(out, o.finding("api-security", "container %q: %s is not set", c.Name, name))
				}
				continue
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
			}) {
				out = append(out, o.finding("api-security", "container %q: %s %s is on no mounted volume", c.Name, name, path))
			}
		}
		if env["LEADFLOW_AUTH_TOKENS_FILE"] == "" && env["LEADFLOW_AUTH_JWT_KEY_FILE"] == "" && env["LEADFLOW_AUTH_DISABLED"] != "true" {
			out = append(out, o.finding("api-security", "container %q has TLS but no LEADFLOW_AUTH_TOKENS_FILE or LEADFLOW_AUTH_JWT_KEY_FILE: the service refuses to start", c.Name))
		}
	}
	if plaintext == tls {
		return out // it does not start: the scheme does not matter yet
	}
	want := corev1.URISchemeHTTP
	if tls {
		want = corev1.URISchemeHTTPS
	}
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		got := p.HTTPGet.Scheme
		if got == "" {
			got = corev1.URISchemeHTTP
		}
		if got != want {
			out = append(out, o.finding("api-security", "container %q probes %s with scheme %s, but its API is %s", c.Name, p.HTTPGet.Path, got, want))
		}
	}
	return out
}

func jobRules(o *object, spec *batchv1.JobSpec) []finding {
	var out []finding
	pod := &spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		out = append(out, o.finding("job-restart", "restartPolicy is %q (want Never or OnFailure)", pod.RestartPolicy))
	}
	if spec.BackoffLimit == nil {
		out = append(out, o.finding("job-backoff", "backoffLimit is not set"))
	}
	out = append(out, podSecurityRules(o, pod)...)
	out = append(out, resourceRules(o, pod)...)
	return out
}

// podSecurityRules: seccomp RuntimeDefault for the pod, and every container (init ones too) non-root,
// with a read-only root filesystem, no privilege escalation and all capabilities dropped.
func podSecurityRules(o *object, pod *corev1.PodSpec) []finding {
	var out []finding
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		out = append(out, o.finding("seccomp", "pod securityContext.seccompProfile.type is not RuntimeDefault"))
	}
	for _, c := range allContainers(pod) {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		bad := func(format string, args ...any) {
			out = append(out, o.finding("security-context", "container %q: %s", c.Name, fmt.Sprintf(format, args...)))
		}
		if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			out = append(out, o.finding("seccomp", "container %q overrides seccompProfile.type with %q", c.Name, sc.SeccompProfile.Type))
		}
		nonRoot := psc.RunAsNonRoot
		if sc.RunAsNonRoot != nil {
			nonRoot = sc.RunAsNonRoot
		}
		if nonRoot == nil || !*nonRoot {
			bad("runAsNonRoot is not true (in the container or the pod securityContext)")
		}
		user := psc.RunAsUser
		if sc.RunAsUser != nil {
			user = sc.RunAsUser
		}
		if user != nil && *user == 0 {
			bad("runAsUser is 0 (root)")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			bad("readOnlyRootFilesystem is not true")
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("allowPrivilegeEscalation is not false")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			bad(`capabilities.drop does not contain "ALL"`)
		}
	}
	return out
}

// resourceRules: cpu and memory requests and a memory limit on every container (init ones too).
func resourceRules(o *object, pod *corev1.PodSpec) []finding {
	var out []finding
	for _, c := range allContainers(pod) {
		var missing []string
		for _, want := range []struct {
			list corev1.ResourceList
			name corev1.ResourceName
			desc string
		}{
			{c.Resources.Requests, corev1.ResourceCPU, "requests.cpu"},
			{c.Resources.Requests, corev1.ResourceMemory, "requests.memory"},
			{c.Resources.Limits, corev1.ResourceMemory, "limits.memory"},
		} {
			if q, ok := want.list[want.name]; !ok || q.IsZero() {
				missing = append(missing, want.desc)
			}
		}
		if len(missing) > 0 {
			out = append(out, o.finding("resources", "container %q has no %s", c.Name, strings.Join(missing, ", ")))
		}
	}
	return out
}

// prometheusRules: the pod template asks to be scraped, on a port a container declares, at a path.
func prometheusRules(o *object, tpl *corev1.PodTemplateSpec) []finding {
	var out []finding
	a := tpl.Annotations
	if a["prometheus.io/scrape"] != "true" {
		out = append(out, o.finding("prometheus", `pod template annotation prometheus.io/scrape is not "true"`))
	}
	if p, ok := a["prometheus.io/port"]; !ok {
		out = append(out, o.finding("prometheus", "pod template annotation prometheus.io/port is missing"))
	} else {
		port, err := strconv.ParseInt(p, 10, 32)
		declared := false
		for _, c := range tpl.Spec.Containers {
			declared = declared || slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return int64(cp.ContainerPort) == port })
		}
		if err != nil || !declared {
			out = append(out, o.finding("prometheus", "pod template annotation prometheus.io/port %q is not a port a container declares", p))
		}
	}
	if !strings.HasPrefix(a["prometheus.io/path"], "/") {
		out = append(out, o.finding("prometheus", "pod template annotation prometheus.io/path is missing (want e.g. /metrics)"))
	}
	return out
}

func selectorMatchesTemplate(o *object, tpl *corev1.PodTemplateSpec) []finding {
	sel := selectorOf(o)
	if sel == nil {
		if o.kind == "StatefulSet" || o.kind == "Deployment" || o.kind == "DaemonSet" {
			return []finding{o.finding("selector", "spec.selector is not set")}
		}
		return nil // a Job's selector is generated
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return []finding{o.finding("selector", "spec.selector: %v", err)}
	}
	if s.Empty() || !s.Matches(labels.Set(tpl.Labels)) {
		return []finding{o.finding("selector", "spec.selector %q does not match the pod template labels %v", s, tpl.Labels)}
	}
	return nil
}

// selectsWorkload tells whether sel matches the pod template labels of a workload in namespace ns.
func (r *render) selectsWorkload(ns string, sel labels.Selector) bool {
	for _, w := range r.objs {
		if tpl := podTemplate(w); tpl != nil && w.namespace == ns && sel.Matches(labels.Set(tpl.Labels)) {
			return true
		}
	}
	return false
}

func (r *render) labelSelectorRule(o *object, rule, field string, ls *metav1.LabelSelector) []finding {
	sel, err := metav1.LabelSelectorAsSelector(ls) // nil selects nothing, {} everything
	if err != nil {
		return []finding{o.finding(rule, "%s: %v", field, err)}
	}
	if !r.selectsWorkload(o.namespace, sel) {
		return []finding{o.finding(rule, "%s %q matches the pod template of no workload in the render", field, sel)}
	}
	return nil
}

// configMapRefs: every ConfigMap a pod uses (volumes, projected volumes, envFrom, env valueFrom) is
// in the render, with the keys it names. Secrets may come from outside the render (an external
// secret store), so they are not checked.
func (r *render) configMapRefs(o *object, pod *corev1.PodSpec) []finding {
	var out []finding
	check := func(where, name string, keys ...string) {
		cm, ok := r.configMaps[nsName(o.namespace, name)]
		if !ok {
			out = append(out, o.finding("configmap-ref", "%s references ConfigMap %q, which is not in the render", where, name))
			return
		}
		for _, k := range keys {
			_, inData := cm.Data[k]
			_, inBinary := cm.BinaryData[k]
			if !inData && !inBinary {
				out = append(out, o.finding("configmap-ref", "%s references key %q, which ConfigMap %q does not have", where, k, name))
			}
		}
	}
	itemKeys := func(items []corev1.KeyToPath) []string {
		var keys []string
		for _, it := range items {
			keys = append(keys, it.Key)
		}
		return keys
	}
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil {
			check("volume "+v.Name, v.ConfigMap.Name, itemKeys(v.ConfigMap.Items)...)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					check("projected volume "+v.Name, s.ConfigMap.Name, itemKeys(s.ConfigMap.Items)...)
				}
			}
		}
	}
	for _, c := range allContainers(pod) {
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil {
				check(fmt.Sprintf("container %q envFrom", c.Name), ef.ConfigMapRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				ref := e.ValueFrom.ConfigMapKeyRef
				check(fmt.Sprintf("container %q env %s", c.Name, e.Name), ref.Name, ref.Key)
			}
		}
	}
	return out
}

// imageTags: every image is pinned to a tag other than latest, or to a digest.
func imageTags(o *object, pod *corev1.PodSpec) []finding {
	var out []finding
	for _, c := range allContainers(pod) {
		if msg := unpinnedImage(c.Image); msg != "" {
			out = append(out, o.finding("image-tag", "container %q: %s", c.Name, msg))
		}
	}
	return out
}

// unpinnedImage returns why an image reference is not pinned, or "" when it is.
func unpinnedImage(image string) string {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return fmt.Sprintf("image %q is not a valid reference: %v", image, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return ""
	}
	tagged, ok := ref.(reference.Tagged)
	switch {
	case !ok:
		return fmt.Sprintf("image %q has no tag (it means latest)", image)
	case tagged.Tag() == "latest":
		return fmt.Sprintf("image %q uses the tag latest", image)
	}
	return ""
}
