// Command k8s-check checks leadflow's deploy artifacts offline: the rendered kustomize overlays
// (strict schema, deploy rules, Kafka topics against config/topics.yaml) and the Dockerfiles
// (buildkit's parser and lint rules, plus leadflow's image rules). See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  k8s-check manifests [--topics FILE] [--out DIR] OVERLAY_DIR...
  k8s-check dockerfile FILE...

Exits 0 when everything is clean, 1 listing every finding, 2 on a usage error.
`

// finding is one problem: where it is (overlay and object, or file:line), which rule, and what.
type finding struct {
	where string
	rule  string
	msg   string
}

func (f finding) String() string { return f.where + ": " + f.rule + ": " + f.msg }

// errUsage marks a bad command line (exit 2), as opposed to findings in the artifacts (exit 1).
var errUsage = errors.New("usage error")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var (
		findings []finding
		summary  string
		err      error
	)
	switch args[0] {
	case "manifests":
		findings, summary, err = runManifests(args[1:], stdout, stderr)
	case "dockerfile":
		findings, summary, err = runDockerfiles(args[1:], stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	if err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "k8s-check: %v\n%s", err, usage)
			return 2
		}
		fmt.Fprintf(stderr, "k8s-check: %v\n", err)
		return 1
	}
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(stderr, "k8s-check %s: %s: %d finding(s)\n", args[0], summary, len(findings))
		return 1
	}
	fmt.Fprintf(stderr, "k8s-check %s: %s: clean\n", args[0], summary)
	return 0
}

// parseFlags parses a subcommand's flags; flags may come before or between the positional args.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
