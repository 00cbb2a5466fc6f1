//go:build cuda || cudaemu

package gpu

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSharedStructsHaveTheKernelsLayout compares each struct shared with the
// kernels, as Go lays it out, with its size asserted in the kernel sources
// and, on the emulator, with its size and field offsets as the C++ compiler
// lays it out.
func TestSharedStructsHaveTheKernelsLayout(t *testing.T) {
	require.NotEmpty(t, sharedStructs)
	for name, s := range sharedStructs {
		typ := reflect.TypeOf(s.value)
		assert.Equal(t, s.bytes, typ.Size(), "%s: Go's size and the size the source asserts", name)
		var offsets []int
		for i := range typ.NumField() {
			offsets = append(offsets, int(typ.Field(i).Offset))
		}
		if !emulated {
			continue
		}
		for _, p := range []string{"f32", "f64"} {
			size, cOffsets, ok := emulatorLayout(name + "_" + p)
			require.True(t, ok, "the emulator has the layout of %s_%s", name, p)
			assert.Equal(t, int(typ.Size()), size, "%s_%s: size in Go and in C++", name, p)
			assert.Equal(t, offsets, cOffsets, "%s_%s: field offsets in Go and in C++", name, p)
		}
	}
}
