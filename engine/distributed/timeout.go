package distributed

import (
	"fmt"
	"strings"
	"time"
)

// MinTimeout is the least a process waits in one collective under the
// default timeout (a timeout of 0: see clock).
const MinTimeout = time.Minute

// TimeoutFactor is how many of the slowest step so far a process waits in
// one collective under the default timeout.
const TimeoutFactor = 10

// clock gives each collective of one process its time limit. A fixed
// timeout (> 0) is every collective's limit. The default (0) is
// TimeoutFactor times the slowest step so far, at least MinTimeout, where
// a step is the time from one collective's return to the next one's (the
// first counts from the Comm's opening), and the step under way counts as
// far as it has come when the collective starts: a process that took five
// minutes to load its data waits fifty for the others to load theirs.
type clock struct {
	fixed   time.Duration
	last    time.Time
	slowest time.Duration
}

func newClock(timeout time.Duration) clock { return clock{fixed: timeout, last: time.Now()} }

// enter returns the limit of the collective that starts at now.
func (c *clock) enter(now time.Time) time.Duration {
	c.slowest = max(c.slowest, now.Sub(c.last))
	if c.fixed > 0 {
		return c.fixed
	}
	return max(MinTimeout, TimeoutFactor*c.slowest)
}

// leave records that the collective returned at now.
func (c *clock) leave(now time.Time) {
	c.slowest = max(c.slowest, now.Sub(c.last))
	c.last = now
}

// TimeoutError is what a collective returns when the other processes did
// not all take part in it within its limit. The Comm is broken after it:
// its later collectives return the same error at once, and its Close ends
// the whole group (Open MPI: MPI_Abort), since the collective under way
// can be neither finished nor taken back.
type TimeoutError struct {
	// Rank and Size are this process's, Call the collective that timed out
	// ("all-reduce of 8 float64 values"), Limit how long it waited.
	Rank, Size int
	Call       string
	Limit      time.Duration
	// Missing are the processes that did not arrive, in rank order; Why
	// says how that is known ("did not arrive" in one process; over MPI,
	// which cannot tell who is missing from a collective, the processes that
	// did not answer a message from this one).
	Missing []int
	Why     string
}

// Error returns "process RANK of SIZE waited LIMIT in the CALL for the
// others: process P did not arrive", with the missing processes and how
// that is known.
func (e *TimeoutError) Error() string {
	who := "every other process answered, yet the collective did not complete"
	if len(e.Missing) > 0 {
		names := make([]string, len(e.Missing))
		for i, r := range e.Missing {
			names[i] = fmt.Sprint(r)
		}
		noun := "process "
		if len(names) > 1 {
			noun = "processes "
		}
		who = noun + strings.Join(names, ", ") + " " + e.Why
	}
	return fmt.Sprintf("process %d of %d waited %v in the %s for the others: %s", e.Rank, e.Size, e.Limit, e.Call, who)
}

// allReduceOf names the all-reduce of n values of dtype in a TimeoutError
// ("all-reduce of 8 float64 values").
func allReduceOf(n int, dtype string) string {
	return "all-reduce of " + counted(n, dtype+" value")
}

// broadcastOf names the broadcast of n bytes from process root in a
// TimeoutError.
func broadcastOf(n, root int) string {
	return fmt.Sprintf("broadcast of %s from process %d", counted(n, "byte"), root)
}

// counted returns "n noun", the noun in the plural unless n is 1.
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
