package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signals catches SIGINT and SIGTERM for a whole command: the first one
// cancels its context, so that a fit stops after its current step, and the
// command still saves what it has and exits with the signal's status.
// Later signals are absorbed while it does.
type signals struct {
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan os.Signal
	mu     sync.Mutex
	got    os.Signal
}

// catchSignals starts catching SIGINT and SIGTERM until stop.
func catchSignals() *signals {
	s := &signals{ch: make(chan os.Signal, 2)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range s.ch {
			s.mu.Lock()
			if s.got == nil {
				s.got = sig
				s.cancel()
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// caught returns the first signal caught, or nil.
func (s *signals) caught() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// stop restores the default handling of the signals.
func (s *signals) stop() {
	signal.Stop(s.ch)
	close(s.ch)
	s.cancel()
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
	}
	return sig.String()
}

// status is the exit status of a process the signal ended: 128 + its number
// (130 for SIGINT, 143 for SIGTERM), as shells report it.
func (e interrupted) status() int {
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}
