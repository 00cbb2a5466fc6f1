// Command loadtest measures perceptron serve on loopback: rows per second
// and p50/p99 latency of one-row FP32 requests to the W2 model (784-128-10,
// random-initialised) at concurrency 1, 16 and 64, with batching (the
// defaults, --max-batch 64 --max-delay 1ms) and without (--max-batch 1);
// then hostile requests (malformed JSON, a wrong shape, a body over
// --max-body, a client that sends half a body and stalls), each of which
// must be answered or cut off, the server alive after. From the repository
// root:
//
//	go run ./benchmarks/serve -duration 3s
//
// It builds the command, serves on 127.0.0.1 only, and prints a Markdown
// report.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long each concurrency level runs")
	maxRequests := flag.Int("requests", 200000, "the most requests one level sends")
	flag.Parse()
	if err := run(*duration, *maxRequests); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, maxRequests int) error {
	dir, err := os.MkdirTemp("", "loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "perceptron")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/perceptron").CombinedOutput(); err != nil {
		return fmt.Errorf("building perceptron (run from the repository root): %v\n%s", err, out)
	}
	model := filepath.Join(dir, "w2.safetensors")
	layers, _ := engine.ParseLayers("128:relu,10:softmax")
	net, err := engine.NewNetwork(engine.Spec{Inputs: 784, Layers: layers, Loss: engine.CE, DType: engine.Float32}, engine.InitAuto, engine.NewRNG(1))
	if err != nil {
		return err
	}
	if err := modelfile.Save(model, modelfile.Model{Network: net}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var row strings.Builder
	for i := 0; i < 784; i++ {
		if i > 0 {
			row.WriteByte(',')
		}
		row.WriteString(strconv.FormatFloat(float64(float32(rng.Float64())), 'g', -1, 32))
	}
	body := []byte(`{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[` + row.String() + `]}]}`)

	fmt.Printf("| batching | concurrency | requests | rows/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, mode := range []struct {
		name string
		args []string
	}{{"on (64 rows, 1 ms)", nil}, {"off (--max-batch 1)", []string{"--max-batch", "1"}}} {
		srv, err := start(bin, append([]string{"--model", model}, mode.args...)...)
		if err != nil {
			return err
		}
		for _, c := range []int{1, 16, 64} {
			r := load(srv.url+"/v2/models/w2/infer", body, c, duration, maxRequests)
			fmt.Printf("| %s | %d | %d | %.0f | %.2f | %.2f | %d |\n", mode.name, c, r.n, float64(r.n)/r.elapsed.Seconds(),
				ms(r.latency, 0.50), ms(r.latency, 0.99), r.errors)
		}
		srv.stop()
	}

	srv, err := start(bin, "--model", model, "--max-body", "1000000", "--timeout", "1s")
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("\n| hostile request | answer | time |\n|---|---|---:|\n")
	url := srv.url + "/v2/models/w2/infer"
	for _, h := range []struct{ name, body string }{
		{"malformed JSON", `{"inputs": [`},
		{"wrong shape [1, 783]", strings.Replace(string(body), "[1,784]", "[1,783]", 1)},
		{"a body of 2 MB (over --max-body 1000000)", `{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","data":[` + strings.Repeat("0.5,", 500000) + `0]}]}`},
	} {
		began := time.Now()
		code, msg := post(url, []byte(h.body))
		fmt.Printf("| %s | %d %s | %.1f ms |\n", h.name, code, msg, ms([]time.Duration{time.Since(began)}, 0))
	}
	began := time.Now()
	answer, err := stall(srv.addr)
	if err != nil {
		return err
	}
	fmt.Printf("| half a body, then nothing | %s | %.0f ms |\n", answer, ms([]time.Duration{time.Since(began)}, 0))
	res, err := http.Get(srv.url + "/v2/health/live")
	if err != nil {
		return fmt.Errorf("the server is not alive after the hostile requests: %v", err)
	}
	res.Body.Close()
	code, _ := post(url, body)
	fmt.Printf("\nAfter them: /v2/health/live %d, a good request %d.\n", res.StatusCode, code)
	return nil
}

// server is a perceptron serve process.
type server struct {
	cmd       *exec.Cmd
	url, addr string
}

// start runs perceptron serve on a free loopback port.
func start(bin string, args ...string) (*server, error) {
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := regexp.MustCompile(`at http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &server{cmd: cmd, url: "http://" + m[1], addr: m[1]}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("perceptron serve did not start")
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	s.cmd.Wait()
}

// result is one load level's count, time, latencies and failures.
type result struct {
	n, errors int
	elapsed   time.Duration
	latency   []time.Duration
}

// load sends body from c clients for d (or until max requests).
func load(url string, body []byte, c int, d time.Duration, max int) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	var mu sync.Mutex
	var r result
	var wg sync.WaitGroup
	began := time.Now()
	stop := began.Add(d)
	for range c {
		wg.Go(func() {
			for time.Now().Before(stop) {
				mu.Lock()
				if r.n+r.errors >= max {
					mu.Unlock()
					return
				}
				mu.Unlock()
				t := time.Now()
				res, err := client.Post(url, "application/json", bytes.NewReader(body))
				ok := err == nil && res.StatusCode == http.StatusOK
				if err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				lat := time.Since(t)
				mu.Lock()
				if ok {
					r.n++
					r.latency = append(r.latency, lat)
				} else {
					r.errors++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(began)
	client.CloseIdleConnections()
	return r
}

// ms returns the q-quantile of the latencies in milliseconds.
func ms(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
}

// post sends body and returns the status and the error message, if any.
func post(url string, body []byte) (int, string) {
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		return res.StatusCode, ""
	}
	return res.StatusCode, strings.TrimSpace(string(b))
}

// stall sends half of a request's body, then waits for the server.
func stall(addr string) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v2/models/w2/infer HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n{\"inputs\":", addr)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(conn)
	status, _, _ := strings.Cut(string(b), "\r\n")
	if status == "" {
		return "connection closed, no answer", nil
	}
	body := b[bytes.Index(b, []byte("\r\n\r\n"))+4:]
	return status + " " + strings.TrimSpace(string(body)), nil
}
