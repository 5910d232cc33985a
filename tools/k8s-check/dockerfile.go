// The dockerfile subcommand: buildkit's parser and lint rules (those of `docker build --check` that
// need neither a registry nor a build context), then leadflow's image rules.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/suggest"
)

func runDockerfiles(args []string, stderr io.Writer) ([]finding, string, error) {
	fs := flag.NewFlagSet("dockerfile", flag.ContinueOnError)
	files, err := parseFlags(fs, args, stderr)
	if err != nil {
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%w: dockerfile needs at least one FILE", errUsage)
	}
	var findings []finding
	for _, f := range files {
		findings = append(findings, checkDockerfile(f, stderr)...)
	}
	return findings, fmt.Sprintf("%d file(s)", len(files)), nil
}

func checkDockerfile(file string, notes io.Writer) []finding {
	var out []finding
	at := func(loc []parser.Range) string {
		if len(loc) == 0 {
			return file
		}
		return fmt.Sprintf("%s:%d", file, loc[0].Start.Line)
	}
	fail := func(rule string, err error) []finding {
		var le *parser.LocationError
		where := file
		if errors.As(err, &le) && len(le.Locations) > 0 {
			where = at(le.Locations[0])
		}
		return append(out, finding{where: where, rule: rule, msg: err.Error()})
	}
	dt, err := os.ReadFile(file)
	if err != nil {
		return fail("parse", err)
	}

	// The lint configuration comes from the file's `# check=` directive, as in `docker build --check`.
	directive, _, _, _ := parser.ParseDirective("check", dt)
	cfg, err := linter.ParseLintOptions(directive)
	if err != nil {
		return fail("parse", fmt.Errorf("# check= directive: %w", err))
	}
	if cfg.SkipAll || len(cfg.SkipRules) > 0 {
		fmt.Fprintf(notes, "k8s-check: note: %s skips lint rules with `# check=%s`\n", file, directive)
	}
	cfg.Warn = func(rule, _, url, msg string, loc []parser.Range) {
		out = append(out, finding{where: at(loc), rule: rule, msg: msg + " (" + url + ")"})
	}
	lint := linter.New(cfg)

	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return fail("parse", err)
	}
	for _, w := range res.Warnings {
		if w.URL == linter.RuleNoEmptyContinuation.URL && w.Location != nil {
			lint.Run(&linter.RuleNoEmptyContinuation, []parser.Range{*w.Location}, linter.RuleNoEmptyContinuation.Format())
		}
	}
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return fail("parse", err)
	}
	if len(stages) == 0 {
		return append(out, finding{where: file, rule: "parse", msg: "no stages (no FROM)"})
	}
	env := newBuildEnv(res.EscapeToken, metaArgs)
	lintLikeBuildkit(env, stages, lint)
	return append(out, imageRules(at, env, stages)...)
}

// buildEnv holds what FROM lines may expand: the platform args buildkit predefines and the global
// ARGs with their defaults (no build args: the Dockerfile must stand without them).
type buildEnv struct {
	shlex  *shell.Lex
	global shell.EnvGetter
	keys   map[string]bool
}

func newBuildEnv(escape rune, metaArgs []instructions.ArgCommand) *buildEnv {
	e := &buildEnv{shlex: shell.NewLex(escape), keys: map[string]bool{}}
	kv := []string{
		"BUILDPLATFORM=linux/amd64", "BUILDOS=linux", "BUILDOSVERSION=", "BUILDARCH=amd64", "BUILDVARIANT=",
		"TARGETPLATFORM=linux/amd64", "TARGETOS=linux", "TARGETOSVERSION=", "TARGETARCH=amd64", "TARGETVARIANT=",
		"TARGETSTAGE=default",
	}
	for _, a := range kv {
		k, _, _ := strings.Cut(a, "=")
		e.keys[k] = true
	}
	for _, cmd := range metaArgs {
		for _, a := range cmd.Args {
			e.keys[a.Key] = true
			if a.Value == nil {
				continue
			}
			v, _, err := e.shlex.ProcessWord(*a.Value, shell.EnvsFromSlice(kv))
			if err != nil {
				continue
			}
			kv = slices.DeleteFunc(kv, func(s string) bool { return strings.HasPrefix(s, a.Key+"=") })
			kv = append(kv, a.Key+"="+v)
		}
	}
	e.global = shell.EnvsFromSlice(kv)
	return e
}

// lintLikeBuildkit runs the rules that buildkit's dockerfile2llb (not instructions.Parse) applies
// during `docker build --check`, ported as they are there. Left out, because they need what an
// offline check does not have: UndefinedVar and InvalidBaseImagePlatform (the base images' config
// from a registry), CopyIgnoredFile (the build context's .dockerignore).
func lintLikeBuildkit(env *buildEnv, stages []instructions.Stage, lint *linter.Linter) {
	validateStageNames(stages, lint)
	validateCommandCasing(stages, lint)
	argNames := slices.Collect(maps.Keys(env.keys))
	shellOf := map[string]bool{} // stage name → its image has a SHELL set
	for _, st := range stages {
		stLint := lint.WithMergedConfigFromComments(st.Comments)
		base, err := env.shlex.ProcessWordWithMatches(st.BaseName, env.global)
		if err == nil {
			for arg := range base.Unmatched {
				if !env.keys[arg] {
					s, _ := suggest.Search(arg, argNames, true)
					stLint.Run(&linter.RuleUndefinedArgInFrom, st.Location, linter.RuleUndefinedArgInFrom.Format(arg, s))
				}
			}
			if _, err := reference.ParseNormalizedNamed(base.Result); err != nil {
				stLint.Run(&linter.RuleInvalidDefaultArgInFrom, st.Location, linter.RuleInvalidDefaultArgInFrom.Format(st.BaseName))
			}
		}
		if st.Platform != "" {
			lintPlatform(env, st, stLint)
		}

		hasShell := shellOf[strings.ToLower(base.Result)]
		workdirSet := false
		var cmdAt, entrypointAt, healthcheckAt []parser.Range
		usedOnce := func(c instructions.Command, prev *[]parser.Range, l *linter.Linter) {
			if *prev != nil { // buildkit reports the earlier one: it is the one ignored
				l.Run(&linter.RuleMultipleInstructionsDisallowed, *prev, linter.RuleMultipleInstructionsDisallowed.Format(c.Name()))
			}
			*prev = c.Location()
		}
		for _, cmd := range st.Commands {
			l := lint.WithMergedConfigFromComments(cmd.Comments())
			switch c := cmd.(type) {
			case *instructions.EnvCommand:
				for _, e := range c.Env {
					if e.NoDelim {
						l.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
					}
					validateNoSecretKey("ENV", e.Key, c.Location(), l)
				}
			case *instructions.LabelCommand:
				for _, kv := range c.Labels {
					if kv.NoDelim {
						l.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
					}
				}
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					validateNoSecretKey("ARG", a.Key, c.Location(), l)
				}
			case *instructions.CmdCommand:
				usedOnce(c, &cmdAt, l)
				if c.PrependShell && !hasShell {
					l.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
				}
			case *instructions.EntrypointCommand:
				usedOnce(c, &entrypointAt, l)
				if c.PrependShell && !hasShell {
					l.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
				}
			case *instructions.HealthCheckCommand:
				usedOnce(c, &healthcheckAt, l)
			case *instructions.ShellCommand:
				hasShell = true
			case *instructions.WorkdirCommand:
				// Only the first WORKDIR of a stage counts: fixing it fixes the relative ones after it.
				if !workdirSet && !strings.Contains(c.Path, "$") && !path.IsAbs(c.Path) {
					l.Run(&linter.RuleWorkdirRelativePath, c.Location(), linter.RuleWorkdirRelativePath.Format(c.Path))
				}
				workdirSet = true
			case *instructions.ExposeCommand:
				for _, p := range c.Ports {
					if strings.Contains(p, "$") {
						continue
					}
					parts := strings.Split(p, ":")
					_, proto, _ := strings.Cut(parts[len(parts)-1], "/")
					if proto != strings.ToLower(proto) {
						l.Run(&linter.RuleExposeProtoCasing, c.Location(), linter.RuleExposeProtoCasing.Format(p))
					}
					if len(parts) > 1 {
						l.Run(&linter.RuleExposeInvalidFormat, c.Location(), linter.RuleExposeInvalidFormat.Format(p))
					}
				}
			}
		}
		if st.Name != "" {
			shellOf[strings.ToLower(st.Name)] = hasShell
		}
	}
}

// lintPlatform: FROM --platform= must not be redundant ($TARGETPLATFORM) nor a constant unless the
// stage's name says which platform it is for.
func lintPlatform(env *buildEnv, st instructions.Stage, lint *linter.Linter) {
	m, err := env.shlex.ProcessWordWithMatches(st.Platform, env.global)
	if err != nil {
		return
	}
	if _, ok := m.Matched["TARGETPLATFORM"]; ok && len(m.Matched) == 1 && len(m.Unmatched) == 0 {
		if v, _ := env.global.Get("TARGETPLATFORM"); m.Result == v {
			lint.Run(&linter.RuleRedundantTargetPlatform, st.Location, linter.RuleRedundantTargetPlatform.Format(st.Platform))
		}
	}
	if len(m.Matched) == 0 && len(m.Unmatched) == 0 {
		os, arch, _ := strings.Cut(m.Result, "/")
		arch, _, _ = strings.Cut(arch, "/")
		if os != "" && arch != "" && !strings.Contains(st.Name, os) && !strings.Contains(st.Name, arch) {
			lint.Run(&linter.RuleFromPlatformFlagConstDisallowed, st.Location, linter.RuleFromPlatformFlagConstDisallowed.Format(m.Result))
		}
	}
}

func isSelfConsistentCasing(s string) bool {
	return s == strings.ToLower(s) || s == strings.ToUpper(s)
}

// validateCommandCasing: every instruction is in one case, the case most instructions use.
func validateCommandCasing(stages []instructions.Stage, lint *linter.Linter) {
	var lower, upper int
	count := func(name string) {
		if isSelfConsistentCasing(name) {
			if strings.ToLower(name) == name {
				lower++
			} else {
				upper++
			}
		}
	}
	for _, st := range stages {
		count(st.OrigCmd)
		for _, c := range st.Commands {
			count(c.Name())
		}
	}
	majorityLower := lower > upper
	check := func(name string, loc []parser.Range) {
		want := ""
		if majorityLower && strings.ToLower(name) != name {
			want = "lowercase"
		} else if !majorityLower && strings.ToUpper(name) != name {
			want = "uppercase"
		}
		if want != "" {
			lint.Run(&linter.RuleConsistentInstructionCasing, loc, linter.RuleConsistentInstructionCasing.Format(name, want))
		}
	}
	for _, st := range stages {
		check(st.OrigCmd, st.Location)
		for _, c := range st.Commands {
			check(c.Name(), c.Location())
		}
	}
}

func validateStageNames(stages []instructions.Stage, lint *linter.Linter) {
	seen := map[string]bool{}
	for _, st := range stages {
		if st.Name == "" {
			continue
		}
		if st.Name == "context" || st.Name == "scratch" {
			lint.Run(&linter.RuleReservedStageName, st.Location, linter.RuleReservedStageName.Format(st.Name))
		}
		if seen[st.Name] {
			lint.Run(&linter.RuleDuplicateStageName, st.Location, linter.RuleDuplicateStageName.Format(st.Name))
		}
		seen[st.Name] = true
	}
}

var (
	secretKey        = regexp.MustCompile(`(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)`)
	secretKeyAllowed = regexp.MustCompile(`(?i)(?:_|^)(?:public|file|version)(?:_|$)`)
)

func validateNoSecretKey(instruction, key string, loc []parser.Range, lint *linter.Linter) {
	if secretKey.MatchString(key) && !secretKeyAllowed.MatchString(key) {
		lint.Run(&linter.RuleSecretsUsedInArgOrEnv, loc, linter.RuleSecretsUsedInArgOrEnv.Format(instruction, key))
	}
}

// imageRules are leadflow's own: every FROM pinned (a tag other than latest, or a digest), and the
// final image runs as a numeric non-root user and carries OCI labels.
func imageRules(at func([]parser.Range) string, env *buildEnv, stages []instructions.Stage) []finding {
	var out []finding
	stageIndex := map[string]int{}
	parent := make([]int, len(stages)) // index of the stage a stage is built FROM, -1 for an image
	for i, st := range stages {
		parent[i] = -1
		base, err := env.shlex.ProcessWordWithMatches(st.BaseName, env.global)
		name := strings.ToLower(base.Result)
		switch j, internal := stageIndex[name]; {
		case internal:
			parent[i] = j
		case err != nil || len(base.Unmatched) > 0:
			out = append(out, finding{at(st.Location), "from-pinned", fmt.Sprintf("FROM %s does not resolve without build args", st.BaseName)})
		case name == "scratch":
		default:
			if msg := unpinnedImage(base.Result); msg != "" {
				out = append(out, finding{at(st.Location), "from-pinned", "FROM " + msg})
			}
		}
		if st.Name != "" {
			stageIndex[strings.ToLower(st.Name)] = i
		}
	}

	// The final image is the last stage, with what it inherits from the stages it is built on.
	var user instructions.Command
	userValue, hasOCILabel := "", false
	for i := len(stages) - 1; i >= 0; i = parent[i] {
		for _, c := range slices.Backward(stages[i].Commands) {
			switch c := c.(type) {
			case *instructions.UserCommand:
				if user == nil {
					user, userValue = c, c.User
				}
			case *instructions.LabelCommand:
				hasOCILabel = hasOCILabel || slices.ContainsFunc(c.Labels, func(kv instructions.KeyValuePair) bool {
					return strings.HasPrefix(kv.Key, "org.opencontainers.image.")
				})
			}
		}
	}
	final := stages[len(stages)-1]
	if user == nil {
		out = append(out, finding{at(final.Location), "user", "the final stage has no USER: the image would run as root"})
	} else if msg := badUser(userValue); msg != "" {
		out = append(out, finding{at(user.Location()), "user", msg})
	}
	if !hasOCILabel {
		out = append(out, finding{at(final.Location), "oci-labels", "the final stage has no LABEL org.opencontainers.image.* (e.g. org.opencontainers.image.source)"})
	}
	return out
}

// badUser: the user must be a numeric uid other than 0 (runAsNonRoot can only verify a numeric
// one), with an optional numeric gid.
func badUser(user string) string {
	uid, gid, hasGid := strings.Cut(user, ":")
	n, err := strconv.ParseUint(uid, 10, 32)
	switch {
	case err != nil:
		return fmt.Sprintf("USER %s is not a numeric uid (Kubernetes' runAsNonRoot can only verify a numeric one)", user)
	case n == 0:
		return fmt.Sprintf("USER %s is root", user)
	case hasGid:
		if _, err := strconv.ParseUint(gid, 10, 32); err != nil {
			return fmt.Sprintf("USER %s: the group is not a numeric gid", user)
		}
	}
	return ""
}
