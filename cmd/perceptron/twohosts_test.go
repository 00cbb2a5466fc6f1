//go:build mpi

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// twoHosts is the script that makes two hosts of network namespaces and
// runs mpirun across them (.ci/two-hosts).
var twoHosts, _ = filepath.Abs("../../.ci/two-hosts")

// setUpTwoHosts makes the two hosts, or skips the test with the reason it
// cannot, and removes them when the test ends.
func setUpTwoHosts(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("two hosts need root (ip netns)")
	}
	for _, tool := range []string{"ip", "mpirun"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("two hosts need %s (apt-get install iproute2 openmpi-bin)", tool)
		}
	}
	if out, err := exec.Command(twoHosts, "up").CombinedOutput(); err != nil {
		t.Skipf("%s up: %v: %s", twoHosts, err, out)
	}
	t.Cleanup(func() { _ = exec.Command(twoHosts, "down").Run() })
}

// netns runs the command args in namespace perceptron-hN.
func netns(n int, args ...string) error {
	out, err := exec.Command("ip", slices.Concat([]string{"netns", "exec", fmt.Sprintf("perceptron-h%d", n)}, args)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// twoHostArgs is a fit of 1,000 moons in batches of 64 in float64.
var twoHostArgs = slices.Concat(mpiMoons, []string{"--optimizer", "adam", "--dtype", "float64", "--history", ""})

// TestMPITwoHosts trains on two hosts (network namespaces joined by a veth
// pair, Open MPI over TCP between them): the model is one process's; a
// link cut in the middle of a fit ends every process within the
// collective timeout and its answer's grace (3 s each), process 0 with one
// error naming process 1, which did not answer (process 1 names process 0
// if its message gets out before mpirun ends it), and the checkpoint written
// before the cut resumes across the hosts to the model of the fit that
// never stopped; on a link losing 5% of its packets and delaying the others
// (.ci/two-hosts lossy: tc netem where the kernel has it, otherwise
// nftables and a 1 Mbit/s tbf) the model is the same too.
func TestMPITwoHosts(t *testing.T) {
	setUpTwoHosts(t)
	bin := mpiBinary(t)
	dir := t.TempDir()
	across := func(t *testing.T, args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, twoHosts, slices.Concat([]string{"mpirun", "-np", "2", bin}, args)...)
		cmd.Dir = dir
		return runCommand(t, cmd)
	}
	oneProcess := func(t *testing.T, epochs int) string {
		out := filepath.Join(dir, fmt.Sprintf("one-%d.safetensors", epochs))
		r := runCommand(t, exec.Command(bin, slices.Concat(twoHostArgs, []string{"--epochs", fmt.Sprint(epochs), "--out", out})...))
		require.Equal(t, 0, r.code, "%s", r.stderr)
		return out
	}

	t.Run("matches one process", func(t *testing.T) {
		r := across(t, slices.Concat(twoHostArgs, []string{"--out", "two.safetensors"})...)
		require.Equal(t, 0, r.code, "%s", r.stderr)
		assert.Contains(t, r.stderr, "cpu backend, 2 processes (MPI)")
		requireSameModels(t, oneProcess(t, 3), filepath.Join(dir, "two.safetensors"), 1e-12)
	})

	t.Run("link cut", func(t *testing.T) {
		ckpt := filepath.Join(dir, "cut.ckpt")
		cmd := exec.Command(twoHosts, slices.Concat([]string{"mpirun", "-np", "2", bin}, twoHostArgs,
			[]string{"--epochs", "100000", "--checkpoint", ckpt, "--collective-timeout", "3s", "--out", "", "--quiet"})...)
		var stderr bytes.Buffer
		cmd.Dir, cmd.Stderr = dir, &stderr
		require.NoError(t, cmd.Start())
		ended := make(chan error, 1)
		go func() { ended <- cmd.Wait() }()
		defer func() { // mpirun waits for the cut-off host to abort it
			_ = netns(0, "ip", "link", "set", "perceptron0", "up")
			select {
			case <-ended:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
			}
		}()
		require.Eventually(t, func() bool { _, err := os.Stat(ckpt); return err == nil }, time.Minute, 10*time.Millisecond, "no checkpoint: %s", &stderr)
		time.Sleep(300 * time.Millisecond)
		require.NoError(t, netns(0, "ip", "link", "set", "perceptron0", "down"))
		cut := time.Now()
		gone := func() bool { return exec.Command("pgrep", "-f", "^"+bin+" train").Run() != nil }
		require.Eventually(t, gone, 20*time.Second, 50*time.Millisecond, "the processes still run after the cut: %s", &stderr)
		took := time.Since(cut)
		t.Logf("the processes ended %v after the cut", took)
		assert.Less(t, took, 9*time.Second, "3 s of timeout, 3 s of grace, and slack")
		assert.GreaterOrEqual(t, took, 3*time.Second)
		// The processes are gone; mpirun, which cannot reach the other
		// host's daemon, ends once the link is back.
		require.NoError(t, netns(0, "ip", "link", "set", "perceptron0", "up"))
		select {
		case err := <-ended:
			t.Logf("mpirun ended %v after the cut", time.Since(cut))
			assert.Error(t, err, "mpirun's status is not 0")
		case <-time.After(30 * time.Second):
			t.Fatalf("mpirun did not end once the link was back: %s", &stderr)
		}
		// Each process that gets to it reports the one it lost.
		out := stderr.String()
		assert.LessOrEqual(t, strings.Count(out, "perceptron: error:"), 2, "%s", out)
		assert.LessOrEqual(t, strings.Count(out, "perceptron: error: process 1 of 2"), 1, "%s", out)
		assert.Regexp(t, `perceptron: error: process 0 of 2 waited 3s in the (all-reduce of \d+ float64 values?|broadcast of \d+ bytes? from process \d) for the others: `+
			`process 1 did not answer within 3s: unreachable over the network, stopped, or busy elsewhere\n`+
			`perceptron: hint: .* give a longer --collective-timeout`, out)

		ck, err := modelfile.LoadCheckpoint(ckpt)
		require.NoError(t, err)
		epochs := ck.Fit.Epoch + 2
		t.Logf("resuming after epoch %d", ck.Fit.Epoch)
		r := across(t, "train", "--resume", ckpt, "--epochs", fmt.Sprint(epochs), "--out", "resumed.safetensors", "--history", "", "--plot", "")
		require.Equal(t, 0, r.code, "%s", r.stderr)
		assert.Contains(t, r.stderr, fmt.Sprintf("resuming %s after epoch %d", ckpt, ck.Fit.Epoch))
		requireSameModels(t, oneProcess(t, epochs), filepath.Join(dir, "resumed.safetensors"), 1e-12)
	})

	t.Run("loss and delay", func(t *testing.T) {
		if out, err := exec.Command(twoHosts, "lossy").CombinedOutput(); err != nil {
			t.Skipf("a lossy link needs tc netem or nftables (apt-get install nftables): %v: %s", err, out)
		}
		r := across(t, slices.Concat(twoHostArgs, []string{"--epochs", "1", "--out", "lossy.safetensors"})...)
		require.Equal(t, 0, r.code, "%s", r.stderr)
		requireSameModels(t, oneProcess(t, 1), filepath.Join(dir, "lossy.safetensors"), 1e-12)
		assert.Positive(t, lostPackets(t), "the link lost no packet")
	})
}

// lostPackets returns how many packets the lossy link (.ci/two-hosts
// lossy) dropped, both ways: netem's count, or the nftables rule's.
func lostPackets(t *testing.T) int {
	t.Helper()
	lost := 0
	for n := range 2 {
		for _, c := range [][]string{{"tc", "-s", "qdisc", "show", "dev", fmt.Sprintf("perceptron%d", n)}, {"nft", "list", "table", "inet", "perceptron"}} {
			out, _ := exec.Command("ip", slices.Concat([]string{"netns", "exec", fmt.Sprintf("perceptron-h%d", n)}, c)...).Output()
			for _, m := range regexp.MustCompile(`(?:netem.*\n.*dropped|counter packets) (\d+)`).FindAllStringSubmatch(string(out), -1) {
				k, err := strconv.Atoi(m[1])
				require.NoError(t, err)
				lost += k
			}
		}
	}
	t.Logf("the link lost %d packets", lost)
	return lost
}
