package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/perceptron-go/perceptron/engine/distributed"
)

// stopSignals are the signals train catches: Ctrl-C, kill's default, and
// the hang-up of a closed terminal or ssh session.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// signals catches stopSignals for train: the first one cancels its
// context, so that a fit stops after its current step, and is recorded with
// the phase it landed in; the command still saves what it has and exits
// with the signal's status (see interrupted). Later signals are absorbed
// while it does. A signal that the process was started ignoring (nohup's
// SIGHUP, a background job's SIGINT) stays ignored.
type signals struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	once   sync.Once
	mu     sync.Mutex
	phase  phase     // the phase running
	got    os.Signal // the first signal caught, or nil
	in     phase     // the phase it landed in
	paused map[string]bool
}

// phase is a part of train that a signal can land in, in the order they
// run.
type phase int

const (
	loadingPhase  phase = iota // the flags, the data, the network: nothing is trained or written
	fittingPhase               // the epochs, with their validation and checkpoints
	testingPhase               // the test's evaluation
	writingPhase               // the model, history and plot
	finishedPhase              // everything written and printed
)

// catchSignals starts catching stopSignals (those not ignored) until stop,
// in phase loadingPhase.
func catchSignals() *signals {
	s := &signals{ch: make(chan os.Signal, len(stopSignals)), paused: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, sig := range stopSignals {
		if !signal.Ignored(sig) {
			signal.Notify(s.ch, sig)
		}
	}
	go func() {
		for sig := range s.ch {
			s.mu.Lock()
			if s.got == nil {
				s.got, s.in = sig, s.phase
				s.cancel()
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// enter records that the command is in phase p.
func (s *signals) enter(p phase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phase = p
}

// caught returns the first signal caught, or nil, and the phase it landed
// in.
func (s *signals) caught() (os.Signal, phase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got, s.in
}

// stop restores the default handling of the signals; a signal that comes
// after it ends the process as if never caught. It may be called again.
func (s *signals) stop() {
	s.once.Do(func() {
		signal.Stop(s.ch)
		close(s.ch)
		s.cancel()
	})
}

// pauseVariable is the environment variable with which the end-to-end tests
// hold train at a named point until a signal comes, to signal each phase
// deterministically: load (reading the data), epoch (within epoch 1, after
// its first steps), epoch-end (epoch 1 trained and validated, before its
// row), checkpoint (before epoch 1's checkpoint is written), test (before
// the test's evaluation), write (before the outputs are written) and done
// (after everything is written and printed). It is for tests, not users.
const pauseVariable = "PERCEPTRON_TEST_PAUSE"

// pause holds the command at point, when PERCEPTRON_TEST_PAUSE names it and
// it has not been held there before: it says "perceptron: test pause at
// POINT, pid N" on the process's own stderr (which a data-parallel process
// other than 0 does not silence) and waits for a signal, a minute at most.
func (s *signals) pause(point string) {
	if os.Getenv(pauseVariable) != point || s.paused[point] {
		return
	}
	s.paused[point] = true
	fmt.Fprintf(os.Stderr, "perceptron: test pause at %s, pid %d\n", point, os.Getpid())
	select {
	case <-s.ctx.Done():
	case <-time.After(time.Minute):
	}
}

// landing is the first signal that reached the processes of a run: the
// signal (nil for none), the process that caught it, of how many, and the
// phase it landed in there.
type landing struct {
	sig         os.Signal
	rank, procs int
	in          phase
}

// landed returns the first signal caught: by this process alone, or in a
// data-parallel run (c not nil) by any of c's processes, the lowest rank
// that caught one, the same on every process. With c, it is a collective.
func (s *signals) landed(c distributed.Comm) (landing, error) {
	sig, in := s.caught()
	if c == nil {
		return landing{sig: sig, procs: 1, in: in}, nil
	}
	caught := make([]float64, 2*c.Size()) // each process's signal number and phase
	if n, ok := sig.(syscall.Signal); ok {
		caught[2*c.Rank()], caught[2*c.Rank()+1] = float64(n), float64(in)
	}
	if err := c.AllReduceFloat64(caught); err != nil {
		return landing{}, err
	}
	for r := range c.Size() {
		if n := caught[2*r]; n > 0 {
			return landing{sig: syscall.Signal(n), rank: r, procs: c.Size(), in: phase(caught[2*r+1])}, nil
		}
	}
	return landing{procs: c.Size()}, nil
}

// String names the signal and, in a data-parallel run, the process that
// got it: "SIGTERM", or "SIGTERM to process 1 of 2".
func (l landing) String() string {
	if l.procs > 1 {
		return fmt.Sprintf("%s to process %d of %d", signalName(l.sig), l.rank, l.procs)
	}
	return signalName(l.sig)
}

// late says, on stderr, that the signal l came when nothing was left to
// cut (while the outputs were written, which they were whole, or after),
// and returns the interrupted error that gives the signal's status.
func (l landing) late(stderr io.Writer) error {
	when := "after everything was written"
	if l.in < finishedPhase {
		when = "while the outputs were written; they were written whole"
	}
	fmt.Fprintf(stderr, "perceptron: %s came %s; nothing was cut\n", l, when)
	return interrupted{l.sig}
}

// interrupted reports a command stopped by a signal, after it saved what it
// had; its message has been printed.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + signalName(e.sig) }

// signalName names a caught signal as users send it.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// status is the exit status of a process the signal ended: 128 + its number
// (129 for SIGHUP, 130 for SIGINT, 143 for SIGTERM), as shells report it.
func (e interrupted) status() int {
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}
