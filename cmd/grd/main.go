// Command grd simulates General Relativity Descent, natural gradient descent,
// gradient descent and SGD on a model and data set described by a scenario
// file, and measures how far apart they are. See README.md and DESIGN.md §5.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
