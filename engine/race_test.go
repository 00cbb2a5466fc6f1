//go:build race

package engine_test

// raceEnabled reports a build with the race detector, under which
// sync.Pool drops what it holds at random and so allocates.
const raceEnabled = true
