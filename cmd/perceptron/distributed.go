package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/perceptron-go/perceptron/engine/distributed"
)

// distributedHelp is the usage of --distributed.
const distributedHelp = "data-parallel training over MPI: auto (when mpirun started this process among others; needs a build with -tags mpi), mpi, or none"

// registerCollectiveTimeout defines --collective-timeout on fs.
func registerCollectiveTimeout(fs *flag.FlagSet, timeout *time.Duration) {
	fs.DurationVar(timeout, "collective-timeout", 0, fmt.Sprintf("data-parallel runs: how long a process waits for the others in one exchange before it ends the job, naming those that did not come (0: %d times the slowest step so far, at least %v)",
		distributed.TimeoutFactor, distributed.MinTimeout))
}

// maxBucketMB is the largest --bucket-mb: 1 TiB, far above any network's
// gradients, within an int of bytes.
const maxBucketMB = 1 << 20

// registerBucketMB defines --bucket-mb on fs, which sets bytes
// (engine.Config.BucketBytes; 0 until given: the default).
func registerBucketMB(fs *flag.FlagSet, bytes *int) {
	fs.Func("bucket-mb", fmt.Sprintf("data-parallel runs: the size in MiB of the buckets in which each step all-reduces its gradients, each started as soon as the backward pass has produced it, the last layer's first (default %d, PyTorch DDP's; a bucket holds at least one value)",
		distributed.DefaultBucketBytes>>20), func(s string) error {
		mb, err := strconv.ParseFloat(s, 64)
		if err != nil || !(mb > 0 && mb <= maxBucketMB) {
			return fmt.Errorf("expected a size in MiB greater than 0 and at most %d, such as 25 or 0.5; found %q", maxBucketMB, s)
		}
		*bytes = max(1, int(mb*(1<<20)))
		return nil
	})
}

// timeoutHint is the hint of an error that says a collective timed out.
const timeoutHint = "when no process died, no link went down and a step may take that long (a slow disk, a large checkpoint), give a longer --collective-timeout; a fit with --checkpoint goes on from its last checkpoint with --resume"

// openComm joins the processes of a data-parallel run as --distributed
// says: auto joins those an MPI launcher started, when it started more than
// one (distributed.Launched); mpi joins them in any case; none trains in
// this process alone, which nil stands for, as it does for a group of one.
// Each collective waits at most timeout (--collective-timeout).
func openComm(mode string, timeout time.Duration) (distributed.Comm, error) {
	if timeout < 0 {
		return nil, fmt.Errorf("--collective-timeout: expected a duration of 0 (the default) or more, such as 5m; found %v", timeout)
	}
	size, by := distributed.Launched()
	switch mode {
	case "none":
		return nil, nil
	case "auto":
		if size < 2 {
			return nil, nil
		}
	case "mpi":
	default:
		return nil, fmt.Errorf("--distributed: unknown choice %q: expected auto, mpi or none", mode)
	}
	c, err := distributed.OpenMPI(timeout)
	switch {
	case errors.Is(err, distributed.ErrNoMPI) && mode == "auto":
		return nil, withHint(fmt.Errorf("an MPI launcher started %d processes (%s=%d), but this perceptron was %w", size, by, size, err),
			"or give --distributed none to train a model of its own in each process")
	case errors.Is(err, distributed.ErrNoMPI):
		return nil, fmt.Errorf("--distributed mpi: this perceptron was %w", err)
	case err != nil:
		return nil, fmt.Errorf("--distributed %s: %w", mode, err)
	case c.Size() < 2: // started alone: nothing to share
		return nil, c.Close()
	}
	return c, nil
}

// group is this process's part in a command that may run on several
// processes: their Comm (nil for a process alone), whether this process has
// joined the others' work (see join), where it reports an error, its own
// stderr, which a collective that timed out is reported to on every
// process, and the signals the command catches (nil: none).
type group struct {
	comm   distributed.Comm
	joined bool
	stderr io.Writer
	own    io.Writer
	sig    *signals
}

// openGroup joins the processes as --distributed and --collective-timeout
// say (openComm). On a process other than 0 it silences stdout and stderr:
// process 0 reports for all. Defer the group's close.
func openGroup(mode string, timeout time.Duration, stdout, stderr *io.Writer) (*group, error) {
	c, err := openComm(mode, timeout)
	if err != nil {
		return nil, err
	}
	own := *stderr
	if c != nil && c.Rank() != 0 {
		*stdout, *stderr = io.Discard, io.Discard
	}
	return &group{comm: c, stderr: *stderr, own: own}, nil
}

// leads reports whether this process writes and reports: the only one, or
// process 0.
func (g *group) leads() bool { return g.comm == nil || g.comm.Rank() == 0 }

// join is where the processes meet before they work together: each that
// got there without an error joins the others, and all fail together if
// one failed before, which it does in close.
func (g *group) join() error {
	if g.comm == nil {
		return nil
	}
	g.joined = true
	return distributed.Agree(g.comm, nil)
}

// reported is an error of a data-parallel run that is printed already, by
// process 0 for every process: the exit status is 1, the message is not
// printed again.
type reported struct{ error }

func (r reported) Unwrap() error { return r.error }

// close ends this process's part, err being how its command ended, and
// returns the error the command ends with. A process that failed before
// joining the others meets them now with its error, so that all fail
// together. Then every process learns whether any failed, keeping its own
// error, and process 0 prints the first failure, naming the process that met
// it, before any process leaves: under mpirun, the first process to exit with
// status 1 ends the others, and it must not end process 0 before it has said
// why. A command that ended well but caught a signal on any process (g.sig)
// ends interrupted on all, process 0 saying that it came late
// (landing.late); the signals are no longer caught after. The Comm is
// closed. A collective that timed out (here or before) is reported by every
// process that gets to it, each naming the processes it missed, and ends
// the job (timedOut).
func (g *group) close(err error) error {
	c := g.comm
	if c == nil {
		if g.sig != nil {
			g.sig.stop() // a signal after this ends the process by default
			if l, _ := g.sig.landed(nil); err == nil && l.sig != nil {
				err = l.late(g.stderr)
			}
		}
		return err
	}
	if !g.joined {
		err = distributed.Agree(c, err) // what join does, on the processes that got there
	}
	first := distributed.Agree(c, err)
	if err == nil {
		err = first
	}
	if g.sig != nil && err == nil { // on every process, or on none
		l, e := g.sig.landed(c)
		switch {
		case e != nil:
			err = e
		case l.sig != nil && c.Rank() == 0:
			err = l.late(g.stderr)
		case l.sig != nil:
			err = interrupted{l.sig}
		}
	}
	if g.sig != nil {
		g.sig.stop()
	}
	var timeout *distributed.TimeoutError
	switch {
	case errors.As(err, &timeout):
		return g.timedOut(err)
	case errors.As(first, &timeout):
		return g.timedOut(first)
	}
	if err != nil { // on every process
		var stopped interrupted // process 0 has printed how far the fit came
		if !errors.As(err, &stopped) {
			if c.Rank() == 0 {
				fail(g.stderr, err)
			}
			err = reported{err}
		}
		if e := distributed.Agree(c, nil); e != nil { // a barrier
			err = e // the transport failed; process 0 has printed err
		}
	}
	if closeErr := c.Close(); err == nil {
		err = closeErr
	}
	return err
}

// timedOut reports err, which says that a collective timed out, on this
// process's own stderr whatever its rank (the process that lost the others
// may be any), and closes the Comm, which ends every process of the job
// (under MPI, MPI_Abort: status 1 for mpirun).
func (g *group) timedOut(err error) error {
	fail(g.own, withHint(err, timeoutHint))
	return reported{errors.Join(err, g.comm.Close())}
}
