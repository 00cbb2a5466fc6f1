//go:build !amd64 || noasm

package engine_test

// gonumProducts says whether the CPU backend's matrix products are gonum's,
// which allocate per call: in builds without its assembly kernels.
const gonumProducts = true
