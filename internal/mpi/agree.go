//go:build mpi

package mpi

import (
	"context"
	"errors"
	"fmt"
)

// RankError is the error every rank returns from Agree when some rank
// failed: the lowest failing rank and its error (on that rank the error
// itself, on the others its message).
type RankError struct {
	Rank int
	Err  error
}

func (e *RankError) Error() string { return fmt.Sprintf("rank %d: %v", e.Rank, e.Err) }
func (e *RankError) Unwrap() error { return e.Err }

// Agree is collective: every rank passes its own outcome (nil for
// success), and every rank returns nil if all succeeded, otherwise the
// same *RankError naming the lowest failing rank. An MPI failure of the
// agreement itself is returned as it is.
func (c *Comm) Agree(local error) error {
	n, origin := 0, c.size // origin: the rank the failure came from
	var msg []byte
	if local != nil {
		origin = c.rank
		var re *RankError
		if errors.As(local, &re) { // agreed on before (a nested collective failed)
			origin, local = re.Rank, re.Err
		}
		msg = []byte(local.Error())
		n = len(msg) + 1 // + 1: zero means success
	}
	lens, err := c.AllgatherInt(n)
	if err != nil {
		return err
	}
	origins, err := c.AllgatherInt(origin)
	if err != nil {
		return err
	}
	canceled := 0 // the local failure is an interruption (its context's error)
	if local != nil && (errors.Is(local, context.Canceled) || errors.Is(local, context.DeadlineExceeded)) {
		canceled = 1
	}
	cancels, err := c.AllgatherInt(canceled)
	if err != nil {
		return err
	}
	src := -1 // the rank that sends the message: the one with the lowest origin
	for r, m := range lens {
		if m > 0 && (src < 0 || origins[r] < origins[src]) {
			src = r
		}
	}
	if src < 0 {
		return nil
	}
	if src == c.rank {
		if err := c.BcastBytes(msg, src); err != nil {
			return err
		}
		return &RankError{Rank: origin, Err: local}
	}
	buf := make([]byte, lens[src]-1)
	if err := c.BcastBytes(buf, src); err != nil {
		return err
	}
	var remote error = errors.New(string(buf))
	if cancels[src] == 1 {
		remote = &interrupted{msg: string(buf)}
	}
	return &RankError{Rank: origins[src], Err: remote}
}

// interrupted is another rank's interruption, as its message: it unwraps to
// context.Canceled, so that every rank sees an interruption, not a failure.
type interrupted struct{ msg string }

func (e *interrupted) Error() string { return e.msg }
func (e *interrupted) Unwrap() error { return context.Canceled }
