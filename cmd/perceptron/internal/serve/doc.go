// Package serve answers KServe's Open Inference Protocol (v2, REST) for one
// model: the server behind perceptron serve.
//
//	GET  /v2                          server metadata
//	GET  /v2/health/live              {"live": true}
//	GET  /v2/health/ready             {"ready": true}
//	GET  /v2/models/{name}            model metadata: inputs, outputs, datatypes, shapes
//	GET  /v2/models/{name}/ready      {"name": …, "ready": true}
//	POST /v2/models/{name}/infer      inference
//	GET  /metrics                     Prometheus metrics
//
// A model of numeric rows takes one input, "input", FP32 or FP64, of shape
// [n, inputs], its data flat in row-major order or nested as n rows; its
// output "output" has the request's datatype and shape [n, outputs]. A
// tabular model (one with a preprocessing of named columns) takes one input
// per column, named as the column, of shape [n] or [n, 1]: BYTES (strings)
// or numbers (FP32, FP64, INT32, INT64) as a CSV would hold them, null or ""
// for a missing cell; its output is FP64. A model with class names adds the
// output "class", BYTES, the predicted class of each row. A request may
// name the outputs it wants. Every error is {"error": "…"} naming the
// problem: 400 for a malformed request (its JSON, a datatype, a shape, a
// cell), 404 for an unknown model or path, 405 for a wrong method, 408 for
// a body that did not arrive in time, 413 for a body over the limit, 503
// when the queue is full, 504 when the prediction did not come in time,
// 500 when the predictor failed or panicked; a panic is recovered, counted
// and logged, and the server goes on.
//
// Inference requests queue (Config.Queue of them at most) for one worker,
// which takes the first waiting, then more of the same datatype until
// Config.MaxBatch rows or Config.MaxDelay have passed, predicts them in one
// call and answers each. A tabular model's rows go through the worker the
// same way, one row at a time.
//
// The Predictor interface is what the server needs of a model; Load
// implements it over engine.Predict and the model file's scaler or
// preprocessing. Server.Reload swaps the model atomically: requests already
// queued finish on the old one.
//
// The metrics are perceptron_serve_requests_total{endpoint,code},
// perceptron_serve_request_duration_seconds{endpoint},
// perceptron_serve_batch_rows, perceptron_serve_queue_length,
// perceptron_serve_panics_total and perceptron_serve_reloads_total{result},
// beside Go's and the process's.
//
// # Testing
//
// The tests serve on 127.0.0.1, port 0, a stub predictor (a row's sum and
// its negation, slow or panicking on demand) or model files:
//
//   - every endpoint's answer (metadata, health, readiness, the server's
//     metadata), 404 for an unknown model or path, 405 for a wrong method,
//     and the request counts, latency and queue length in /metrics
//   - inference on flat and nested data, FP32 and FP64, zero rows, an id
//     echoed, the outputs asked for, class names
//   - 22 malformed requests, each answered 400 with its message (the JSON's
//     byte offset, a datatype, a shape, null, a number out of range, an
//     unknown input or output), and the server alive after
//   - batching: 16 concurrent requests run in at most 4 batches with
//     batching and in 16 without (the batch-size metric), each answered
//     with its own row's outputs
//   - a full queue answering 503, a body over the limit 413 (with and
//     without a Content-Length), a client stalling in its headers or its
//     body cut off after the timeout (408), a slow prediction 504
//   - a panic in the predictor and one in a handler each answered 500,
//     counted and logged, the server going on
//   - Reload swapping the model, a failed one keeping it; Shutdown letting
//     a request in flight finish; the config's checks
//   - model files, scaled float32 and float64 networks and a tabular model
//     with a text column, answering as engine.Predict after the file's
//     scaler or preprocessing (to float32's last bits: the Predictor sums a
//     row and a batch in other orders); a tabular request's column errors
//
// FuzzInfer sends the infer endpoint of a numeric and of a tabular model
// arbitrary bodies: each must get 200 with outputs, or 400 or 413 with a
// JSON error naming the problem, never a recovered panic. CI runs it for a
// fixed count in a 4 GiB address space; run on the development machine
// (2026-12-05) for 1,000,000 executions: no crash, no failed property.
//
// perceptron's tests run the built command: its outputs equal perceptron
// predict's, SIGHUP reloads (a bad file keeps the model) and SIGTERM
// drains a request in flight.
package serve
