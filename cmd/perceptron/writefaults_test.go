package main

import (
	"bytes"
	"image/png"
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

	"github.com/perceptron-go/perceptron/engine/fsys"
	"github.com/perceptron-go/perceptron/engine/fsys/fsystest"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// faultArgs are the arguments of a small fit writing every output of
// train into dir: the model, the history, the plot, a checkpoint every
// epoch and a TensorBoard log.
func faultArgs(dir string) []string {
	return []string{"train", "--data", "synthetic:moons", "--samples", "200", "--epochs", "3", "--batch", "16", "--quiet",
		"--out", filepath.Join(dir, "m.safetensors"), "--history", filepath.Join(dir, "h.csv"), "--plot", filepath.Join(dir, "p.png"),
		"--checkpoint", filepath.Join(dir, "ck.safetensors"), "--checkpoint-every", "1", "--tensorboard", filepath.Join(dir, "runs")}
}

// assertWhole checks that each output in dir holds its old bytes (old
// NAME) or a whole file of its kind, and that no temporary file is left.
func assertWhole(t *testing.T, dir string, msg any) {
	t.Helper()
	for name, whole := range map[string]func(path string) error{
		"m.safetensors":  func(path string) error { _, err := modelfile.Load(path); return err },
		"ck.safetensors": func(path string) error { _, err := modelfile.LoadCheckpoint(path); return err },
		"h.csv": func(path string) error {
			data, err := os.ReadFile(path)
			if err == nil && (!strings.HasPrefix(string(data), "epoch,") || !strings.HasSuffix(string(data), "\n")) {
				t.Errorf("%v: h.csv is not a whole history:\n%s", msg, data)
			}
			return err
		},
		"p.png": func(path string) error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = png.Decode(f)
			return err
		},
	} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		require.NoError(t, err, "%v: %s", msg, name)
		if string(data) != "old "+name {
			assert.NoError(t, whole(path), "%v: %s is its old bytes or a whole file", msg, name)
		}
	}
	for _, pattern := range []string{".*.tmp", "runs/.*.tmp"} {
		tmp, _ := filepath.Glob(filepath.Join(dir, pattern))
		assert.Empty(t, tmp, "%v: no temporary file is left", msg)
	}
}

// TestTrainUnderEveryWriteFault runs train in this process with each call
// of each file-system operation failing in turn (fsystest.Faulty: every
// mkdir, open, write, sync, close, rename and folder sync of the checks
// before the fit, of the checkpoints, of the TensorBoard log and of the
// model, history and plot), with ENOSPC, EDQUOT, EROFS, EIO, EPERM, EACCES
// and ENOENT in turn, once or for good. Each run ends with status 1 and
// one error naming the file the fault hit (a file of dir, for a fault
// that persists: the first call failed may be harmless); every output holds its old
// bytes or a whole file, the file the fault hit its old bytes; no
// temporary file is left. A fault in the TensorBoard log during the fit
// leaves the model written. The one fault that is no error is a failed
// close of a temporary file that the checks before the fit remove anyway.
func TestTrainUnderEveryWriteFault(t *testing.T) {
	errnos := []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, syscall.EPERM, syscall.EACCES, syscall.ENOENT}
	points := 0
	tmpName := regexp.MustCompile(`^\.(.*)\.\d+\.tmp$`)
	for _, op := range fsystest.Ops {
		for n := 1; ; n++ {
			dir := t.TempDir()
			for _, name := range []string{"m.safetensors", "h.csv", "p.png", "ck.safetensors"} {
				write(t, dir, name, "old "+name)
			}
			f := &fsystest.Faulty{Op: op, N: n, Err: errnos[points%len(errnos)], Persist: n%2 == 0}
			var stdout, stderr bytes.Buffer
			restore := fsys.Replace(f)
			code := run(faultArgs(dir), &stdout, &stderr)
			restore()
			if f.Failed() == "" {
				require.Equal(t, 0, code, "%v: %s", f, stderr.String())
				break
			}
			points++
			assertWhole(t, dir, f)
			if code == 0 {
				assert.Equal(t, fsystest.Close, op, "%v: only a discarded file's close may fail unnoticed", f)
				assert.Contains(t, stdout.String(), "test:", "%v", f)
				continue
			}
			require.Equal(t, 1, code, "%v: %s", f, stderr.String())
			errors := regexp.MustCompile(`(?m)^perceptron: error: .*$`).FindAllString(stderr.String(), -1)
			require.Len(t, errors, 1, "%v: one error\n%s", f, stderr.String())
			hit := f.Failed() // the file the fault hit: a temporary file's is its path's
			if m := tmpName.FindStringSubmatch(filepath.Base(hit)); m != nil {
				hit = filepath.Join(filepath.Dir(hit), m[1])
			}
			if f.Persist { // the first call failed may be harmless, and a later one end the run
				assert.Regexp(t, `cannot write `+regexp.QuoteMeta(dir)+`/\S+: `, errors[0], "%v", f)
				continue
			}
			if op == fsystest.SyncDir {
				assert.Regexp(t, `cannot write `+regexp.QuoteMeta(dir)+`/\S+: .*syncing its folder after the rename: \S+ is in place, but a power cut could still undo it`, errors[0], "%v", f)
				continue
			}
			if op == fsystest.Mkdir {
				hit = filepath.Join(hit, "events.out.tfevents")
			}
			assert.Contains(t, errors[0], "cannot write "+hit+": ", "%v: the error names the file", f)
			if data, err := os.ReadFile(hit); err == nil && strings.Contains("m.safetensors h.csv p.png", filepath.Base(hit)) {
				assert.Equal(t, "old "+filepath.Base(hit), string(data), "%v: the file the fault hit is byte-identical", f)
			}
			if strings.Contains(hit, "tfevents") && strings.Contains(stderr.String(), "the fit goes on") {
				_, err := modelfile.Load(filepath.Join(dir, "m.safetensors"))
				assert.NoError(t, err, "%v: the model is written after the log failed", f)
			}
		}
	}
	assert.Greater(t, points, 50, "fault points reached")
	t.Logf("%d fault points", points)
}

// TestTwoFitsWritingOnePath runs two fits of the built binary at once, with
// different seeds, writing the same --out and --checkpoint (a checkpoint
// every epoch): each file left is whole and is one of the two fits',
// never a mix, and no temporary file is left. Each fit's files are then
// written alone to tell which is which.
func TestTwoFitsWritingOnePath(t *testing.T) {
	dir := t.TempDir()
	args := func(seed, out, ck string) []string {
		return []string{"train", "--data", "synthetic:moons", "--samples", "2000", "--epochs", "60", "--batch", "8", "--quiet",
			"--seed", seed, "--out", out, "--checkpoint", ck, "--checkpoint-every", "1", "--history", "", "--plot", ""}
	}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, seed := range []string{"1", "2"} {
		cmd := exec.Command(binary, args(seed, "m.safetensors", "ck.safetensors")...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for i, cmd := range cmds {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "fit %d: %s", i+1, outs[i])
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("fit %d did not end within 60 s", i+1)
		}
	}
	for _, seed := range []string{"1", "2"} {
		r := perceptron(t, dir, args(seed, "m"+seed+".safetensors", "ck"+seed+".safetensors")...)
		require.Equal(t, 0, r.code, r.stderr)
	}
	layers := func(name string) any { // the parameters of a model or checkpoint file
		path := filepath.Join(dir, name)
		if strings.HasPrefix(name, "ck") {
			ck, err := modelfile.LoadCheckpoint(path)
			require.NoError(t, err, "%s loads", name)
			assert.Equal(t, 60, ck.Fit.Epoch, "%s is the last epoch's", name)
			return ck.Fit.Network.Layers
		}
		m, err := modelfile.Load(path)
		require.NoError(t, err, "%s loads", name)
		return m.Network.Layers
	}
	for _, name := range []string{"m", "ck"} {
		shared, one, two := layers(name+".safetensors"), layers(name+"1.safetensors"), layers(name+"2.safetensors")
		require.NotEqual(t, one, two, "the two fits differ")
		assert.True(t, assert.ObjectsAreEqual(shared, one) || assert.ObjectsAreEqual(shared, two), "%s.safetensors is one fit's", name)
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	assert.Empty(t, tmp, "no temporary file is left")
}

// TestFoldersFailingDuringTheFit removes the checkpoint's folder, or
// remounts its tmpfs read-only, while a fit writes a checkpoint every
// epoch, as root: train ends with status 1 and one error naming the
// checkpoint and the cause, the checkpoint on the read-only mount is a
// whole earlier one, and no temporary file is left.
func TestFoldersFailingDuringTheFit(t *testing.T) {
	long := []string{"--data", "synthetic:spirals", "--samples", "20000", "--epochs", "100000", "--lr", "0.001", "--quiet",
		"--history", "", "--plot", "", "--checkpoint-every", "1"}
	t.Run("removed", func(t *testing.T) {
		dir := t.TempDir()
		ckDir := filepath.Join(dir, "ck")
		require.NoError(t, os.Mkdir(ckDir, 0o755))
		ck := filepath.Join(ckDir, "ck.safetensors")
		r := duringRun(t, dir, func(*exec.Cmd) { require.NoError(t, os.RemoveAll(ckDir)) }, append(long, "--out", "m.safetensors", "--checkpoint", ck)...)
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Equal(t, "perceptron: error: cannot write "+ck+": the folder "+ckDir+" does not exist: it was removed, or never made\n", r.stderr)
	})
	t.Run("read-only", func(t *testing.T) {
		dir := fsystest.Tmpfs(t, 16<<20, 64)
		ck := filepath.Join(dir, "ck.safetensors")
		r := duringRun(t, t.TempDir(), func(*exec.Cmd) { fsystest.Remount(t, dir, "ro") }, append(long, "--out", filepath.Join(t.TempDir(), "m.safetensors"), "--checkpoint", ck)...)
		assert.Equal(t, 1, r.code, r.stderr)
		assert.Equal(t, "perceptron: error: cannot write "+ck+": "+dir+" is on a read-only file system\n", r.stderr)
		c, err := modelfile.LoadCheckpoint(ck)
		require.NoError(t, err, "the last checkpoint written is whole")
		assert.GreaterOrEqual(t, c.Fit.Epoch, 1)
		tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
		assert.Empty(t, tmp, "no temporary file is left")
	})
}
