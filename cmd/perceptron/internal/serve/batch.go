package serve

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// kind is what a job's rows are; a batch holds jobs of one kind and model.
type kind int

const (
	rows64 kind = iota // float64 features
	rows32             // float32 features
	cells              // a tabular model's raw cells by column name
)

// job is one request's rows waiting for the worker, and its answer.
type job struct {
	ctx   context.Context
	model *Model
	kind  kind
	n     int
	x64   []float64
	x32   []float32
	rows  []map[string]string
	out64 []float64 // n·outputs, rows64 and cells
	out32 []float32 // n·outputs, rows32
	done  chan error
}

// errPanic marks a prediction that panicked; the server answers 500.
var errPanic = errors.New("the prediction failed with an internal error")

// badRows is an error in a request's cells, found by the predictor: the
// client's fault, answered 400.
type badRows struct{ err error }

func (b badRows) Error() string { return b.err.Error() }
func (b badRows) Unwrap() error { return b.err }

// batcher queues jobs and runs them in batches on one worker goroutine:
// it takes the first job waiting, then more of the same kind and model
// until maxBatch rows or maxDelay have passed, whichever comes first.
type batcher struct {
	queue    chan *job
	stop     chan struct{}
	stopped  chan struct{}
	maxBatch int
	maxDelay time.Duration
	metrics  *metrics
	logf     func(format string, args ...any)

	buf64, res64 []float64
	buf32, res32 []float32
}

func newBatcher(queue, maxBatch int, maxDelay time.Duration, m *metrics, logf func(string, ...any)) *batcher {
	return &batcher{queue: make(chan *job, queue), stop: make(chan struct{}), stopped: make(chan struct{}),
		maxBatch: maxBatch, maxDelay: maxDelay, metrics: m, logf: logf}
}

// errQueueFull is the answer to a job the queue has no room for.
var errQueueFull = errors.New("the server's queue is full")

// submit queues j without waiting, or returns errQueueFull.
func (b *batcher) submit(j *job) error {
	select {
	case b.queue <- j:
		return nil
	default:
		return errQueueFull
	}
}

// run is the worker: it batches and predicts until stop is closed, then
// answers what is still queued and closes stopped.
func (b *batcher) run() {
	defer close(b.stopped)
	var held *job
	for {
		first := held
		held = nil
		if first == nil {
			select {
			case first = <-b.queue:
			case <-b.stop:
				b.drain()
				return
			}
		}
		batch, next := b.collect(first)
		held = next
		b.predict(batch)
	}
}

// drain runs the jobs left in the queue one batch at a time.
func (b *batcher) drain() {
	for {
		select {
		case j := <-b.queue:
			batch, next := b.collect(j)
			b.predict(batch)
			if next != nil {
				b.predict([]*job{next})
			}
		default:
			return
		}
	}
}

// collect returns first and the jobs that join it, and the job that came
// but could not join (another kind or model, or too many rows), if any.
func (b *batcher) collect(first *job) (batch []*job, next *job) {
	batch, n := []*job{first}, first.n
	var deadline <-chan time.Time
	if b.maxDelay > 0 {
		t := time.NewTimer(b.maxDelay)
		defer t.Stop()
		deadline = t.C
	}
	for n < b.maxBatch {
		var j *job
		if deadline == nil {
			select {
			case j = <-b.queue:
			default:
				return batch, nil
			}
		} else {
			select {
			case j = <-b.queue:
			case <-deadline:
				return batch, nil
			}
		}
		if j.kind != first.kind || j.model != first.model || n+j.n > b.maxBatch {
			return batch, j
		}
		batch, n = append(batch, j), n+j.n
	}
	return batch, nil
}

// predict runs a batch and answers each of its jobs; a job whose client
// has gone is answered without being run.
func (b *batcher) predict(batch []*job) {
	live := batch[:0:0]
	n := 0
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live, n = append(live, j), n+j.n
	}
	if len(live) == 0 {
		return
	}
	b.metrics.batchRows.Observe(float64(n))
	if live[0].kind == cells {
		for _, j := range live {
			j.done <- b.guard(func() error { return predictCells(j) })
		}
		return
	}
	err := b.guard(func() error { return b.predictRows(live, n) })
	for _, j := range live {
		j.done <- err
	}
}

// guard runs f, turning a panic into errPanic, counted and logged.
func (b *batcher) guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b.metrics.panics.Inc()
			b.logf("recovered from a panic in the predictor: %v\n%s", r, debug.Stack())
			err = errPanic
		}
	}()
	return f()
}

// predictRows predicts the numeric rows of jobs, n in all, in one call.
func (b *batcher) predictRows(jobs []*job, n int) error {
	p := jobs[0].model.Predictor
	if jobs[0].kind == rows32 {
		return predictBatch(jobs, n*p.Outputs(), &b.buf32, &b.res32,
			func(j *job) ([]float32, []float32) { return j.x32, j.out32 }, p.PredictInto32)
	}
	return predictBatch(jobs, n*p.Outputs(), &b.buf64, &b.res64,
		func(j *job) ([]float64, []float64) { return j.x64, j.out64 }, p.PredictInto)
}

// predictBatch joins the rows of jobs (their inputs and outputs as rows
// gives them) in buf, predicts their outputs (size values) into res in one
// call, and hands each job its own.
func predictBatch[T float32 | float64](jobs []*job, size int, buf, res *[]T, rows func(*job) (in, out []T), predict func(dst, x []T) error) error {
	*buf, *res = (*buf)[:0], grow(*res, size)
	for _, j := range jobs {
		in, _ := rows(j)
		*buf = append(*buf, in...)
	}
	if err := predict(*res, *buf); err != nil {
		return err
	}
	at := 0
	for _, j := range jobs {
		_, out := rows(j)
		at += copy(out, (*res)[at:])
	}
	return nil
}

// predictCells predicts a tabular job's rows one by one.
func predictCells(j *job) error {
	p := j.model.Predictor
	k := p.Outputs()
	for i, row := range j.rows {
		if err := p.PredictRow(j.out64[i*k:(i+1)*k], row); err != nil {
			return badRows{fmt.Errorf("row %d: %w", i, err)}
		}
	}
	return nil
}

// grow returns s resized to n, reusing its memory where it can.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
