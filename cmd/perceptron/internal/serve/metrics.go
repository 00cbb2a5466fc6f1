package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	batchRows prometheus.Histogram
	panics    prometheus.Counter
	reloads   *prometheus.CounterVec
}

// newMetrics registers the metrics, the queue's length read by queued.
func newMetrics(queued func() float64) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perceptron_serve_requests_total",
			Help: "HTTP requests answered, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "perceptron_serve_request_duration_seconds",
			Help:    "Time from a request's headers to its answer, by endpoint.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 18), // 50 µs to 6.5 s
		}, []string{"endpoint"}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "perceptron_serve_batch_rows",
			Help:    "Rows per batch the worker ran.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14), // 1 to 8192
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "perceptron_serve_panics_total",
			Help: "Panics recovered in handlers and in the predictor, each answered 500.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perceptron_serve_reloads_total",
			Help: "Model reloads (SIGHUP), by result: ok or failed (the old model kept).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.batchRows, m.panics, m.reloads,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "perceptron_serve_queue_length",
			Help: "Inference requests waiting for the worker.",
		}, queued),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
