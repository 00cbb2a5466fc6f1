//go:build mpi

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// mpirunSignalled runs mpirun with args in dir, sends sig to the process of
// rank rank once process 0 has printed epoch 1's row, and returns what
// mpirun printed, its exit status and how long it took to end after the
// signal. It fails past 60 s.
func mpirunSignalled(t *testing.T, dir string, rank int, sig syscall.Signal, args ...string) (result, time.Duration) {
	t.Helper()
	path, err := exec.LookPath("mpirun")
	require.NoError(t, err, "the mpi build's tests need Open MPI's mpirun: apt-get install openmpi-bin")
	cmd := exec.Command(path, append([]string{"--oversubscribe"}, args...)...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
	stdoutPipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	var stdout strings.Builder
	lines := bufio.NewScanner(stdoutPipe)
	for lines.Scan() {
		stdout.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(strings.TrimSpace(lines.Text()), "1 ") {
			break
		}
	}
	pid := rankPID(t, cmd.Process.Pid, rank)
	require.NoError(t, syscall.Kill(pid, sig))
	sent := time.Now()
	copied := make(chan struct{})
	go func() {
		for lines.Scan() {
			stdout.WriteString(lines.Text() + "\n")
		}
		close(copied)
	}()
	done := make(chan error, 1)
	go func() { <-copied; done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("mpirun did not end within 60 s of %v to process %d; stderr:\n%s", sig, rank, stderr.String())
	}
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{stdout.String(), stderr.String(), code}, time.Since(sent)
}

// rankPID returns the process id of the child of mpirun (pid) whose
// environment says it is rank rank.
func rankPID(t *testing.T, mpirun, rank int) int {
	t.Helper()
	want := fmt.Sprintf("OMPI_COMM_WORLD_RANK=%d", rank)
	procs, err := filepath.Glob("/proc/[0-9]*/stat")
	require.NoError(t, err)
	for _, stat := range procs {
		b, err := os.ReadFile(stat)
		if err != nil {
			continue
		}
		var pid, ppid int
		var state string
		if _, err := fmt.Sscanf(string(b[bytes.LastIndexByte(b, ')')+2:]), "%s %d", &state, &ppid); err != nil || ppid != mpirun {
			continue
		}
		fmt.Sscanf(string(b), "%d", &pid)
		env, err := os.ReadFile(filepath.Join(filepath.Dir(stat), "environ"))
		if err == nil && slices.Contains(strings.Split(string(env), "\x00"), want) {
			return pid
		}
	}
	t.Fatalf("no child of mpirun %d has rank %d", mpirun, rank)
	return 0
}

// TestMPISignalToAnyProcess signals one process of a data-parallel fit on
// 2 processes during its epochs: every process ends with the signal's
// status (mpirun too), process 0 alone says once which process got which
// signal, how far the fit came and where the checkpoint is, and that
// checkpoint resumes on 2 processes to the model of the fit that never
// stopped, bit for bit, and (once) on 1 and 3 to within float64's rounding.
// Process 1 killed (SIGKILL) ends the job within seconds, non-zero, mpirun
// naming the process, and perceptron saying nothing that contradicts it.
func TestMPISignalToAnyProcess(t *testing.T) {
	bin := mpiBinary(t)
	dir := t.TempDir()
	args := []string{"-np", "2", bin, "train", "--data", "synthetic:moons", "--samples", "40000", "--epochs", "8", "--batch", "64",
		"--optimizer", "adam", "--dtype", "float64", "--history", "", "--plot", "", "--checkpoint", "c.ckpt"}
	r := mpirun(t, dir, append(args, "--out", "whole.safetensors")...)
	require.Equal(t, 0, r.code, r.stderr)
	for i, c := range []struct {
		rank int
		sig  syscall.Signal
	}{{1, syscall.SIGTERM}, {0, syscall.SIGINT}, {1, syscall.SIGHUP}} {
		name := fmt.Sprintf("%s to process %d", signalName(c.sig), c.rank)
		os.Remove(filepath.Join(dir, "m.safetensors"))
		r, took := mpirunSignalled(t, dir, c.rank, c.sig, append(args, "--out", "m.safetensors")...)
		assert.Equal(t, 128+int(c.sig), r.code, "%s: mpirun's status; stderr:\n%s", name, r.stderr)
		assert.Less(t, took, 10*time.Second, name)
		assert.Equal(t, 1, strings.Count(r.stderr, "perceptron: interrupted"), "%s: one message; stderr:\n%s", name, r.stderr)
		assert.Regexp(t, fmt.Sprintf(`perceptron: interrupted by %s to process %d of 2 after \d+ full epochs( and \d+ examples of epoch \d+)?; `+
			`the model reached so far is saved to m\.safetensors; checkpoint written to c\.ckpt: train --resume c\.ckpt goes on\n`, signalName(c.sig), c.rank), r.stderr, name)
		assert.NotContains(t, r.stderr, "perceptron: error", name)
		assert.NotContains(t, r.stdout, "test:", "%s: no test result", name)
		nps := []int{2, 1, 3}
		if i > 0 {
			nps = nps[:1] // resuming on other numbers of processes, once
		}
		for _, np := range nps {
			r := mpirun(t, dir, "-np", fmt.Sprint(np), bin, "train", "--resume", "c.ckpt", "--checkpoint", fmt.Sprintf("c%d.ckpt", np),
				"--out", fmt.Sprintf("resumed%d.safetensors", np), "--history", "", "--plot", "")
			require.Equal(t, 0, r.code, "%s: resume on %d: %s", name, np, r.stderr)
		}
		requireSameFile(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed2.safetensors"), name)
		if i == 0 {
			requireSameModels(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed1.safetensors"), 1e-12)
			requireSameModels(t, filepath.Join(dir, "whole.safetensors"), filepath.Join(dir, "resumed3.safetensors"), 1e-12)
		}
	}

	r, took := mpirunSignalled(t, dir, 1, syscall.SIGKILL, append(args, "--out", "k.safetensors")...)
	assert.NotEqual(t, 0, r.code, r.stderr)
	assert.Less(t, took, 10*time.Second)
	assert.Contains(t, r.stderr, "process rank 1", "mpirun names the process killed")
	assert.NotContains(t, r.stderr, "perceptron: interrupted", "perceptron says nothing that contradicts mpirun")
	_, err := modelfile.LoadCheckpoint(filepath.Join(dir, "c.ckpt"))
	assert.NoError(t, err, "the last checkpoint is whole")
}
