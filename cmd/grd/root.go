package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/grd-engine/grd/engine"
	"github.com/grd-engine/grd/internal/buildinfo"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit statuses (DESIGN §5): errors exit 1, usage errors exit 2.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// globals holds the options every subcommand shares and the streams it
// writes to. It is built per invocation: there is no package-level state.
type globals struct {
	Out, Err io.Writer
	Workers  int
	Quiet    bool
	// MaxMemory is --max-memory of run, check and geometry.
	MaxMemory memoryFlag
	// ErrIsTerminal reports whether Err is a terminal (progress bars only then).
	ErrIsTerminal bool
	// progress, if set (tests), is called with every progress update of
	// the flows a command runs (experiment.RunOptions.Progress), whether or
	// not a progress line is drawn: a test interrupts a run at a state it
	// chooses instead of racing a timer.
	progress func(flow string, frac float64)
	// comm, if not nil, is the communicator of a distributed run (grd-mpi
	// under mpirun; see mpi.go): every pass is spread over its ranks, and
	// rank 0 alone writes outputs and checkpoints.
	comm engine.Comm
}

// writes reports whether this process writes outputs and checkpoints: it
// is the only one, or rank 0 of a distributed run.
func (g *globals) writes() bool { return g.comm == nil || g.comm.Rank() == 0 }

// usageError marks an error in how grd was called (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error of command c: "grd run: MESSAGE (see 'grd run --help')".
func usagef(c *cobra.Command, format string, a ...any) error {
	return usageError{fmt.Errorf("%s: %s (see '%s --help')", c.CommandPath(), fmt.Sprintf(format, a...), c.CommandPath())}
}

// run executes grd with args and returns the exit status: usage errors are
// printed as they are (they name the command) and exit 2, other errors are
// printed as "grd: <message>" and exit 1.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runComm(ctx, args, stdout, stderr, nil)
}

// runComm is run as one rank of a distributed run over comm (nil: alone).
func runComm(ctx context.Context, args []string, stdout, stderr io.Writer, comm engine.Comm) int {
	g := &globals{Out: stdout, Err: stderr, Workers: runtime.GOMAXPROCS(0), comm: comm}
	if f, ok := stderr.(*os.File); ok {
		g.ErrIsTerminal = term.IsTerminal(int(f.Fd()))
	}
	return runWith(ctx, args, g)
}

// runWith is run with the globals given (g.Out and g.Err are stdout and
// stderr).
func runWith(ctx context.Context, args []string, g *globals) int {
	stdout, stderr := g.Out, g.Err
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return exitUsage
	}
	fmt.Fprintf(stderr, "grd: %s\n", oneLine(err.Error()))
	return exitError
}

// oneLine folds a multi-line message (errors.Join) onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// newRootCmd returns the grd command tree.
func newRootCmd(g *globals) *cobra.Command {
	return newRoot(g,
		newCmdRun(g, nil),
		newCmdCheck(g, nil),
		newCmdGeometry(g, nil),
		newCmdReport(g, nil),
		newCmdScenarios(g, nil),
		newCmdBench(g),
	)
}

// newRoot returns the root command with the global flags, the usage-error
// conventions and the subcommands cmds.
func newRoot(g *globals, cmds ...*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:   "grd",
		Short: "The geometry of stochastic gradient descent: GRD, NGD, GD and SGD side by side",
		Long: `grd integrates General Relativity Descent (geodesics with a force term in the
diffusion metric g = I + εD), natural gradient descent in the same metric,
gradient descent and real minibatch SGD on a model and data set, and measures
how far apart they are and whether the approximation that makes GRD reduce to
NGD holds.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	groupCmd(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef(c, "%v", err)
	})
	root.PersistentFlags().IntVar(&g.Workers, "workers", g.Workers, "worker goroutines for per-sample passes (results do not depend on it)")
	root.PersistentFlags().BoolVar(&g.Quiet, "quiet", false, "print nothing but errors")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if g.Workers < 1 {
			return usagef(c, "--workers must be at least 1, got %d", g.Workers)
		}
		if g.Quiet {
			g.Out = io.Discard
		}
		return nil
	}
	root.AddCommand(cmds...)
	return root
}

// version reports the grd build: module version or VCS revision, and the
// Go version (buildinfo.Info.String).
func version() string { return buildinfo.Read().String() }

// exactArgs is cobra.ExactArgs reporting a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef(c, "want %d argument(s), got %d", n, len(args))
		}
		return nil
	}
}

// noSubcommand rejects arguments to a command that only groups
// subcommands: they can only be a mistyped subcommand name.
func noSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return usagef(c, "unknown command %q (commands: %s)", args[0], strings.Join(names, ", "))
}

// groupCmd makes c a command that groups subcommands: without arguments it
// prints its help, with one it reports an unknown subcommand.
func groupCmd(c *cobra.Command) *cobra.Command {
	c.Args = noSubcommand
	c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return c
}
