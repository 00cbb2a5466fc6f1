// Package benchmarks defines the benchmark workloads of WORKLOADS.md (W1, W2,
// W2s, W3) once, runs them on any backend for `perceptron bench`, and holds
// the Go benchmarks of the ops and of one epoch of each workload
// (go test -bench . ./benchmarks). results/ holds dated, measured tables.
package benchmarks
