package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks errors that are the caller's fault: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitCode lets a command choose a status other than 1 (130 after SIGINT).
type exitCode struct {
	code int
	err  error
}

func (e exitCode) Error() string { return e.err.Error() }
func (e exitCode) Unwrap() error { return e.err }

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train an RBM with CD-k or PCD-k", runTrain},
		{"eval", "evaluate a model: cross-entropy, free energy, pseudo-likelihood, log Z, log-likelihood", runEval},
		{"sample", "draw Gibbs samples of a model as a PNG grid", runSample},
		{"filters", "draw a model's hidden-unit weights as a PNG grid", runFilters},
		{"transform", "write the hidden probabilities of data as an NPY file", runTransform},
		{"probe", "score features with a linear probe (multinomial logistic regression)", runProbe},
		{"info", "show the CPU, the kernel chosen and the worker count", runInfo},
		{"bench", "measure the FMA peak, the CD step and the GEMMs on this machine", runBench},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "boltz trains binary restricted Boltzmann machines fast on the CPU.\n\nUsage: boltz <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version of boltz and of Go")
	fmt.Fprintf(w, "\nRun \"boltz help <command>\" or \"boltz <command> --help\" for a command's flags.\n")
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			for _, c := range commands() {
				if c.name == args[1] {
					return run([]string{c.name, "--help"}, stdout, stderr)
				}
			}
			fmt.Fprintf(stderr, "boltz help: unknown command %q\n", args[1])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	case "version", "-version", "--version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "boltz version: unexpected argument %q\n", args[1])
			return exitUsage
		}
		fmt.Fprintln(stdout, versionString())
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue usageError
		var ec exitCode
		var hr helpRequest
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &hr):
			hr.printHelp(stdout)
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "boltz %s: %s\n", c.name, message(err))
			return exitUsage
		case errors.As(err, &ec):
			fmt.Fprintf(stderr, "boltz %s: %s\n", c.name, message(err))
			return ec.code
		default:
			fmt.Fprintf(stderr, "boltz %s: %s\n", c.name, message(err))
			return exitError
		}
	}
	fmt.Fprintf(stderr, "boltz: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// libraryPrefixes are the package names the library's errors start with
// ("engine: invalid configuration: …"): the command line leaves them out.
var libraryPrefixes = map[string]bool{"engine": true, "data": true, "viz": true, "atomicfile": true, "safetensors": true, "rng": true, "probe": true, "dbn": true}

// message is err as one line for the user: without the library's package
// prefixes, wherever they stand in the chain of wrapped messages ("x.csv:
// data: bad format: …" is "x.csv: bad format: …", "(safetensors: bad
// format)" is "(bad format)"). A package name at the very start followed by
// another prefix is a file name ("data: data: …") and stays.
func message(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	var b strings.Builder
	for i := 0; i < len(s); {
		if i == 0 || strings.HasSuffix(s[:i], ": ") || s[i-1] == '(' {
			if n := prefixAt(s[i:]); n > 0 && !(i == 0 && prefixAt(s[n:]) > 0) {
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// prefixAt returns the length of the package prefix ("engine: ") s starts
// with, or 0.
func prefixAt(s string) int {
	for p := range libraryPrefixes {
		if strings.HasPrefix(s, p+": ") {
			return len(p) + 2
		}
	}
	return 0
}

// versionString is the module version boltz was built from (its VCS
// revision for a build in a checkout), with the Go version and platform.
func versionString() string {
	v, rev, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		v += " (" + rev + ")"
	}
	return fmt.Sprintf("boltz %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
