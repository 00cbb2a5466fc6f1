package main

import (
	"bytes"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/perceptron-go/perceptron/engine/distributed"
)

// slowBuffer is a bytes.Buffer that one goroutine writes while others
// read, and whose writes take a while, as a write to a busy pipe may: a
// process that does not wait for them reads before they are done.
type slowBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *slowBuffer) Write(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *slowBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestGroupClose ends a command on two processes (goroutines with an
// in-process Comm) in each way it can end: process 0 prints the first
// failure once, naming the process that met it, and has printed it by the
// time close returns on any process (under mpirun, the first process to exit
// with status 1 ends the others); every process then ends with status 1 and
// prints nothing more. A success prints nothing; an interrupted fit, whose
// process 0 has printed how far it came, keeps the signal's status.
func TestGroupClose(t *testing.T) {
	missing := errors.New("open missing.csv: no such file or directory")
	stopped := interrupted{syscall.SIGTERM}
	for _, c := range []struct {
		name    string
		joins   [2]bool  // whether the process got to join
		errs    [2]error // how its command ended
		printed string   // by process 0
		status  int
	}{
		{"process 1 fails before joining", [2]bool{true, false}, [2]error{nil, missing},
			"perceptron: error: process 1 of 2: open missing.csv: no such file or directory\n", 1},
		{"both fail before joining", [2]bool{false, false}, [2]error{errors.New("bad flag"), missing},
			"perceptron: error: bad flag\n", 1},
		{"process 1 fails alone after joining", [2]bool{true, true}, [2]error{nil, errors.New("disk full")},
			"perceptron: error: process 1 of 2: disk full\n", 1},
		{"process 0 fails alone after joining", [2]bool{true, true}, [2]error{withHint(errors.New("disk full"), "free some space"), nil},
			"perceptron: error: disk full\nperceptron: hint: free some space\n", 1},
		{"both are interrupted", [2]bool{true, true}, [2]error{stopped, stopped}, "", 143},
		{"both succeed", [2]bool{true, true}, [2]error{nil, nil}, "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr slowBuffer
			type ending struct {
				err           error
				printedBefore string // process 0's stderr when close returned
			}
			endings := distributed.RunLocal(2, func(comm distributed.Comm) ending {
				g := &group{comm: comm, stderr: &stderr}
				err := c.errs[comm.Rank()]
				if c.joins[comm.Rank()] {
					if joinErr := g.join(); err == nil {
						err = joinErr
					}
				}
				err = g.close(err)
				return ending{err, stderr.String()}
			})
			assert.Equal(t, c.printed, stderr.String())
			for rank, e := range endings {
				assert.Equal(t, c.printed, e.printedBefore, "process %d's close returned before process 0 printed", rank)
				var again bytes.Buffer
				assert.Equal(t, c.status, exitStatus(e.err, &again), "process %d: %v", rank, e.err)
				assert.Empty(t, again.String(), "process %d prints the error again", rank)
			}
		})
	}
}
