// Tests: the clean fixtures pass, and each kind of mistake, made by editing a copy of a clean
// fixture, fails with its rule and message.
package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// edit is one change to a file of a copied fixture: old must occur exactly once.
type edit struct{ file, old, new string }

// copyFixture copies testdata/<name> (a directory or a file) into a temporary directory, applies
// the edits and returns the copy's path.
func copyFixture(t *testing.T, name string, edits ...edit) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(filepath.Join("testdata", name), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("testdata", name), p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		p := filepath.Join(dst, e.file)
		if st, err := os.Stat(dst); err == nil && !st.IsDir() {
			p = dst // a single-file fixture
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), e.old); n != 1 {
			t.Fatalf("fixture %s: %q occurs %d times, want once", e.file, e.old, n)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), e.old, e.new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// runCheck runs the command line and returns its exit code and stdout (the findings).
func runCheck(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	t.Logf("k8s-check %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return code, stdout.String()
}

func TestCleanFixturesPass(t *testing.T) {
	out := t.TempDir()
	if code, findings := runCheck(t, "manifests", "--topics", "testdata/topics.yaml", "--out", out, "testdata/clean"); code != 0 {
		t.Errorf("clean manifests: exit %d, want 0:\n%s", code, findings)
	}
	if _, err := os.Stat(filepath.Join(out, "clean.yaml")); err != nil {
		t.Errorf("--out: %v", err)
	}
	if code, findings := runCheck(t, "dockerfile", "testdata/Dockerfile.clean"); code != 0 {
		t.Errorf("clean Dockerfile: exit %d, want 0:\n%s", code, findings)
	}
}

func TestManifestMistakes(t *testing.T) {
	const sts = "intake.yaml"
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // substrings of one finding line each
	}{
		{"unknown field", []edit{{sts, "readinessProbe:", "readinesProbe:"}},
			[]string{`StatefulSet/intake: schema: unknown field "spec.template.spec.containers[0].readinesProbe"`,
				`StatefulSet/intake: probes: container "intake" has no readinessProbe`}},
		{"kafka user", []edit{{"user.yaml", "[IdempotentWrite]", "[IdempotentWrite, Produce]"}, {"user.yaml", "{type: cluster}", "{type: cluster, name: kafka-cluster}"}, {"user.yaml", "  authentication: {type: scram-sha-512}", "  authentication: {type: scram-sha-256}"}},
			[]string{`KafkaUser/leadflow: schema: spec.authentication.type "scram-sha-256" is not one of`,
				`KafkaUser/leadflow: schema: spec.authorization.acls[1].resource: a cluster resource has no name`,
				`KafkaUser/leadflow: schema: spec.authorization.acls[1]: operation "Produce" is not one of`}},
		{"kafka user fields and label", []edit{{"user.yaml", "patternType: prefix", "pattern: prefix"}, {"user.yaml", "  labels: {strimzi.io/cluster: kafka}\n", ""}},
			[]string{`KafkaUser/leadflow: schema: unknown field "spec.authorization.acls[0].resource.pattern"`,
				"KafkaUser/leadflow: schema: no strimzi.io/cluster label"}},
		{"wrong type", []edit{{sts, "replicas: 2", `replicas: "three"`}},
			[]string{"StatefulSet/intake: schema: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32"}},
		{"unknown kind", []edit{{"job.yaml", "apiVersion: batch/v1", "apiVersion: batch/v1beta1"}},
			[]string{"Job/topics-ensure: schema: unknown apiVersion/kind batch/v1beta1 Job"}},
		{"bad label value", []edit{{sts, "labels: {app: intake}", "labels: {app: intake, tier: -bad}"}},
			[]string{"StatefulSet/intake: names: pod template labels[tier]"}},
		{"missing probe", []edit{{sts, "          livenessProbe:\n            httpGet: {path: /healthz, port: 8081, scheme: HTTPS}\n", ""}},
			[]string{`StatefulSet/intake: probes: container "intake" has no livenessProbe`}},
		{"grpc probe", []edit{{sts, "httpGet: {path: /readyz, port: http, scheme: HTTPS}", "grpc: {port: 50051}"}},
			[]string{`StatefulSet/intake: probes: container "intake" readinessProbe is not an httpGet probe of /readyz (a gRPC probe cannot speak TLS)`}},
		{"probe path and port", []edit{{sts, "{path: /healthz, port: 8081, scheme: HTTPS}", "{path: /readyz, port: 8081, scheme: HTTPS}"}, {sts, "{path: /readyz, port: http, scheme: HTTPS}", "{path: /readyz, port: https, scheme: HTTPS}"}},
			[]string{`StatefulSet/intake: probes: container "intake" livenessProbe gets "/readyz" (want /healthz)`,
				`StatefulSet/intake: probes: container "intake" readinessProbe probes port https, which the container does not declare`}},
		{"api security", []edit{{sts, "value: /etc/leadflow/tls/tls.key}", "value: /secrets/tls.key}"}, {sts, "            - {name: LEADFLOW_AUTH_TOKENS_FILE, value: /etc/leadflow/auth/tokens.yaml}\n", ""}, {sts, "{path: /readyz, port: http, scheme: HTTPS}", "{path: /readyz, port: http}"}},
			[]string{`StatefulSet/intake: api-security: container "intake": LEADFLOW_TLS_KEY_FILE /secrets/tls.key is on no mounted volume`,
				`StatefulSet/intake: api-security: container "intake" has TLS but no LEADFLOW_AUTH_TOKENS_FILE or LEADFLOW_AUTH_JWT_KEY_FILE`,
				`StatefulSet/intake: api-security: container "intake" probes /readyz with scheme HTTP, but its API is HTTPS`}},
		{"no api security", []edit{{sts, "            - {name: LEADFLOW_TLS_CERT_FILE, value: /etc/leadflow/tls/tls.crt}\n            - {name: LEADFLOW_TLS_KEY_FILE, value: /etc/leadflow/tls/tls.key}\n", ""}},
			[]string{`StatefulSet/intake: api-security: container "intake" has neither LEADFLOW_TLS_CERT_FILE/LEADFLOW_TLS_KEY_FILE nor LEADFLOW_TLS_PLAINTEXT=true`}},
		{"security context", []edit{{sts, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"}, {"job.yaml", `capabilities: {drop: ["ALL"]}`, `capabilities: {drop: ["NET_RAW"]}`}},
			[]string{`StatefulSet/intake: security-context: container "intake": allowPrivilegeEscalation is not false`,
				`Job/topics-ensure: security-context: container "leadflowctl": capabilities.drop does not contain "ALL"`}},
		{"seccomp and non-root", []edit{{"job.yaml", "        runAsNonRoot: true\n        seccompProfile: {type: RuntimeDefault}\n", "        runAsNonRoot: false\n"}},
			[]string{"Job/topics-ensure: seccomp: pod securityContext.seccompProfile.type is not RuntimeDefault",
				`Job/topics-ensure: security-context: container "leadflowctl": runAsNonRoot is not true`}},
		{"resources", []edit{{sts, "limits: {memory: 512Mi}", "limits: {cpu: 1}"}},
			[]string{`StatefulSet/intake: resources: container "intake" has no limits.memory`}},
		{"grace period and volume", []edit{{sts, "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 10"}, {sts, "{name: state, mountPath: /var/lib/leadflow}", "{name: scratch, mountPath: /tmp}"}},
			[]string{"StatefulSet/intake: grace-period: terminationGracePeriodSeconds is 10 (want >= 30)",
				`StatefulSet/intake: volume-claims: volumeClaimTemplate "state" is mounted by no container`}},
		{"prometheus port", []edit{{sts, `prometheus.io/port: "8081"`, `prometheus.io/port: "9090"`}},
			[]string{`StatefulSet/intake: prometheus: pod template annotation prometheus.io/port "9090" is not a port a container declares`}},
		{"headless service", []edit{{sts, "clusterIP: None", "type: ClusterIP"}},
			[]string{`StatefulSet/intake: statefulset-service: spec.serviceName "intake" names a Service that is not headless`}},
		{"dangling configmap", []edit{{sts, "configMapRef: {name: leadflow-config}", "configMapRef: {name: leadflow-settings}"}},
			[]string{`StatefulSet/intake: configmap-ref: container "intake" envFrom references ConfigMap "leadflow-settings", which is not in the render`}},
		{"configmap key", []edit{{"job.yaml", "{key: intake.yaml, path: intake.yaml}", "{key: intake.yml, path: intake.yaml}"}},
			[]string{`Job/topics-ensure: configmap-ref: volume config references key "intake.yml", which ConfigMap "leadflow-config-`}},
		{"selectors", []edit{{sts, "selector: {app: intake}", "selector: {app: intak}"}, {sts, "  maxUnavailable: 1\n  selector:\n    matchLabels: {app: intake}", "  maxUnavailable: 1\n  selector:\n    matchLabels: {app: handoff}"}},
			[]string{"Service/intake: service-selector: selector map[app:intak] matches the pod template of no workload",
				`PodDisruptionBudget/intake: pdb-selector: spec.selector "app=handoff" matches the pod template of no workload`}},
		{"latest image", []edit{{sts, "ghcr.io/leadflow/leadflow:1.0.0", "ghcr.io/leadflow/leadflow"}},
			[]string{`StatefulSet/intake: image-tag: container "intake": image "ghcr.io/leadflow/leadflow" has no tag`}},
		{"job backoff", []edit{{"job.yaml", "  backoffLimit: 3\n", ""}},
			[]string{"Job/topics-ensure: job-backoff: backoffLimit is not set"}},
		{"topic missing", []edit{{"topics.yaml", "  name: leadflow.handoffs.v1\n", "  name: handoffs\n"}},
			[]string{`clean: topic-missing: topic "leadflow.handoffs.v1" of the topics file has no KafkaTopic in the render`,
				`KafkaTopic/handoffs: topic-extra: topic "handoffs" is not in the topics file and is not compacted`}},
		{"co-partitioning", []edit{{"topics.yaml", "  topicName: leadflow.leads.v1\n  partitions: 4", "  topicName: leadflow.leads.v1\n  partitions: 6"}},
			[]string{"KafkaTopic/leads: co-partitioning: co-partitioned topic has 6 partitions, the others 4 (leadflow.handoffs.v1)"}},
		{"partition override and config", []edit{{"topics.yaml", "  partitions: 1\n", "  partitions: 4\n"}, {"topics.yaml", "{retention.ms: 2592000000}", "{retention.ms: 604800000}"}},
			[]string{`KafkaTopic/leadflow.config.v1: topic-partitions: topic "leadflow.config.v1" has 4 partitions, the topics file fixes 1`,
				`KafkaTopic/leads: topic-config: topic "leadflow.leads.v1" has retention.ms 604800000, the topics file 2592000000`}},
		{"topic schema and label", []edit{{"topics.yaml", "  replicas: 3\n  config: {cleanup.policy: compact}", "  replicas: 0\n  config: {cleanup.policy: compact}"}, {"topics.yaml", "  name: leadflow.config.v1\n  labels: {strimzi.io/cluster: kafka}\n", "  name: leadflow.config.v1\n"}},
			[]string{"KafkaTopic/intake-dedup-changelog: schema: spec.replicas is 0 (1..32767)",
				"KafkaTopic/leadflow.config.v1: topic-cluster-label: no strimzi.io/cluster label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t, "clean", tc.edits...)
			code, out := runCheck(t, "manifests", "--topics", "testdata/topics.yaml", dir)
			expectFindings(t, code, out, tc.want)
		})
	}
}

// An overlay without Strimzi provisions its topics with a Job that reads the topics file from a
// ConfigMap: it passes the topic rules when the ConfigMap carries the file unchanged.
func TestTopicsProvisionedByJob(t *testing.T) {
	topicsFile, err := os.ReadFile("testdata/topics.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withoutKafkaTopics := []edit{
		{"kustomization.yaml", "  - topics.yaml\n", ""},
		{"kustomization.yaml", "    literals:", "    files:\n      - topics.yaml=topics-file.yaml\n    literals:"},
	}
	for _, tc := range []struct {
		name     string
		content  string
		wantCode int
	}{
		{"the file unchanged", string(topicsFile), 0},
		{"a drifted copy", strings.Replace(string(topicsFile), "leadflow.handoffs.v1", "leadflow.handoff.v1", 1), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyFixture(t, "clean", withoutKafkaTopics...)
			if err := os.WriteFile(filepath.Join(dir, "topics-file.yaml"), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := runCheck(t, "manifests", "--topics", "testdata/topics.yaml", dir)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, tc.wantCode, out)
			}
			if tc.wantCode == 1 && strings.Count(out, "topic-missing") != 3 {
				t.Errorf("want the 3 topics of the file missing:\n%s", out)
			}
		})
	}
}

func TestDockerfileMistakes(t *testing.T) {
	const df = "Dockerfile.clean"
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string
	}{
		{"unpinned FROM", []edit{{df, "FROM debian:${DEBIAN_TAG} AS build", "FROM debian AS build"}},
			[]string{`Dockerfile.clean:4: from-pinned: FROM image "debian" has no tag (it means latest)`}},
		{"latest FROM", []edit{{df, "ARG DEBIAN_TAG=bookworm-20250721-slim", "ARG DEBIAN_TAG=latest"}},
			[]string{`Dockerfile.clean:4: from-pinned: FROM image "debian:latest" uses the tag latest`,
				`Dockerfile.clean:9: from-pinned: FROM image "debian:latest" uses the tag latest`}},
		{"root USER", []edit{{df, "USER 10001:10001", "USER 0:0"}},
			[]string{"Dockerfile.clean:12: user: USER 0:0 is root"}},
		{"named USER", []edit{{df, "USER 10001:10001", "USER leadflow"}},
			[]string{"Dockerfile.clean:12: user: USER leadflow is not a numeric uid"}},
		{"no USER, no OCI label", []edit{{df, "USER 10001:10001\n", ""}, {df, "LABEL org.opencontainers.image.source", "LABEL source"}},
			[]string{"Dockerfile.clean:9: user: the final stage has no USER",
				"Dockerfile.clean:9: oci-labels: the final stage has no LABEL org.opencontainers.image.*"}},
		{"buildkit lint rules", []edit{{df, "AS runtime", "as runtime"}, {df, `ENTRYPOINT ["/usr/local/bin/leadflow"]`, "ENTRYPOINT /usr/local/bin/leadflow"}, {df, "WORKDIR /src", "WORKDIR src"}},
			[]string{"Dockerfile.clean:9: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
				"Dockerfile.clean:14: JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT",
				"Dockerfile.clean:5: WorkdirRelativePath: Relative workdir \"src\" can have unexpected results"}},
		{"more buildkit lint rules", []edit{
			{df, "EXPOSE 50051 8081/tcp", "EXPOSE 50051 8081/TCP\nENV API_TOKEN abc\nENTRYPOINT [\"/bin/true\"]"},
			{df, "RUN echo build > /leadflow", "run echo build \\\n\n  > /leadflow"},
			{df, "COPY . .", "MAINTAINER ops@example.invalid"},
		}, []string{
			"Dockerfile.clean:6: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label",
			"Dockerfile.clean:9: NoEmptyContinuation: Empty continuation line",
			"Dockerfile.clean:7: ConsistentInstructionCasing: Command 'run' should match the case of the command majority (uppercase)",
			"Dockerfile.clean:15: ExposeProtoCasing: Defined protocol '8081/TCP' in EXPOSE instruction should be lowercase",
			"Dockerfile.clean:16: LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
			"Dockerfile.clean:16: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"API_TOKEN\")",
			"Dockerfile.clean:17: MultipleInstructionsDisallowed: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used",
		}},
		{"undefined ARG in FROM", []edit{{df, "FROM debian:${DEBIAN_TAG} AS runtime", "FROM debian:${DEBIAN_TAAG} AS runtime"}},
			[]string{"Dockerfile.clean:9: UndefinedArgInFrom: FROM argument 'DEBIAN_TAAG' is not declared (did you mean DEBIAN_TAG?)",
				"Dockerfile.clean:9: InvalidDefaultArgInFrom: Default value for ARG debian:${DEBIAN_TAAG} results in empty or invalid base image name",
				"Dockerfile.clean:9: from-pinned: FROM debian:${DEBIAN_TAAG} does not resolve without build args"}},
		{"parse error", []edit{{df, "EXPOSE 50051 8081/tcp", "EXPOSE"}},
			[]string{"Dockerfile.clean:13: parse: dockerfile parse error on line 13: EXPOSE requires at least one argument"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := copyFixture(t, df, tc.edits...)
			code, out := runCheck(t, "dockerfile", file)
			expectFindings(t, code, out, tc.want)
		})
	}
}

// expectFindings asserts a failed check (exit 1) whose findings are exactly `want`: one line each,
// containing the substring.
func expectFindings(t *testing.T, code int, out string, want []string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, w := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, w) }) {
			t.Errorf("no finding contains %q; findings:\n%s", w, out)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d findings, want %d:\n%s", len(lines), len(want), out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"lint"}, {"manifests"}, {"manifests", "--bogus", "x"}, {"dockerfile"}} {
		if code, _ := runCheck(t, args...); code != 2 {
			t.Errorf("k8s-check %v: exit %d, want 2", args, code)
		}
	}
}
