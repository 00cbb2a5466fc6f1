package gpu

import "errors"

// ErrNotBuilt is returned by New and Devices in a binary built without the
// CUDA backend (the build tag cuda).
var ErrNotBuilt = errors.New("built without CUDA support: rebuild with go build -tags cuda (on a machine with the CUDA toolkit)")

// ErrNoDevice is returned, wrapped with the reason, by New and Devices where
// the NVIDIA driver is missing or finds no GPU.
var ErrNoDevice = errors.New("no CUDA device found")
