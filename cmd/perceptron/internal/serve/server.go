package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perceptron-go/perceptron/engine"
)

// Config is how a server answers: the model's name, the batching and the
// limits on requests.
type Config struct {
	// Name is the model's name in the URLs, /v2/models/{Name}/….
	Name string
	// MaxBatch is the most rows a batch gathers (a request with more runs
	// alone); 1 turns batching off.
	MaxBatch int
	// MaxDelay is how long the worker waits for more rows after the first
	// request of a batch; 0 takes only what is queued already.
	MaxDelay time.Duration
	// Queue is the most inference requests waiting; more are answered 503.
	Queue int
	// MaxBody is the largest request body in bytes; larger ones get 413.
	MaxBody int64
	// Timeout bounds reading a request (a client that stalls is cut off)
	// and waiting for its prediction (504 after it).
	Timeout time.Duration
	// Log receives one line per reload, recovered panic and HTTP server
	// error; nil is os.Stderr.
	Log io.Writer
}

// check reports the first setting that cannot work.
func (c Config) check() error {
	switch {
	case c.Name == "" || strings.ContainsAny(c.Name, "/?#%") || strings.TrimSpace(c.Name) != c.Name:
		return fmt.Errorf("model name %q: expected a non-empty name without /, ?, #, %% or surrounding spaces", c.Name)
	case c.MaxBatch < 1:
		return fmt.Errorf("max batch %d: expected at least 1 row", c.MaxBatch)
	case c.MaxDelay < 0:
		return fmt.Errorf("max delay %v: expected 0 or more", c.MaxDelay)
	case c.Queue < 1:
		return fmt.Errorf("queue %d: expected room for at least 1 request", c.Queue)
	case c.MaxBody < 1:
		return fmt.Errorf("max body %d: expected at least 1 byte", c.MaxBody)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %v: expected more than 0", c.Timeout)
	}
	return nil
}

// Server answers the Open Inference Protocol's REST endpoints for one
// model, and /metrics.
type Server struct {
	cfg     Config
	model   atomic.Pointer[Model]
	batch   *batcher
	metrics *metrics
	http    *http.Server
}

// New returns a server of m, its batching worker started; Serve serves
// it, Shutdown stops both.
func New(m Model, cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	s := &Server{cfg: cfg}
	s.model.Store(&m)
	s.metrics = newMetrics(func() float64 { return float64(len(s.batch.queue)) })
	s.batch = newBatcher(cfg.Queue, cfg.MaxBatch, cfg.MaxDelay, s.metrics, s.logf)
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: cfg.Timeout, ReadTimeout: cfg.Timeout,
		WriteTimeout: 2 * cfg.Timeout, IdleTimeout: 2 * time.Minute, ErrorLog: log.New(cfg.Log, "perceptron: serve: http: ", 0)}
	go s.batch.run()
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Serve answers the connections of l until Shutdown, then returns nil.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections, lets the requests in flight
// finish and stops the worker, or gives up when ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	close(s.batch.stop)
	select {
	case <-s.batch.stopped:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// Reload replaces the model with the one load returns; requests already
// queued finish on the old one. When load fails the old model stays.
func (s *Server) Reload(load func() (Model, error)) error {
	m, err := load()
	if err != nil {
		s.metrics.reloads.WithLabelValues("failed").Inc()
		return err
	}
	s.model.Store(&m)
	s.metrics.reloads.WithLabelValues("ok").Inc()
	return nil
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "perceptron: serve: "+format+"\n", args...)
}

// routes maps the endpoints to their handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	get := []string{http.MethodGet, http.MethodHead}
	mux.Handle("/v2", s.instrument("server", get, s.jsonHandler(s.serverMetadata)))
	mux.Handle("/v2/health/live", s.instrument("live", get, s.jsonHandler(s.live)))
	mux.Handle("/v2/health/ready", s.instrument("ready", get, s.jsonHandler(s.ready)))
	mux.Handle("/v2/models/{name}", s.instrument("metadata", get, s.jsonHandler(s.modelMetadata)))
	mux.Handle("/v2/models/{name}/ready", s.instrument("model_ready", get, s.jsonHandler(s.modelReady)))
	mux.Handle("/v2/models/{name}/infer", s.instrument("infer", []string{http.MethodPost}, s.jsonHandler(s.infer)))
	mux.Handle("/metrics", s.instrument("metrics", get, promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	mux.Handle("/", s.instrument("unknown", nil, s.jsonHandler(func(r *http.Request) (int, any) {
		return http.StatusNotFound, errorBody{fmt.Sprintf("no endpoint %s: the endpoints are /v2, /v2/health/live, /v2/health/ready, "+
			"/v2/models/%s, /v2/models/%[2]s/ready, /v2/models/%[2]s/infer and /metrics", r.URL.Path, s.cfg.Name)}
	})))
	return mux
}

// recorder remembers the status code a handler wrote.
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// instrument counts and times h's requests under endpoint, answers 405 to
// a method not in methods (nil: any), and answers 500 when h panics.
func (s *Server) instrument(endpoint string, methods []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.metrics.panics.Inc()
				s.logf("recovered from a panic answering %s %s: %v", r.Method, r.URL.Path, p)
				if rec.code == 0 {
					writeJSON(rec, http.StatusInternalServerError, errorBody{"internal error: the server logged it"})
				}
			}
			s.metrics.requests.WithLabelValues(endpoint, strconv.Itoa(rec.code)).Inc()
			s.metrics.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		}()
		if methods != nil && !slices.Contains(methods, r.Method) {
			rec.Header().Set("Allow", strings.Join(methods, ", "))
			writeJSON(rec, http.StatusMethodNotAllowed, errorBody{fmt.Sprintf("%s %s: method not allowed, expected %s",
				r.Method, r.URL.Path, strings.Join(methods, " or "))})
			return
		}
		h.ServeHTTP(rec, r)
	})
}

// jsonHandler writes the status and JSON body f returns.
func (s *Server) jsonHandler(f func(r *http.Request) (int, any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, body := f(r)
		writeJSON(w, code, body)
	})
}

// writeJSON writes body as JSON with status code, or a 500 when body has
// no JSON form (an output that is NaN or infinite).
func writeJSON(w http.ResponseWriter, code int, body any) {
	js, err := json.Marshal(body)
	if err != nil {
		code = http.StatusInternalServerError
		js, _ = json.Marshal(errorBody{"the answer cannot be written as JSON: " + strings.TrimPrefix(err.Error(), "json: ") +
			" (an output that is NaN or infinite: the model overflowed)"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(js)+1))
	w.WriteHeader(code)
	w.Write(append(js, '\n'))
}

func (s *Server) serverMetadata(*http.Request) (int, any) {
	return http.StatusOK, map[string]any{"name": "perceptron", "version": "2", "extensions": []string{}}
}

func (s *Server) live(*http.Request) (int, any) { return http.StatusOK, map[string]bool{"live": true} }

func (s *Server) ready(*http.Request) (int, any) {
	return http.StatusOK, map[string]bool{"ready": true}
}

// named returns the model when the URL names it, else a 404's body.
func (s *Server) named(r *http.Request) (*Model, any) {
	if name := r.PathValue("name"); name != s.cfg.Name {
		return nil, errorBody{fmt.Sprintf("unknown model %q: this server serves %q", name, s.cfg.Name)}
	}
	return s.model.Load(), nil
}

func (s *Server) modelReady(r *http.Request) (int, any) {
	if _, missing := s.named(r); missing != nil {
		return http.StatusNotFound, missing
	}
	return http.StatusOK, map[string]any{"name": s.cfg.Name, "ready": true}
}

func (s *Server) modelMetadata(r *http.Request) (int, any) {
	m, missing := s.named(r)
	if missing != nil {
		return http.StatusNotFound, missing
	}
	p := m.Predictor
	md := modelMetadata{Name: s.cfg.Name, Versions: []string{}, Platform: "perceptron"}
	out := m.Datatype
	if m.Columns == nil {
		md.Inputs = []tensorMeta{{inputName, m.Datatype, []int{-1, p.Inputs()}}}
	} else {
		for _, c := range m.Columns {
			md.Inputs = append(md.Inputs, tensorMeta{c, "BYTES", []int{-1}})
		}
		out = "FP64"
	}
	md.Outputs = []tensorMeta{{outputName, out, []int{-1, p.Outputs()}}}
	if len(p.ClassNames()) > 0 {
		md.Outputs = append(md.Outputs, tensorMeta{className, "BYTES", []int{-1}})
	}
	return http.StatusOK, md
}

// infer answers an inference request: it reads and checks the request,
// queues its rows for the worker and answers with their outputs.
func (s *Server) infer(r *http.Request) (int, any) {
	m, missing := s.named(r)
	if missing != nil {
		return http.StatusNotFound, missing
	}
	if r.ContentLength > s.cfg.MaxBody {
		return http.StatusRequestEntityTooLarge, s.tooLarge(r.ContentLength)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBody))
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, s.tooLarge(-1)
	case errors.As(err, &netErr) && netErr.Timeout():
		return http.StatusRequestTimeout, errorBody{fmt.Sprintf("the request body did not arrive within the server's timeout (%v)", s.cfg.Timeout)}
	case err != nil:
		return http.StatusBadRequest, errorBody{"reading the request body: " + err.Error()}
	}
	req, err := decodeRequest(body)
	if err != nil {
		return http.StatusBadRequest, errorBody{err.Error()}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	j, err := newJob(ctx, m, req)
	if err != nil {
		return http.StatusBadRequest, errorBody{err.Error()}
	}
	want, err := wanted(req, m)
	if err != nil {
		return http.StatusBadRequest, errorBody{err.Error()}
	}
	if err := s.batch.submit(j); err != nil {
		return http.StatusServiceUnavailable, errorBody{fmt.Sprintf("%v (%d requests waiting): retry later", err, s.cfg.Queue)}
	}
	select {
	case err = <-j.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	var bad badRows
	switch {
	case err == nil:
	case errors.As(err, &bad):
		return http.StatusBadRequest, errorBody{err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, errorBody{fmt.Sprintf("no prediction within the server's timeout (%v)", s.cfg.Timeout)}
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, errorBody{"the request was cancelled"}
	default:
		return http.StatusInternalServerError, errorBody{err.Error()}
	}
	return http.StatusOK, s.response(req, j, want)
}

// tooLarge is a 413's body for a request of size bytes (-1: unknown).
func (s *Server) tooLarge(size int64) errorBody {
	got := "more"
	if size >= 0 {
		got = strconv.FormatInt(size, 10)
	}
	return errorBody{fmt.Sprintf("the request body has %s bytes, over the server's limit of %d (perceptron serve --max-body): send fewer rows per request", got, s.cfg.MaxBody)}
}

// newJob checks a request's inputs against the model and returns its rows
// as a job.
func newJob(ctx context.Context, m *Model, req inferRequest) (*job, error) {
	j := &job{ctx: ctx, model: m, done: make(chan error, 1)}
	p := m.Predictor
	k := p.Outputs()
	var err error
	if m.Columns != nil {
		j.kind = cells
		if j.rows, err = tableRows(req.Inputs, m.Columns); err != nil {
			return nil, err
		}
		j.n = len(j.rows)
		j.out64 = make([]float64, j.n*k)
		return j, nil
	}
	if len(req.Inputs) != 1 || req.Inputs[0].Name != inputName {
		names := make([]string, len(req.Inputs))
		for i, t := range req.Inputs {
			names[i] = strconv.Quote(t.Name)
		}
		return nil, fmt.Errorf("the model takes one input, %q, of shape [n, %d]; the request has %s", inputName, p.Inputs(), strings.Join(names, ", "))
	}
	t := req.Inputs[0]
	switch t.Datatype {
	case "FP64":
		j.kind = rows64
		j.x64, j.n, err = numericRows[float64](t, p.Inputs())
		j.out64 = make([]float64, j.n*k)
	case "FP32":
		j.kind = rows32
		j.x32, j.n, err = numericRows[float32](t, p.Inputs())
		j.out32 = make([]float32, j.n*k)
	default:
		err = fmt.Errorf("input %q has datatype %q, expected FP32 or FP64", t.Name, t.Datatype)
	}
	if err != nil {
		return nil, err
	}
	return j, nil
}

// tableRows reads a tabular request: one input per column, by name, each
// of the same number of cells.
func tableRows(inputs []inputTensor, columns []string) ([]map[string]string, error) {
	var rows []map[string]string
	seen := map[string]bool{}
	for _, t := range inputs {
		if !slices.Contains(columns, t.Name) {
			return nil, fmt.Errorf("unknown input %q: the model's inputs are its columns, %s", t.Name, quoted(columns))
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("input %q comes twice", t.Name)
		}
		seen[t.Name] = true
		cells, err := columnCells(t)
		if err != nil {
			return nil, err
		}
		if rows == nil {
			rows = make([]map[string]string, len(cells))
			for i := range rows {
				rows[i] = make(map[string]string, len(columns))
			}
		}
		if len(cells) != len(rows) {
			return nil, fmt.Errorf("input %q has %d cells, but input %q has %d: every column needs one per row", t.Name, len(cells), inputs[0].Name, len(rows))
		}
		for i, c := range cells {
			rows[i][t.Name] = c
		}
	}
	var absent []string
	for _, c := range columns {
		if !seen[c] {
			absent = append(absent, c)
		}
	}
	if len(absent) > 0 {
		return nil, fmt.Errorf("no input for the columns %s: the model takes one BYTES input per column (null cells for missing values)", quoted(absent))
	}
	return rows, nil
}

// wanted returns the names of the outputs the request asks for: all of
// the model's when it names none.
func wanted(req inferRequest, m *Model) ([]string, error) {
	all := []string{outputName}
	if len(m.Predictor.ClassNames()) > 0 {
		all = append(all, className)
	}
	if len(req.Outputs) == 0 {
		return all, nil
	}
	var names []string
	for _, o := range req.Outputs {
		if !slices.Contains(all, o.Name) {
			return nil, fmt.Errorf("unknown output %q: the model's outputs are %s", o.Name, quoted(all))
		}
		names = append(names, o.Name)
	}
	return names, nil
}

// response builds the answer to a job that ran.
func (s *Server) response(req inferRequest, j *job, want []string) inferResponse {
	p := j.model.Predictor
	k := p.Outputs()
	resp := inferResponse{ModelName: s.cfg.Name, ID: req.ID}
	for _, name := range want {
		switch name {
		case outputName:
			t := outputTensor{Name: outputName, Datatype: "FP64", Shape: []int{j.n, k}, Data: j.out64}
			if j.kind == rows32 {
				t.Datatype, t.Data = "FP32", j.out32
			}
			resp.Outputs = append(resp.Outputs, t)
		case className:
			resp.Outputs = append(resp.Outputs, outputTensor{Name: className, Datatype: "BYTES", Shape: []int{j.n}, Data: classes(j, p)})
		}
	}
	return resp
}

// classes names each row's predicted class.
func classes(j *job, p Predictor) []string {
	names, k := p.ClassNames(), p.Outputs()
	out := make([]string, j.n)
	row := make([]float64, k)
	for i := range out {
		if j.kind == rows32 {
			for c, v := range j.out32[i*k : (i+1)*k] {
				row[c] = float64(v)
			}
		} else {
			copy(row, j.out64[i*k:(i+1)*k])
		}
		if c := engine.PredictedClass(row); c < len(names) {
			out[i] = names[c]
		}
	}
	return out
}

// quoted quotes names and joins them with commas.
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
