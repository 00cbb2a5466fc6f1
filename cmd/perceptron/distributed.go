package main

import (
	"errors"
	"fmt"

	"github.com/perceptron-go/perceptron/engine/distributed"
)

// distributedHelp is the usage of --distributed.
const distributedHelp = "data-parallel training over MPI: auto (when mpirun started this process among others; needs a build with -tags mpi), mpi, or none"

// openComm joins the processes of a data-parallel run as --distributed
// says: auto joins those an MPI launcher started, when it started more than
// one (distributed.Launched); mpi joins them in any case; none trains in
// this process alone, which nil stands for.
func openComm(mode string) (distributed.Comm, error) {
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
	c, err := distributed.OpenMPI()
	switch {
	case errors.Is(err, distributed.ErrNoMPI) && mode == "auto":
		return nil, withHint(fmt.Errorf("an MPI launcher started %d processes (%s=%d), but this perceptron was %w", size, by, size, err),
			"or give --distributed none to train a model of its own in each process")
	case errors.Is(err, distributed.ErrNoMPI):
		return nil, fmt.Errorf("--distributed mpi: this perceptron was %w", err)
	case err != nil:
		return nil, fmt.Errorf("--distributed %s: %w", mode, err)
	}
	return c, nil
}

// silent is an error of a process other than 0 of a data-parallel run,
// which process 0 reports: the exit status is 1, the message is not printed
// again.
type silent struct{ error }

func (s silent) Unwrap() error { return s.error }

// leave ends this process's part in a data-parallel train: a process that
// failed before the fit, and so did not join the others (joined is false),
// joins them now with its error, so that all fail together (process 0
// naming the cause), and an error of a process other than 0 is silent.
func leave(c distributed.Comm, joined bool, err error) error {
	if !joined {
		err = distributed.Agree(c, err)
	}
	var stopped interrupted
	if err != nil && c.Rank() != 0 && !errors.As(err, &stopped) {
		return silent{err}
	}
	return err
}
