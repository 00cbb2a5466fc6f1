// Package benchmarks defines the benchmark workloads of WORKLOADS.md (W1, W2,
// W2s, W3, and W2a, W2d beside them) once, runs them on any backend for
// `perceptron bench`, and holds the Go benchmarks of the ops and of one epoch
// of each workload (go test -bench . ./benchmarks). compare.sh measures the
// CPU backend against PyTorch and the plain C loop as WORKLOADS.md asks
// (interleaved rounds, medians, the peer at its best); results/ holds dated,
// measured tables.
package benchmarks
