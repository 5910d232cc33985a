// Strimzi KafkaTopic types and the topic rules: the render provisions every topic of
// config/topics.yaml with its retention and cleanup policy, and keeps co-partitioned topics aligned.
package main

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// KafkaTopic mirrors the schema of Strimzi's KafkaTopic CRD (kafka.strimzi.io/v1beta2), so that it
// decodes as strictly as the built-in kinds.
type KafkaTopic struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              KafkaTopicSpec `json:"spec"`
	// Status is written by the topic operator; a manifest must not set it.
	Status map[string]any `json:"status,omitempty"`
}

// KafkaTopicSpec is the spec of a KafkaTopic. Partitions and replicas default to the broker's
// settings when absent.
type KafkaTopicSpec struct {
	TopicName  string         `json:"topicName,omitempty"`
	Partitions *int32         `json:"partitions,omitempty"`
	Replicas   *int32         `json:"replicas,omitempty"`
	Config     map[string]any `json:"config,omitempty"`
}

// kafkaTopicName is Kafka's own rule for a topic name.
var kafkaTopicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// validate checks what the CRD's schema constrains beyond the field types.
func (t *KafkaTopic) validate() []string {
	var problems []string
	if t.Spec.TopicName != "" && !kafkaTopicName.MatchString(t.Spec.TopicName) {
		problems = append(problems, fmt.Sprintf("spec.topicName %q is not a legal Kafka topic name", t.Spec.TopicName))
	}
	if p := t.Spec.Partitions; p != nil && *p < 1 {
		problems = append(problems, fmt.Sprintf("spec.partitions is %d (minimum 1)", *p))
	}
	if r := t.Spec.Replicas; r != nil && (*r < 1 || *r > 32767) {
		problems = append(problems, fmt.Sprintf("spec.replicas is %d (1..32767)", *r))
	}
	for _, k := range slices.Sorted(maps.Keys(t.Spec.Config)) {
		switch t.Spec.Config[k].(type) {
		case string, bool, int64, float64:
		default:
			problems = append(problems, fmt.Sprintf("spec.config[%s] is %T (want a string, number or boolean)", k, t.Spec.Config[k]))
		}
	}
	if t.Status != nil {
		problems = append(problems, "status is set: the topic operator writes it, a manifest must not")
	}
	return problems
}

// topicsFileSpec is config/topics.yaml (read by leadflowctl topics ensure as well).
type topicsFileSpec struct {
	Partitions        int `json:"partitions"`
	ReplicationFactor int `json:"replication_factor"`
	Topics            []struct {
		Name          string         `json:"name"`
		CoPartitioned *bool          `json:"co_partitioned"`
		Partitions    *int32         `json:"partitions"`
		Configs       map[string]any `json:"configs"`
	} `json:"topics"`
	raw string // the file as it is, to recognise it in a ConfigMap
}

func loadTopicsFile(file string) (*topicsFileSpec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var spec topicsFileSpec
	if err := yaml.UnmarshalStrict(data, &spec); err != nil {
		return nil, err
	}
	if len(spec.Topics) == 0 {
		return nil, fmt.Errorf("no topics")
	}
	spec.raw = string(data)
	return &spec, nil
}

// checkedConfigs are the topic configs a render must carry over from the topics file unchanged.
// Absent means Kafka's default, which for cleanup.policy is delete.
var checkedConfigs = []struct{ key, absent string }{
	{"cleanup.policy", "delete"},
	{"retention.ms", "(not set)"},
}

type renderedTopic struct {
	o     *object
	topic *KafkaTopic
}

func checkTopics(overlay string, objs []*object, spec *topicsFileSpec) []finding {
	if !slices.ContainsFunc(objs, func(o *object) bool { _, ok := o.typed.(*KafkaTopic); return ok }) && jobProvisionsTopics(objs, spec) {
		return nil
	}
	var out []finding
	byName := map[string][]renderedTopic{}
	var order []string
	for _, o := range objs {
		t, ok := o.typed.(*KafkaTopic)
		if !ok {
			continue
		}
		if t.Labels["strimzi.io/cluster"] == "" {
			out = append(out, o.finding("topic-cluster-label", "no strimzi.io/cluster label: no topic operator would reconcile it"))
		}
		name := t.Spec.TopicName
		if name == "" {
			name = o.name
		}
		if len(byName[name]) == 0 {
			order = append(order, name)
		} else {
			out = append(out, o.finding("topic-duplicate", "topic %q is also declared by KafkaTopic/%s", name, byName[name][0].o.name))
		}
		byName[name] = append(byName[name], renderedTopic{o, t})
	}

	inFile := map[string]bool{}
	type coPartitioned struct {
		rt         renderedTopic
		partitions int32
	}
	var co []coPartitioned
	for _, ft := range spec.Topics {
		inFile[ft.Name] = true
		rts := byName[ft.Name]
		if len(rts) == 0 {
			out = append(out, finding{where: overlay, rule: "topic-missing", msg: fmt.Sprintf("topic %q of the topics file has no KafkaTopic in the render", ft.Name)})
			continue
		}
		rt := rts[0]
		for _, c := range checkedConfigs {
			want, got := configString(ft.Configs, c.key, c.absent), configString(rt.topic.Spec.Config, c.key, c.absent)
			if want != got {
				out = append(out, rt.o.finding("topic-config", "topic %q has %s %s, the topics file %s", ft.Name, c.key, got, want))
			}
		}
		p := rt.topic.Spec.Partitions
		if ft.Partitions != nil && (p == nil || *p != *ft.Partitions) {
			out = append(out, rt.o.finding("topic-partitions", "topic %q has %s partitions, the topics file fixes %d", ft.Name, countString(p), *ft.Partitions))
		}
		if ft.CoPartitioned == nil || *ft.CoPartitioned {
			if p == nil {
				out = append(out, rt.o.finding("topic-partitions", "topic %q is co-partitioned but spec.partitions is not set (the broker default would apply)", ft.Name))
			} else {
				co = append(co, coPartitioned{rt, *p})
			}
		}
	}

	// The most common count is taken as intended; ties go to the topics file's count, then the lower.
	counts := map[int32]int{}
	for _, c := range co {
		counts[c.partitions]++
	}
	majority := int32(-1)
	for _, n := range slices.Sorted(maps.Keys(counts)) {
		if majority < 0 || counts[n] > counts[majority] || (counts[n] == counts[majority] && n == int32(spec.Partitions)) {
			majority = n
		}
	}
	for _, c := range co {
		if c.partitions != majority {
			var same []string
			for _, d := range co {
				if d.partitions == majority {
					same = append(same, d.rt.o.name)
				}
			}
			out = append(out, c.rt.o.finding("co-partitioning", "co-partitioned topic has %d partitions, the others %d (%s)", c.partitions, majority, strings.Join(same, ", ")))
		}
	}

	for _, name := range order {
		if inFile[name] {
			continue
		}
		for _, rt := range byName[name] {
			if configString(rt.topic.Spec.Config, "cleanup.policy", "delete") != "compact" {
				out = append(out, rt.o.finding("topic-extra", "topic %q is not in the topics file and is not compacted (only changelog topics, cleanup.policy compact, may be added)", name))
			}
		}
	}
	return out
}

// jobProvisionsTopics tells whether a Job of the render mounts a ConfigMap that carries the topics
// file unchanged: an overlay without Strimzi provisions its topics that way (`leadflowctl topics
// ensure`), from the file itself, so they cannot drift from it.
func jobProvisionsTopics(objs []*object, spec *topicsFileSpec) bool {
	carriers := map[string]bool{}
	for _, o := range objs {
		if cm, ok := o.typed.(*corev1.ConfigMap); ok && slices.Contains(slices.Collect(maps.Values(cm.Data)), spec.raw) {
			carriers[nsName(o.namespace, o.name)] = true
		}
	}
	for _, o := range objs {
		if tpl := podTemplate(o); tpl != nil && (o.kind == "Job" || o.kind == "CronJob") {
			for _, v := range tpl.Spec.Volumes {
				if v.ConfigMap != nil && carriers[nsName(o.namespace, v.ConfigMap.Name)] {
					return true
				}
			}
		}
	}
	return false
}

// configString renders a topic config value the way Kafka reads it, whether YAML made it a string,
// an integer or a float.
func configString(configs map[string]any, key, absent string) string {
	v, ok := configs[key]
	if !ok {
		return absent
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func countString(p *int32) string {
	if p == nil {
		return "no (broker default)"
	}
	return strconv.Itoa(int(*p))
}
