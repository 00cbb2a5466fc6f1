//go:build linux

package main

import (
	"bytes"
	bin "encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// The environment variables that steer TestKillAndResume: the seed of its
// draws, how many trials it runs (a soak runs hundreds), and one trial to
// replay alone.
const (
	crashSeedEnv   = "PERCEPTRON_CRASH_SEED"
	crashTrialsEnv = "PERCEPTRON_CRASH_TRIALS"
	crashTrialEnv  = "PERCEPTRON_CRASH_TRIAL"
)

// crashTrials is how many trials TestKillAndResume runs by default (CI's
// count), crashTrialsShort with -short.
const crashTrials, crashTrialsShort = 24, 6

// crashTimeout bounds one run of the binary in TestKillAndResume: a run that
// outlives it hangs, and fails the test.
const crashTimeout = time.Minute

// crashFiles are the files a trial's fit writes, in its folder.
const (
	crashCheckpoint = "ck.safetensors"
	crashModel      = "m.safetensors"
	crashHistory    = "h.csv"
)

// TestKillAndResume is the kill-9-and-resume loop (issue 26): each trial
// draws a fit (batch 1 or mini-batches, every optimizer, schedule, early
// stopping, dropout, clipping, class weights, dtype and generator) and
// trains it once without a stop, then again with a chain of faults —
// SIGKILL at a random moment or inside a write, SIGINT and SIGTERM at a
// random moment, once or twice in a row, or followed by SIGKILL during the
// save they start — each followed by --resume from the checkpoint (or a new
// start when none was written yet). After every fault the checkpoint, the
// model and the history on disk must load; the chain must end with the
// model file, byte for byte, and the history (timings aside) of the fit
// never stopped, and no temporary file left.
//
// The moments are drawn from the seed as fractions of the uninterrupted
// run's time, so a trial replays the same plan, though not the same
// landing points, on another machine. PERCEPTRON_CRASH_SEED sets the seed,
// PERCEPTRON_CRASH_TRIALS the trials (a soak: hundreds) and
// PERCEPTRON_CRASH_TRIAL one trial to replay; a failure prints the line
// that replays it.
func TestKillAndResume(t *testing.T) {
	seed := envCount(t, crashSeedEnv, 1)
	trials := envCount(t, crashTrialsEnv, crashTrials)
	if testing.Short() && os.Getenv(crashTrialsEnv) == "" {
		trials = crashTrialsShort
	}
	only := envCount(t, crashTrialEnv, 0)
	table := write(t, t.TempDir(), "customers.csv", customers(6000, "age;plan;city;fee;w;churned", func(age int, plan, city, fee, w, churned string) []string {
		return []string{fmt.Sprint(age), plan, city, fee, w, churned}
	}))
	tally := crashTally{seen: map[string]bool{}}
	for i := 1; i <= trials; i++ {
		if only != 0 && i != only {
			continue
		}
		trial := drawTrial(rand.New(rand.NewPCG(uint64(seed), uint64(i))), table)
		if !t.Run(fmt.Sprintf("trial-%d", i), func(t *testing.T) { trial.run(t, &tally) }) {
			t.Logf("trial %d: %s\nreplay: %s=%d %s=%d go test -run 'TestKillAndResume/trial-%d$' ./cmd/perceptron",
				i, trial, crashSeedEnv, seed, crashTrialEnv, i, i)
		}
	}
	t.Logf("seed %d, %d trials: %s", seed, trials, tally)
	if only == 0 && trials >= crashTrials {
		assert.Positive(t, tally.inWrite, "no SIGKILL landed inside a write: the loop no longer tests one")
		assert.Positive(t, tally.midEpoch, "no fault stopped a fit within an epoch: the loop no longer tests one")
	}
}

// envCount returns the environment variable name's whole number, or def
// when it is not set.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(t, err, "%s: expected a whole number", name)
	return n
}

// crashTally counts what the faults of TestKillAndResume did, over all its
// trials.
type crashTally struct {
	runs, kills, signals int
	inWrite              int             // SIGKILLs inside a write (or an output's check): temporary files left
	afterBytes           int             // those left with their bytes, before their rename
	seen                 map[string]bool // the temporary files counted in inWrite
	midEpoch             int             // faults after which the checkpoint was within an epoch
	resumes, restarts    int             // runs that went on from a checkpoint, and from the start (none written yet)
}

func (c crashTally) String() string {
	return fmt.Sprintf("%d runs, %d SIGKILLs (%d inside a write, %d of them after its bytes), %d with SIGINT or SIGTERM, %d checkpoints within an epoch, %d resumes, %d restarts",
		c.runs, c.kills, c.inWrite, c.afterBytes, c.signals, c.midEpoch, c.resumes, c.restarts)
}

// crashTrial is one trial: a fit's flags and the faults that strike it, in
// order.
type crashTrial struct {
	fit    []string
	every  string // --checkpoint-every, which is not a setting of the fit
	faults []crashFault
}

// crashFault is one fault: signals sent at a moment, and a SIGKILL at a
// moment or inside a write. Moments are fractions of the uninterrupted
// run's time, from the start of the run.
type crashFault struct {
	signals []syscall.Signal // SIGINT or SIGTERM, the second gap after the first
	at      float64
	gap     time.Duration
	kill    bool
	killAt  float64       // with kill: when, or 0 for when the nth temporary file appears or is written to (after the signals)
	nth     int           // with kill and no killAt: which temporary file
	written bool          // with kill and no killAt: when its bytes are written (between them and the rename), not when it appears
	jitter  time.Duration // with kill and no killAt: how long after
}

func (f crashFault) String() string {
	var parts []string
	if len(f.signals) > 0 {
		names := make([]string, len(f.signals))
		for i, s := range f.signals {
			names[i] = signalName(s)
		}
		s := strings.Join(names, "+") + fmt.Sprintf(" at %.2f", f.at)
		if len(f.signals) > 1 {
			s += fmt.Sprintf(" (%v apart)", f.gap)
		}
		parts = append(parts, s)
	}
	switch {
	case !f.kill:
	case f.killAt > 0:
		parts = append(parts, fmt.Sprintf("SIGKILL at %.2f", f.killAt))
	default:
		event := "appears"
		if f.written {
			event = "is written to"
		}
		parts = append(parts, fmt.Sprintf("SIGKILL %v after temporary file %d %s", f.jitter, f.nth, event))
	}
	return strings.Join(parts, " then ")
}

func (c *crashTrial) String() string {
	faults := make([]string, len(c.faults))
	for i, f := range c.faults {
		faults[i] = f.String()
	}
	return fmt.Sprintf("perceptron train %s --checkpoint-every %s; faults: %s", strings.Join(quoted(c.fit), " "), c.every, strings.Join(faults, "; "))
}

// quoted quotes the empty arguments of args, so that the line replays.
func quoted(args []string) []string {
	q := slices.Clone(args)
	for i, a := range q {
		if a == "" {
			q[i] = `""`
		}
	}
	return q
}

// pick returns one of choices, drawn from r.
func pick[T any](r *rand.Rand, choices ...T) T { return choices[r.IntN(len(choices))] }

// drawTrial draws a trial's fit and faults from r, on synthetic data or
// the CSV file table (written by customers). The fits are small enough that
// a trial takes about a second, large enough that a random moment falls
// within an epoch as often as between them.
func drawTrial(r *rand.Rand, table string) *crashTrial {
	batch := pick(r, "1", "1", "4", "16", "64")
	fit, output, classWeight := drawData(r, table, batch != "1")
	fit = append(fit, "--seed", strconv.Itoa(1+r.IntN(1000)),
		"--layers", pick(r, "16:tanh", "12:relu,12:relu", "24:relu:dropout=0.2", "12:tanh:dropout=0.1,12:relu:dropout=0.3")+","+output,
		"--batch", batch, "--epochs", strconv.Itoa(3+r.IntN(5)), "--dtype", pick(r, "float32", "float64"), "--rng", pick(r, "go", "go", "numpy"))
	fit = append(fit, pick(r, []string{"--optimizer", "sgd"}, []string{"--optimizer", "sgd", "--momentum", "0.9"},
		[]string{"--optimizer", "sgd", "--momentum", "0.9", "--nesterov"}, []string{"--optimizer", "adam"}, []string{"--optimizer", "adamw"})...)
	if r.IntN(4) == 0 {
		fit = append(fit, "--weight-decay", "0.001")
	}
	schedule := pick(r, "constant", "step:2:0.5", "cosine", "plateau:0:0.5")
	fit = append(fit, "--lr-schedule", schedule)
	if schedule != "plateau:0:0.5" && r.IntN(3) == 0 {
		fit = append(fit, "--warmup-epochs", "1")
	}
	watches := schedule == "plateau:0:0.5"
	if r.IntN(3) == 0 {
		fit = append(fit, "--early-stop", pick(r, "1", "2"))
		if r.IntN(2) == 0 {
			fit = append(fit, "--min-delta", "0.001")
		}
		watches = true
	}
	if watches && r.IntN(3) == 0 {
		fit = append(fit, "--monitor", "val_accuracy")
	}
	if !watches && r.IntN(4) == 0 {
		fit = append(fit, "--val-split", "0")
	}
	switch r.IntN(4) {
	case 0:
		fit = append(fit, "--clip-grad-norm", "0.5")
	case 1:
		fit = append(fit, "--clip-grad-value", "0.05")
	}
	if r.IntN(4) == 0 {
		fit = append(fit, "--class-weight", pick(r, "balanced", classWeight))
	}
	fit = append(fit, "--on-interrupt", pick(r, interruptBeside, interruptReplace, interruptDiscard))
	c := &crashTrial{fit: fit, every: pick(r, "1", "1", "2", "0")}
	for range 1 + r.IntN(3) {
		c.faults = append(c.faults, drawFault(r))
	}
	return c
}

// drawData draws the data flags of a trial from r: a synthetic set (more
// examples for mini-batches), or the CSV file table with a draw of the CSV
// flags. It returns them with an output layer that fits the data's classes
// and class weights for them.
func drawData(r *rand.Rand, table string, batches bool) (flags []string, output, classWeight string) {
	data := pick(r, "moons", "spirals", "blobs", "csv")
	output, classWeight = pick(r, "1:sigmoid", "2:softmax"), "1:3"
	switch data {
	case "csv":
		flags = []string{"--data", "csv:" + table, "--label-col", "churned", "--impute", pick(r, "median", "mean", "zero")}
		if r.IntN(2) == 0 {
			flags = append(flags, "--weight-col", "w")
		}
		if r.IntN(3) == 0 {
			flags = append(flags, "--categorical", "age", "--max-categories", "60")
		}
		if r.IntN(3) == 0 {
			flags = append(flags, "--sep", ";")
		}
		if r.IntN(3) == 0 {
			flags = append(flags, "--na-values", "Paris")
		}
		return flags, output, "yes:3"
	case "blobs":
		output = "3:softmax"
	}
	samples := 8000 + r.IntN(8000)
	if batches {
		samples *= 2
	}
	return []string{"--data", "synthetic:" + data, "--samples", strconv.Itoa(samples)}, output, classWeight
}

// drawFault draws one fault from r.
func drawFault(r *rand.Rand) crashFault {
	signal := func() syscall.Signal { return pick(r, syscall.SIGINT, syscall.SIGTERM) }
	switch r.IntN(5) {
	case 0: // SIGKILL at a random moment
		return crashFault{kill: true, killAt: 0.05 + r.Float64()}
	case 1: // SIGKILL inside a write (or the check of an output before the fit)
		if r.IntN(2) == 0 {
			return crashFault{kill: true, nth: 1 + r.IntN(8), jitter: time.Duration(r.IntN(1500)) * time.Microsecond}
		}
		return crashFault{kill: true, nth: 1 + r.IntN(5), written: true, jitter: time.Duration(r.IntN(300)) * time.Microsecond}
	case 2: // a signal at a random moment
		return crashFault{signals: []syscall.Signal{signal()}, at: r.Float64()}
	case 3: // two in a row
		return crashFault{signals: []syscall.Signal{signal(), signal()}, at: r.Float64(), gap: time.Duration(r.IntN(20)) * time.Millisecond}
	}
	// a signal, then SIGKILL during the save it starts
	return crashFault{signals: []syscall.Signal{signal()}, at: r.Float64(), kill: true, nth: 1 + r.IntN(3), written: r.IntN(2) == 0,
		jitter: time.Duration(r.IntN(500)) * time.Microsecond}
}

// outputs are the output flags of a trial's runs.
func (c *crashTrial) outputs() []string {
	return []string{"--out", crashModel, "--history", crashHistory, "--plot", "", "--quiet", "--json", "--checkpoint", crashCheckpoint, "--checkpoint-every", c.every}
}

// run trains the trial's fit without a stop, then through its faults, and
// compares.
func (c *crashTrial) run(t *testing.T, tally *crashTally) {
	ref := t.TempDir()
	began := time.Now()
	whole := perceptron(t, ref, append(append([]string{"train"}, c.fit...), "--out", crashModel, "--history", crashHistory, "--plot", "", "--quiet", "--json")...)
	require.Equal(t, 0, whole.code, whole.stderr)
	took := time.Since(began)

	dir := t.TempDir()
	start := append(append([]string{"train"}, c.fit...), c.outputs()...)
	args := start
	var at crashProgress
	var last string // the JSON summary of the run that finished the fit
	for i, f := range c.faults {
		tally.runs++
		finished, stdout := c.strike(t, dir, args, f, took, tally)
		what := fmt.Sprintf("after fault %d (%s)", i+1, f)
		at = checkOnDisk(t, dir, at, what, tally)
		if finished {
			last = stdout
			break
		}
		if at.exists {
			args, tally.resumes = append([]string{"train", "--resume", crashCheckpoint}, c.outputs()...), tally.resumes+1
		} else {
			args, tally.restarts = start, tally.restarts+1
		}
		if i == len(c.faults)-1 {
			tally.runs++
			r := perceptron(t, dir, args...)
			require.Equal(t, 0, r.code, "the last run, %s: %s", strings.Join(quoted(args), " "), r.stderr)
			last = r.stdout
		}
	}
	sameFile(t, filepath.Join(ref, crashModel), filepath.Join(dir, crashModel))
	assert.Equal(t, historyLosses(t, filepath.Join(ref, crashHistory)), historyLosses(t, filepath.Join(dir, crashHistory)))
	assert.Equal(t, untimed(t, whole.stdout), untimed(t, last), "the JSON summary, timings and the checkpoint aside")
	tmp, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "no temporary file is left once the fit is done")
}

// strike runs the binary with args in dir and strikes it with fault f, its
// moments scaled to whole. It checks the exit status and reports whether
// the run finished the fit (status 0), with what it printed on stdout.
func (c *crashTrial) strike(t *testing.T, dir string, args []string, f crashFault, whole time.Duration, tally *crashTally) (bool, string) {
	t.Helper()
	watch := watchTemporaries(t, dir)
	defer watch.close()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	began := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := make(chan struct{})
	sent := make(chan syscall.Signal, 3)
	go func() {
		defer close(sent)
		wait := func(d time.Duration) bool {
			select {
			case <-time.After(d):
				return true
			case <-stopped:
				return false
			}
		}
		if len(f.signals) > 0 {
			if !wait(time.Until(began.Add(time.Duration(f.at * float64(whole))))) {
				return
			}
			watch.drain()
			for i, s := range f.signals {
				if i > 0 && !wait(f.gap) {
					return
				}
				if cmd.Process.Signal(s) == nil {
					sent <- s
				}
			}
		}
		if !f.kill {
			return
		}
		if f.killAt > 0 {
			if !wait(time.Until(began.Add(time.Duration(f.killAt * float64(whole))))) {
				return
			}
		} else {
			events := watch.created
			if f.written {
				events = watch.written
			}
			for range f.nth {
				select {
				case <-events:
				case <-stopped:
					return
				}
			}
			if f.jitter > 0 && !wait(f.jitter) {
				return
			}
		}
		if cmd.Process.Kill() == nil {
			sent <- syscall.SIGKILL
		}
	}()
	select {
	case <-exited:
	case <-time.After(crashTimeout):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("%s ran for more than %v (%s); stderr:\n%s", strings.Join(quoted(args), " "), crashTimeout, f, stderr.String())
	}
	close(stopped)
	var got []syscall.Signal
	for s := range sent {
		got = append(got, s)
	}
	if slices.Contains(got, syscall.SIGKILL) {
		tally.kills++
	}
	if len(got) > 0 && got[0] != syscall.SIGKILL {
		tally.signals++
	}
	state := cmd.ProcessState
	status := state.Sys().(syscall.WaitStatus)
	how := fmt.Sprintf("%s, struck by %v (%s); stderr:\n%s", strings.Join(quoted(args), " "), got, f, stderr.String())
	switch {
	case status.Exited() && status.ExitStatus() == 0:
		return true, stdout.String()
	case status.Exited():
		require.NotEmpty(t, got, "exit status %d without a fault: %s", status.ExitStatus(), how)
		// Two signals caught at once are taken in the order of their
		// numbers (Go's runtime queues them as a set): the status may be
		// the second's.
		sig := syscall.Signal(status.ExitStatus() - 128)
		require.True(t, slices.Contains(got, sig) && sig != syscall.SIGKILL, "the exit status is 128 + the number of a signal sent: %s", how)
		// A signal that came after the fit ends is said as such.
		assert.Regexp(t, "perceptron: (interrupted by "+signalName(sig)+"|"+signalName(sig)+" came )", stderr.String(), how)
	case status.Signaled():
		// SIGKILL; or SIGINT or SIGTERM before the command catches them, or
		// after it has written everything and restored their default.
		require.Contains(t, got, status.Signal(), "ended by a signal not sent: %s", how)
	default:
		t.Fatalf("ended neither by exit nor by a signal: %s", how)
	}
	return false, ""
}

// untimed returns train's JSON summary out, its timings and its
// checkpoint's names set aside.
func untimed(t *testing.T, out string) summary {
	t.Helper()
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(out), &sum), out)
	for i := range sum.History {
		sum.History[i].Seconds, sum.History[i].ExamplesPerSec = 0, 0
	}
	sum.Checkpoint, sum.Resumed = "", ""
	return sum
}

// crashProgress is how far the checkpoint on disk has come.
type crashProgress struct {
	exists      bool
	epoch, done int
}

// checkOnDisk checks, after a fault, that every file a fit writes loads
// (the checkpoint, the models, the histories) and that the checkpoint has
// not gone back from before, and returns where it is.
func checkOnDisk(t *testing.T, dir string, before crashProgress, what string, tally *crashTally) crashProgress {
	t.Helper()
	tmp, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	require.NoError(t, err)
	for _, name := range tmp {
		if st, err := os.Stat(name); err == nil && !tally.seen[name] {
			tally.inWrite++
			if st.Size() > 0 {
				tally.afterBytes++ // its bytes were written, its rename never came
			}
			tally.seen[name] = true
		}
	}
	var at crashProgress
	path := filepath.Join(dir, crashCheckpoint)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		require.False(t, before.exists, "%s: the checkpoint is gone", what)
	} else {
		ck, err := modelfile.LoadCheckpoint(path)
		require.NoError(t, err, "%s: the checkpoint loads", what)
		at = crashProgress{true, ck.Fit.Epoch, ck.Fit.Done}
		assert.False(t, at.epoch < before.epoch || at.epoch == before.epoch && at.done < before.done,
			"%s: the checkpoint went back from epoch %d and %d examples to epoch %d and %d examples", what, before.epoch, before.done, at.epoch, at.done)
		if at.done > 0 {
			tally.midEpoch++
		}
	}
	for _, name := range []string{crashModel, besidePath(crashModel)} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			_, err := modelfile.Load(filepath.Join(dir, name))
			require.NoError(t, err, "%s: %s loads", what, name)
		}
	}
	for _, name := range []string{crashHistory, besidePath(crashHistory)} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		require.Equal(t, "epoch,loss,train_acc,val_loss,val_acc,seconds,examples_per_s,lr", lines[0], "%s: %s's header", what, name)
		for i, line := range lines[1:] {
			require.Len(t, strings.Split(line, ","), 8, "%s: %s, row %d: %q", what, name, i+1, line)
		}
	}
	return at
}

// tmpWatch reports, through inotify, the temporary files (.NAME.PID.tmp)
// created in a folder, the start of each write (or of the check of an
// output before a fit), and those first written to, whose rename is near.
type tmpWatch struct {
	file             *os.File
	created, written chan string
}

// watchTemporaries starts watching dir.
func watchTemporaries(t *testing.T, dir string) *tmpWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	require.NoError(t, err, "inotify")
	_, err = unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MODIFY)
	require.NoError(t, err, "inotify")
	w := &tmpWatch{file: os.NewFile(uintptr(fd), "inotify"), created: make(chan string, 64), written: make(chan string, 64)}
	go func() {
		written := map[string]bool{}
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.PathMax))
		for {
			n, err := w.file.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				mask := bin.NativeEndian.Uint32(buf[off+4:])
				size := int(bin.NativeEndian.Uint32(buf[off+12:]))
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+size]), "\x00")
				off += unix.SizeofInotifyEvent + size
				if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
					continue
				}
				events := w.created
				if mask&unix.IN_MODIFY != 0 {
					if written[name] {
						continue
					}
					written[name], events = true, w.written
				}
				select {
				case events <- name:
				default:
				}
			}
		}
	}()
	return w
}

// drain forgets the files reported so far.
func (w *tmpWatch) drain() {
	for _, events := range []chan string{w.created, w.written} {
		for len(events) > 0 {
			<-events
		}
	}
}

func (w *tmpWatch) close() { w.file.Close() }
