package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// pausedAt runs the binary with args in dir, held at point
// (PERCEPTRON_TEST_PAUSE), sends it sigs once it says it is held, a tenth
// of a second apart, and returns what it printed, without the hold's line,
// and its exit status. wrap, if given, is the command line that runs the
// binary (nohup). It fails past 30 s.
func pausedAt(t *testing.T, dir, point string, sigs []syscall.Signal, wrap []string, args ...string) result {
	t.Helper()
	argv := append(append(wrap, binary), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), pauseVariable+"="+point)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var stderr strings.Builder
	held := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		lines := bufio.NewScanner(stderrPipe)
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "perceptron: test pause at "+point+",") {
				close(held)
				continue
			}
			stderr.WriteString(lines.Text() + "\n")
		}
		io.Copy(io.Discard, stderrPipe)
	}()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("train did not reach %s within 30 s", point)
	}
	for i, sig := range sigs {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, cmd.Process.Signal(sig))
	}
	done := make(chan error, 1)
	go func() { <-copied; done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("train did not end within 30 s of %v at %s", sigs, point)
	}
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// TestSignalInEveryPhase signals train in each phase (held there by
// PERCEPTRON_TEST_PAUSE) with SIGINT, SIGTERM and SIGHUP: the output says
// what finished and what was cut, never contradicts itself (a test result
// only when the test finished; "nothing written" only when no file was),
// and the status is 128 + the signal's number, whichever phase it landed in.
// The checkpoint written by a cut fit resumes to the model of the fit that
// never stopped, bit for bit.
func TestSignalInEveryPhase(t *testing.T) {
	dir := t.TempDir()
	args := []string{"train", "--data", "synthetic:moons", "--samples", "2000", "--epochs", "3", "--batch", "16", "--optimizer", "adam",
		"--out", "m.safetensors", "--history", "h.csv", "--plot", "", "--checkpoint", "c.ckpt"}
	whole := perceptron(t, dir, args...)
	require.Equal(t, 0, whole.code, whole.stderr)
	require.NoError(t, os.Rename(filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "whole.safetensors")))
	test := regexp.MustCompile(`(?m)^test: loss`)
	for _, c := range []struct {
		point  string
		says   string // on stderr, a regular expression
		tested bool   // the test's result is printed
		wrote  bool   // the model and history are written
		resume bool   // the checkpoint resumes a cut fit
	}{
		{"load", `perceptron: interrupted by SIG\w+ before training; nothing written\n$`, false, false, false},
		{"epoch", `perceptron: interrupted by SIG\w+ after 0 full epochs and 16 examples of epoch 1; the model reached so far is saved to m\.safetensors; ` +
			`checkpoint written to c\.ckpt: train --resume c\.ckpt goes on\n$`, false, true, true},
		{"epoch-end", `interrupted by SIG\w+ after 1 full epochs; the model reached so far is saved to m\.safetensors; checkpoint written to c\.ckpt`, false, true, true},
		{"checkpoint", `interrupted by SIG\w+ after 1 full epochs; the model reached so far is saved to m\.safetensors; checkpoint written to c\.ckpt`, false, true, true},
		{"test", `perceptron: interrupted by SIG\w+ after the last of 3 epochs, during the test \(no test result\); the model reached so far is saved to m\.safetensors\n$`, false, true, false},
		{"write", `perceptron: wrote \[m\.safetensors h\.csv\]\nperceptron: SIG\w+ came while the outputs were written; they were written whole; nothing was cut\n$`, true, true, false},
		{"done", `perceptron: wrote \[m\.safetensors h\.csv\]\nperceptron: SIG\w+ came after everything was written; nothing was cut\n$`, true, true, false},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
			name := c.point + "/" + signalName(sig)
			for _, f := range []string{"m.safetensors", "h.csv", "c.ckpt"} {
				os.Remove(filepath.Join(dir, f))
			}
			r := pausedAt(t, dir, c.point, []syscall.Signal{sig}, nil, args...)
			assert.Equal(t, 128+int(sig), r.code, "%s: status; stderr:\n%s", name, r.stderr)
			assert.Regexp(t, c.says, r.stderr, name)
			assert.Contains(t, r.stderr, signalName(sig), name)
			assert.Equal(t, c.tested, test.MatchString(r.stdout), "%s: the test's result; stdout:\n%s", name, r.stdout)
			for _, f := range []string{"m.safetensors", "h.csv"} {
				_, err := os.Stat(filepath.Join(dir, f))
				assert.Equal(t, c.wrote, err == nil, "%s: %s written", name, f)
			}
			if c.resume && sig == syscall.SIGTERM {
				r := perceptron(t, dir, "train", "--resume", "c.ckpt", "--out", "m.safetensors", "--history", "", "--plot", "")
				require.Equal(t, 0, r.code, "%s: resume: %s", name, r.stderr)
				requireSameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "m.safetensors"), name)
			}
		}
	}
}

// requireSameFile requires the files want and got to hold the same bytes.
func requireSameFile(t *testing.T, want, got, name string) {
	t.Helper()
	w, err := os.ReadFile(want)
	require.NoError(t, err)
	g, err := os.ReadFile(got)
	require.NoError(t, err)
	require.True(t, bytes.Equal(w, g), "%s: %s differs from %s", name, got, want)
}

// TestRepeatedSignals sends two signals in one phase, and chains a signal
// with resumes: the first signal decides the message and the status, the
// later ones are absorbed; a fit cut twice and resumed twice ends with the
// model of the fit that never stopped, bit for bit. A signal the process
// was started ignoring (nohup's SIGHUP) stays ignored.
func TestRepeatedSignals(t *testing.T) {
	dir := t.TempDir()
	args := []string{"train", "--data", "synthetic:moons", "--samples", "2000", "--epochs", "3", "--batch", "16", "--optimizer", "adam",
		"--history", "", "--plot", "", "--checkpoint", "c.ckpt"}
	whole := perceptron(t, dir, append(args, "--out", "whole.safetensors")...)
	require.Equal(t, 0, whole.code, whole.stderr)

	r := pausedAt(t, dir, "epoch", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, nil, append(args, "--out", "m.safetensors")...)
	assert.Equal(t, 130, r.code, r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: interrupted by SIGINT after 0 full epochs and 16 examples of epoch 1"), r.stderr)

	r = pausedAt(t, dir, "epoch-end", []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}, nil,
		"train", "--resume", "c.ckpt", "--out", "m.safetensors", "--history", "", "--plot", "")
	assert.Equal(t, 130, r.code, r.stderr)
	assert.Contains(t, r.stderr, "resuming c.ckpt after epoch 0 and 16 examples of epoch 1")
	assert.Regexp(t, `perceptron: interrupted by SIGINT after 1 full epochs; the model reached so far is saved to m\.interrupted\.safetensors, beside the existing m\.safetensors`, r.stderr)
	assert.NotContains(t, r.stderr, "SIGTERM")

	r = pausedAt(t, dir, "test", []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP}, nil,
		"train", "--resume", "c.ckpt", "--out", "m.safetensors", "--history", "", "--plot", "", "--on-interrupt", "replace")
	assert.Equal(t, 143, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: interrupted by SIGTERM after the last of 3 epochs, during the test (no test result)")
	assert.NotContains(t, r.stdout, "test:")
	requireSameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "m.safetensors"), "resumed twice")

	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Skip("no nohup to start train with SIGHUP ignored")
	}
	r = pausedAt(t, dir, "epoch-end", []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM}, []string{nohup}, append(args, "--out", "n.safetensors")...)
	assert.Equal(t, 143, r.code, r.stderr)
	assert.Contains(t, r.stderr, "perceptron: interrupted by SIGTERM after 1 full epochs")
	assert.NotContains(t, r.stderr, "SIGHUP")
	_, err = modelfile.Load(filepath.Join(dir, "n.safetensors"))
	assert.NoError(t, err)
}
