package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// server is a running perceptron serve: its URL and the lines it prints.
type server struct {
	cmd   *exec.Cmd
	url   string
	lines chan string
}

// serving starts perceptron serve in dir on a free loopback port and waits
// until it listens; the test's end kills it if it still runs.
func serving(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s := &server{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	line := s.await(t, "perceptron: serving ")
	at := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)/v2/models/`).FindStringSubmatch(line)
	require.NotNil(t, at, line)
	s.url = at[1]
	return s
}

// await returns the next line the server prints that starts with prefix.
func (s *server) await(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			require.True(t, ok, "the server ended before printing %q", prefix)
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-deadline:
			t.Fatalf("the server printed no line %q within 30 s", prefix)
		}
	}
}

// infer posts a request to the server's model m and returns the outputs.
func (s *server) infer(t *testing.T, m, body string) map[string]json.RawMessage {
	t.Helper()
	res, err := http.Post(s.url+"/v2/models/"+m+"/infer", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(b))
	var r struct {
		Outputs []struct {
			Name string
			Data json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(b, &r))
	out := map[string]json.RawMessage{}
	for _, o := range r.Outputs {
		out[o.Name] = o.Data
	}
	return out
}

// predicted reads perceptron predict's output lines as numbers.
func predicted(t *testing.T, stdout string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.FieldsFunc(stdout, func(r rune) bool { return r == ',' || r == '\n' }) {
		v, err := strconv.ParseFloat(f, 64)
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestServeAnswersAsPredict(t *testing.T) {
	dir := t.TempDir()
	r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "300", "--layers", "8:relu,2:softmax",
		"--epochs", "3", "--scale", "standard", "--out", "moons.safetensors", "--history", "", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	write(t, dir, "rows.csv", "x,y\n-1,0.5\n2,-0.3\n0.5,0.25\n")
	r = perceptron(t, dir, "predict", "--model", "moons.safetensors", "--input", "rows.csv")
	require.Equal(t, 0, r.code, r.stderr)
	want := predicted(t, r.stdout)

	var rows []string
	for i := 0; i < 12; i++ {
		rows = append(rows, fmt.Sprintf("%d,%s,%s\n", 20+i*3, []string{"basic", "pro", "free"}[i%3], []string{"no", "yes"}[(i/2)%2]))
	}
	write(t, dir, "plans.csv", "age,plan,churned\n"+strings.Repeat(strings.Join(rows, ""), 5))
	r = perceptron(t, dir, "train", "--data", "csv:plans.csv", "--layers", "4:relu,2:softmax", "--epochs", "2",
		"--out", "plans.safetensors", "--history", "", "--plot", "", "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	write(t, dir, "requests.csv", "plan,age\npro,30\nbasic,\ngold,61\n")
	r = perceptron(t, dir, "predict", "--model", "plans.safetensors", "--input", "requests.csv")
	require.Equal(t, 0, r.code, r.stderr)
	wantTable := predicted(t, r.stdout)
	r = perceptron(t, dir, "predict", "--model", "plans.safetensors", "--input", "requests.csv", "--class")
	require.Equal(t, 0, r.code, r.stderr)
	wantClasses := strings.Fields(r.stdout)

	s := serving(t, dir, "--model", "moons.safetensors")
	out := s.infer(t, "moons", `{"inputs":[{"name":"input","shape":[3,2],"datatype":"FP64","data":[-1,0.5,2,-0.3,0.5,0.25]}]}`)
	var got []float64
	require.NoError(t, json.Unmarshal(out["output"], &got))
	assert.Equal(t, want, got, "the server's FP64 outputs are perceptron predict's")

	s = serving(t, dir, "--model", "plans.safetensors", "--name", "churn", "--max-batch", "1")
	out = s.infer(t, "churn", `{"inputs":[{"name":"age","shape":[3],"datatype":"BYTES","data":["30","",61]},
		{"name":"plan","shape":[3],"datatype":"BYTES","data":["pro","basic","gold"]}]}`)
	got = nil
	require.NoError(t, json.Unmarshal(out["output"], &got))
	assert.Equal(t, wantTable, got, "a tabular model's rows by column, as perceptron predict reads a CSV")
	var classes []string
	require.NoError(t, json.Unmarshal(out["class"], &classes))
	assert.Equal(t, wantClasses, classes)

	r = perceptron(t, dir, "serve", "--model", "plans.safetensors", "--max-batch", "0")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "perceptron: error: serve: max batch 0: expected at least 1 row\n", r.stderr)
	r = perceptron(t, dir, "serve")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "perceptron: error: serve: needs --model\nperceptron: hint: perceptron serve --model model.safetensors")
}

func TestServeReloadsOnSIGHUPAndDrainsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	train := func(seed, out string) {
		r := perceptron(t, dir, "train", "--data", "synthetic:moons", "--samples", "200", "--layers", "4:relu,2:softmax",
			"--epochs", "1", "--seed", seed, "--out", out, "--history", "", "--plot", "", "--quiet")
		require.Equal(t, 0, r.code, r.stderr)
	}
	train("1", "m.safetensors")
	train("2", "other.safetensors")
	const req = `{"inputs":[{"name":"input","shape":[1,2],"datatype":"FP64","data":[0.3,0.1]}]}`
	s := serving(t, dir, "--model", "m.safetensors", "--max-delay", "700ms")
	first := string(s.infer(t, "m", req)["output"])

	other, err := os.ReadFile(dir + "/other.safetensors")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dir+"/m.safetensors", other, 0o644))
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	assert.Equal(t, "perceptron: SIGHUP: reloaded m.safetensors", s.await(t, "perceptron: SIGHUP"))
	second := string(s.infer(t, "m", req)["output"])
	assert.NotEqual(t, first, second, "the reloaded model answers")

	require.NoError(t, os.WriteFile(dir+"/m.safetensors", []byte("not a model"), 0o644))
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGHUP))
	line := s.await(t, "perceptron: SIGHUP")
	assert.Contains(t, line, "m.safetensors")
	assert.True(t, strings.HasSuffix(line, "; still serving the model loaded before"), line)
	assert.Equal(t, second, string(s.infer(t, "m", req)["output"]), "a bad file keeps the model")

	// A request waits --max-delay in its batch; SIGTERM comes meanwhile.
	answered := make(chan string, 1)
	go func() {
		res, err := http.Post(s.url+"/v2/models/m/infer", "application/json", strings.NewReader(req))
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		answered <- fmt.Sprint(res.StatusCode, " ", string(b))
	}()
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, "perceptron: SIGTERM: finishing the requests in flight", s.await(t, "perceptron: SIGTERM"))
	assert.Contains(t, <-answered, "200 {", "the request in flight is answered")
	assert.Equal(t, "perceptron: stopped", s.await(t, "perceptron: stopped"))
	require.NoError(t, s.cmd.Wait(), "a drained server exits with status 0")
}
