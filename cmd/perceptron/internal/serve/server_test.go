package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stub is a Predictor of k inputs and 2 outputs: a row's sum and its
// negation. It sleeps delay per call, and panics on a row starting with -13.
type stub struct {
	k          int
	classes    []string
	delay      time.Duration
	panicNames bool
}

func (p *stub) Inputs() int  { return p.k }
func (p *stub) Outputs() int { return 2 }

func (p *stub) ClassNames() []string {
	if p.panicNames {
		panic("stub: ClassNames")
	}
	return p.classes
}

func (p *stub) PredictInto(dst, x []float64) error {
	time.Sleep(p.delay)
	for i := 0; i*p.k < len(x); i++ {
		row := x[i*p.k : (i+1)*p.k]
		if row[0] == -13 {
			panic("stub: row of -13")
		}
		var s float64
		for _, v := range row {
			s += v
		}
		dst[2*i], dst[2*i+1] = s, -s
	}
	return nil
}

func (p *stub) PredictInto32(dst, x []float32) error {
	x64, d64 := make([]float64, len(x)), make([]float64, len(dst))
	for i, v := range x {
		x64[i] = float64(v)
	}
	err := p.PredictInto(d64, x64)
	for i, v := range d64 {
		dst[i] = float32(v)
	}
	return err
}

func (p *stub) PredictRow(dst []float64, row map[string]string) error {
	return fmt.Errorf("stub: no rows")
}

// testConfig is a config for tests, with a 2 s timeout.
func testConfig() Config {
	return Config{Name: "m", MaxBatch: 64, MaxDelay: 0, Queue: 64, MaxBody: 1 << 20, Timeout: 2 * time.Second, Log: io.Discard}
}

// start serves m on a loopback port until the test ends, and returns its
// base URL.
func start(t *testing.T, m Model, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(m, cfg)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go s.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, "http://" + l.Addr().String()
}

// answer is a response's status and body.
type answer struct {
	code int
	body string
}

func do(t *testing.T, method, url, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if res.StatusCode != http.StatusOK || strings.HasPrefix(url, "/v2") {
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	}
	return answer{res.StatusCode, string(b)}
}

// errorOf returns a JSON error body's message.
func errorOf(t *testing.T, a answer) string {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal([]byte(a.body), &e), a.body)
	require.NotEmpty(t, e.Error, a.body)
	return e.Error
}

// response is an inference response as a client reads it.
type response struct {
	ModelName string `json:"model_name"`
	ID        string
	Outputs   []struct {
		Name, Datatype string
		Shape          []int
		Data           json.RawMessage
	}
}

func infer(t *testing.T, url, body string) response {
	t.Helper()
	a := do(t, "POST", url+"/v2/models/m/infer", body)
	require.Equal(t, http.StatusOK, a.code, a.body)
	var r response
	require.NoError(t, json.Unmarshal([]byte(a.body), &r))
	return r
}

// metric returns the value of a sample of the server's /metrics.
func metric(t *testing.T, url, sample string) float64 {
	t.Helper()
	a := do(t, "GET", url+"/metrics", "")
	require.Equal(t, http.StatusOK, a.code)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(a.body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

func TestEndpoints(t *testing.T) {
	_, url := start(t, Model{Predictor: &stub{k: 3, classes: []string{"no", "yes"}}, Datatype: "FP32"}, testConfig())
	for _, c := range []struct{ path, want string }{
		{"/v2/health/live", `{"live":true}`},
		{"/v2/health/ready", `{"ready":true}`},
		{"/v2", `{"extensions":[],"name":"perceptron","version":"2"}`},
		{"/v2/models/m/ready", `{"name":"m","ready":true}`},
		{"/v2/models/m", `{"name":"m","versions":[],"platform":"perceptron","inputs":[{"name":"input","datatype":"FP32","shape":[-1,3]}],` +
			`"outputs":[{"name":"output","datatype":"FP32","shape":[-1,2]},{"name":"class","datatype":"BYTES","shape":[-1]}]}`},
	} {
		a := do(t, "GET", url+c.path, "")
		assert.Equal(t, http.StatusOK, a.code, c.path)
		assert.JSONEq(t, c.want, a.body, c.path)
	}

	r := infer(t, url, `{"id":"a1","inputs":[{"name":"input","shape":[2,3],"datatype":"FP64","data":[1,2,3.5,-1,0,0.25]}]}`)
	assert.Equal(t, "m", r.ModelName)
	assert.Equal(t, "a1", r.ID)
	require.Len(t, r.Outputs, 2)
	assert.Equal(t, "FP64", r.Outputs[0].Datatype)
	assert.Equal(t, []int{2, 2}, r.Outputs[0].Shape)
	assert.JSONEq(t, `[6.5,-6.5,-0.75,0.75]`, string(r.Outputs[0].Data))
	assert.Equal(t, "class", r.Outputs[1].Name)
	assert.Equal(t, []int{2}, r.Outputs[1].Shape)
	assert.JSONEq(t, `["no","yes"]`, string(r.Outputs[1].Data), "the larger output of each row")

	r = infer(t, url, `{"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[[0.1,0.2,0.3]]}],"outputs":[{"name":"output"}]}`)
	require.Len(t, r.Outputs, 1, "only the output asked for")
	assert.Equal(t, "FP32", r.Outputs[0].Datatype)
	assert.JSONEq(t, `[0.6,-0.6]`, string(r.Outputs[0].Data), "float32 sums, written as float32")

	r = infer(t, url, `{"inputs":[{"name":"input","shape":[0,3],"datatype":"FP64","data":[]}]}`)
	assert.Equal(t, []int{0, 2}, r.Outputs[0].Shape, "no rows, no outputs")

	a := do(t, "GET", url+"/v2/models/other", "")
	assert.Equal(t, http.StatusNotFound, a.code)
	assert.Equal(t, `unknown model "other": this server serves "m"`, errorOf(t, a))
	a = do(t, "POST", url+"/v2/models/other/infer", `{}`)
	assert.Equal(t, http.StatusNotFound, a.code)
	a = do(t, "GET", url+"/v1/models", "")
	assert.Equal(t, http.StatusNotFound, a.code)
	assert.Contains(t, errorOf(t, a), "no endpoint /v1/models: the endpoints are /v2")
	a = do(t, "GET", url+"/v2/models/m/infer", "")
	assert.Equal(t, http.StatusMethodNotAllowed, a.code)
	assert.Equal(t, "GET /v2/models/m/infer: method not allowed, expected POST", errorOf(t, a))

	assert.Equal(t, 3.0, metric(t, url, `perceptron_serve_requests_total{code="200",endpoint="infer"}`))
	assert.Equal(t, 2.0, metric(t, url, `perceptron_serve_requests_total{code="404",endpoint="metadata"}`)+
		metric(t, url, `perceptron_serve_requests_total{code="404",endpoint="infer"}`))
	assert.Equal(t, 5.0, metric(t, url, `perceptron_serve_request_duration_seconds_count{endpoint="infer"}`), "the 405 too")
	assert.Equal(t, 0.0, metric(t, url, `perceptron_serve_queue_length`))
}

func TestBadRequests(t *testing.T) {
	_, url := start(t, Model{Predictor: &stub{k: 2}, Datatype: "FP64"}, testConfig())
	row := func(shape, dtype, data string) string {
		return `{"inputs":[{"name":"input","shape":` + shape + `,"datatype":"` + dtype + `","data":` + data + `}]}`
	}
	for i, c := range []struct{ body, want string }{
		{``, `the request body is empty`},
		{`{"inputs": [`, `malformed JSON: the body ends before`},
		{`{"inputs": [}`, `malformed JSON at byte 13: invalid character '}'`},
		{`{"inputs": []} {}`, `malformed JSON at byte 16: more data after the request's object`},
		{`{"input": []}`, `malformed request: unknown field "input"`},
		{`{"inputs": []}`, `the request has no "inputs"`},
		{`{"inputs": [{"name": "input", "shape": "2"}]}`, `field "inputs.shape" at byte 42: expected []int, found a JSON string`},
		{`[1, 2]`, `expected serve.inferRequest, found a JSON array`},
		{row(`[1,2]`, "INT64", `[1,2]`), `input "input" has datatype "INT64", expected FP32 or FP64`},
		{row(`[1,3]`, "FP64", `[1,2,3]`), `input "input" has shape [1 3], expected [n, 2]`},
		{row(`[2]`, "FP64", `[1,2]`), `input "input" has shape [2], expected [n, 2]`},
		{row(`[-1,2]`, "FP64", `[1,2]`), `input "input" has shape [-1 2], expected [n, 2]`},
		{row(`[2,2]`, "FP64", `[1,2,3]`), `input "input" has 3 values, but its shape [2 2] needs 4`},
		{row(`[2,2]`, "FP32", `[[1,2],[3]]`), `input "input": row 1 has 1 values, expected 2`},
		{row(`[3,2]`, "FP32", `[[1,2],[3,4]]`), `input "input" has 2 rows, but its shape [3 2] says 3`},
		{row(`[1,2]`, "FP64", `[1,"2"]`), `input "input" (FP64): its data holds a JSON string where a number belongs`},
		{row(`[1,2]`, "FP64", `[1,null]`), `input "input": its data holds null`},
		{row(`[1,2]`, "FP64", `[1,1e999]`), `input "input" (FP64): the number 1e999 is out of the range of FP64`},
		{row(`[1,2]`, "FP32", `[1,1e39]`), `input "input" (FP32): the number 1e39 is out of the range of FP32`},
		{`{"inputs":[{"name":"input","shape":[1,2],"datatype":"FP64"}]}`, `input "input" has no "data"`},
		{`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}`, `the model takes one input, "input", of shape [n, 2]; the request has "x"`},
		{row(`[1,2]`, "FP64", `[1,2]`)[:len(row(`[1,2]`, "FP64", `[1,2]`))-1] + `,"outputs":[{"name":"proba"}]}`, `unknown output "proba": the model's outputs are "output"`},
	} {
		a := do(t, "POST", url+"/v2/models/m/infer", c.body)
		if assert.Equal(t, http.StatusBadRequest, a.code, "case %d: %s", i, a.body) {
			assert.Contains(t, errorOf(t, a), c.want, "case %d", i)
		}
	}
	assert.Equal(t, 22.0, metric(t, url, `perceptron_serve_requests_total{code="400",endpoint="infer"}`))
	assert.Equal(t, http.StatusOK, do(t, "GET", url+"/v2/health/live", "").code)
}

// concurrently posts the bodies at once and returns the answers in order.
func concurrently(t *testing.T, url string, bodies []string) []answer {
	out := make([]answer, len(bodies))
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Go(func() { out[i] = do(t, "POST", url+"/v2/models/m/infer", b) })
	}
	wg.Wait()
	return out
}

func oneRow(i int) string {
	return fmt.Sprintf(`{"inputs":[{"name":"input","shape":[1,2],"datatype":"FP64","data":[%d,1]}]}`, i)
}

func TestBatchingMergesConcurrentRequests(t *testing.T) {
	for _, c := range []struct {
		maxBatch   int
		maxDelay   time.Duration
		maxBatches float64
	}{
		{maxBatch: 64, maxDelay: 200 * time.Millisecond, maxBatches: 4},
		{maxBatch: 1, maxBatches: 16},
	} {
		cfg := testConfig()
		cfg.MaxBatch, cfg.MaxDelay = c.maxBatch, c.maxDelay
		_, url := start(t, Model{Predictor: &stub{k: 2, delay: 5 * time.Millisecond}, Datatype: "FP64"}, cfg)
		bodies := make([]string, 16)
		for i := range bodies {
			bodies[i] = oneRow(i)
		}
		for i, a := range concurrently(t, url, bodies) {
			require.Equal(t, http.StatusOK, a.code, a.body)
			assert.Contains(t, a.body, fmt.Sprintf(`"data":[%d,-%d]`, i+1, i+1), "each request gets its own row's outputs")
		}
		batches := metric(t, url, "perceptron_serve_batch_rows_count")
		assert.Equal(t, 16.0, metric(t, url, "perceptron_serve_batch_rows_sum"), "max batch %d", c.maxBatch)
		assert.LessOrEqual(t, batches, c.maxBatches, "max batch %d", c.maxBatch)
		if c.maxBatch == 1 {
			assert.Equal(t, 16.0, batches)
		}
	}
}

func TestFullQueueAnswers503(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBatch, cfg.Queue = 1, 1
	_, url := start(t, Model{Predictor: &stub{k: 2, delay: 300 * time.Millisecond}, Datatype: "FP64"}, cfg)
	bodies := make([]string, 6)
	for i := range bodies {
		bodies[i] = oneRow(i)
	}
	codes := map[int]int{}
	for _, a := range concurrently(t, url, bodies) {
		codes[a.code]++
		if a.code == http.StatusServiceUnavailable {
			assert.Equal(t, "the server's queue is full (1 requests waiting): retry later", errorOf(t, a))
		}
	}
	assert.GreaterOrEqual(t, codes[http.StatusOK], 1, "%v", codes)
	assert.GreaterOrEqual(t, codes[http.StatusServiceUnavailable], 3, "one running, one queued, the rest refused: %v", codes)
	assert.Equal(t, 6, codes[http.StatusOK]+codes[http.StatusServiceUnavailable], "%v", codes)
	assert.Equal(t, http.StatusOK, do(t, "POST", url+"/v2/models/m/infer", oneRow(1)).code, "the queue empties")
}

func TestLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBody, cfg.Timeout = 1000, 300*time.Millisecond
	_, url := start(t, Model{Predictor: &stub{k: 2}, Datatype: "FP64"}, cfg)
	huge := `{"inputs":[{"name":"input","shape":[1,2],"datatype":"FP64","data":[1,2` + strings.Repeat(" ", 5000) + `]}]}`
	a := do(t, "POST", url+"/v2/models/m/infer", huge)
	assert.Equal(t, http.StatusRequestEntityTooLarge, a.code)
	assert.Equal(t, fmt.Sprintf("the request body has %d bytes, over the server's limit of 1000 (perceptron serve --max-body): send fewer rows per request", len(huge)), errorOf(t, a))

	// Without a Content-Length, the limit stops the reading.
	res, err := http.Post(url+"/v2/models/m/infer", "application/json", io.MultiReader(strings.NewReader(huge)))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	assert.Contains(t, string(body), "the request body has more bytes, over the server's limit of 1000")

	// A client that sends half its body and stalls is cut off.
	for _, half := range []string{
		"POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inputs\":",
		"POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Le",
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		require.NoError(t, err)
		_, err = conn.Write([]byte(half))
		require.NoError(t, err)
		began := time.Now()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		got, _ := io.ReadAll(conn)
		conn.Close()
		assert.Less(t, time.Since(began), 3*time.Second, "the server ends a stalled request after its timeout")
		if strings.Contains(half, "\r\n\r\n") {
			assert.Contains(t, string(got), "408 Request Timeout")
			assert.Contains(t, string(got), "the request body did not arrive within the server's timeout (300ms)")
		}
	}
	assert.Equal(t, http.StatusOK, do(t, "POST", url+"/v2/models/m/infer", oneRow(1)).code, "the server is alive")
}

func TestSlowPredictionAnswers504(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 200 * time.Millisecond
	_, url := start(t, Model{Predictor: &stub{k: 2, delay: 600 * time.Millisecond}, Datatype: "FP64"}, cfg)
	a := do(t, "POST", url+"/v2/models/m/infer", oneRow(1))
	assert.Equal(t, http.StatusGatewayTimeout, a.code)
	assert.Equal(t, "no prediction within the server's timeout (200ms)", errorOf(t, a))
}

func TestPanicsAnswer500(t *testing.T) {
	var log bytes.Buffer
	cfg := testConfig()
	cfg.Log = &syncWriter{w: &log}
	p := &stub{k: 2}
	_, url := start(t, Model{Predictor: p, Datatype: "FP64"}, cfg)
	a := do(t, "POST", url+"/v2/models/m/infer", oneRow(-13))
	assert.Equal(t, http.StatusInternalServerError, a.code)
	assert.Equal(t, "the prediction failed with an internal error", errorOf(t, a))
	assert.Equal(t, http.StatusOK, do(t, "POST", url+"/v2/models/m/infer", oneRow(12)).code, "the worker goes on")

	p.panicNames = true
	a = do(t, "GET", url+"/v2/models/m", "")
	assert.Equal(t, http.StatusInternalServerError, a.code)
	assert.Equal(t, "internal error: the server logged it", errorOf(t, a))
	p.panicNames = false
	assert.Equal(t, http.StatusOK, do(t, "GET", url+"/v2/models/m", "").code, "the server goes on")
	assert.Equal(t, 2.0, metric(t, url, "perceptron_serve_panics_total"))
	assert.Contains(t, log.String(), "perceptron: serve: recovered from a panic in the predictor: stub: row of -13")
	assert.Contains(t, log.String(), "perceptron: serve: recovered from a panic answering GET /v2/models/m: stub: ClassNames")
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestReloadSwapsTheModel(t *testing.T) {
	s, url := start(t, Model{Predictor: &stub{k: 2}, Datatype: "FP64"}, testConfig())
	require.NoError(t, s.Reload(func() (Model, error) { return Model{Predictor: &stub{k: 3}, Datatype: "FP64"}, nil }))
	assert.Contains(t, do(t, "GET", url+"/v2/models/m", "").body, `"shape":[-1,3]`)
	require.Error(t, s.Reload(func() (Model, error) { return Model{}, fmt.Errorf("bad file") }))
	assert.Contains(t, do(t, "GET", url+"/v2/models/m", "").body, `"shape":[-1,3]`, "a failed reload keeps the model")
	assert.Equal(t, 1.0, metric(t, url, `perceptron_serve_reloads_total{result="ok"}`))
	assert.Equal(t, 1.0, metric(t, url, `perceptron_serve_reloads_total{result="failed"}`))
}

func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	s, err := New(Model{Predictor: &stub{k: 2, delay: 300 * time.Millisecond}, Datatype: "FP64"}, testConfig())
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	got := make(chan answer, 1)
	go func() { got <- do(t, "POST", "http://"+l.Addr().String()+"/v2/models/m/infer", oneRow(1)) }()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Shutdown(ctx))
	a := <-got
	assert.Equal(t, http.StatusOK, a.code, a.body)
	assert.NoError(t, <-served)
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "no longer listening")
}

func TestConfigIsChecked(t *testing.T) {
	for _, c := range []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.Name = "a/b" }, `model name "a/b": expected a non-empty name without /`},
		{func(c *Config) { c.Name = "" }, `model name "": expected a non-empty name`},
		{func(c *Config) { c.MaxBatch = 0 }, "max batch 0: expected at least 1 row"},
		{func(c *Config) { c.MaxDelay = -1 }, "max delay -1ns: expected 0 or more"},
		{func(c *Config) { c.Queue = 0 }, "queue 0: expected room for at least 1 request"},
		{func(c *Config) { c.MaxBody = 0 }, "max body 0: expected at least 1 byte"},
		{func(c *Config) { c.Timeout = 0 }, "timeout 0s: expected more than 0"},
	} {
		cfg := testConfig()
		c.set(&cfg)
		_, err := New(Model{Predictor: &stub{k: 1}}, cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}
}
