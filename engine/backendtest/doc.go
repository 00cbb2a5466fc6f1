// Package backendtest is the test suite every engine.Backend passes: gradient
// checks against finite differences for every activation × loss pair, the
// pre-update weights of da_prev, golden losses from the course's NumPy code,
// learning, cancellation and non-finite losses. A backend's test calls Run.
package backendtest
