package kernels

import (
	"encoding/binary"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fatbinEntry is what the header of one of a fatbin's entries says: PTX or
// SASS (an ELF cubin), for which architecture, compressed or not.
type fatbinEntry struct {
	ptx        bool
	arch       int
	compressed bool
}

// fatbinEntries reads the entries' headers of a fatbin (the layout of
// fatbinary_section.h's fatBinaryHeader, followed by one header and payload
// per entry).
func fatbinEntries(t *testing.T, b []byte) []fatbinEntry {
	t.Helper()
	le := binary.LittleEndian
	require.GreaterOrEqual(t, len(b), 16)
	require.Equal(t, uint32(0xba55ed50), le.Uint32(b), "the fatbin magic")
	size := le.Uint64(b[8:])
	require.Equal(t, uint64(len(b)), 16+size, "the fatbin's size")
	var out []fatbinEntry
	for at := uint64(16); at < uint64(len(b)); {
		e := b[at:]
		require.GreaterOrEqual(t, len(e), 64)
		kind, header, payload := le.Uint16(e), le.Uint32(e[4:]), le.Uint64(e[8:])
		require.Contains(t, []uint16{1, 2}, kind, "entry at %d: PTX (1) or ELF (2)", at)
		out = append(out, fatbinEntry{ptx: kind == 1, arch: int(le.Uint32(e[28:])), compressed: le.Uint64(e[40:])&0x2000 != 0})
		at += uint64(header) + payload
	}
	return out
}

func TestFatbinsHoldSASSForVoltaAmpereHopperAndPTX(t *testing.T) {
	for _, precision := range []string{"f32", "f64"} {
		b, err := Fatbin(precision)
		require.NoError(t, err)
		assert.ElementsMatch(t, []fatbinEntry{{true, 70, true}, {false, 70, true}, {false, 80, true}, {false, 90, true}},
			fatbinEntries(t, b), precision)
	}
	_, err := Fatbin("f16")
	assert.ErrorContains(t, err, `no fatbin for precision "f16"`)
}

// resources are a kernel's registers and static shared memory, as
// resources.h lists them.
type resources struct{ registers, shared int }

// resourceTable reads resources.h, which gen.sh writes from cuobjdump's
// listing of the fatbins.
func resourceTable(t *testing.T) map[string]resources {
	t.Helper()
	src, err := os.ReadFile("resources.h")
	require.NoError(t, err)
	table := map[string]resources{}
	for _, m := range regexp.MustCompile(`(?m)^EMU_RESOURCES\((\w+), (\d+), (\d+)\)$`).FindAllStringSubmatch(string(src), -1) {
		r, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		s, err := strconv.Atoi(m[3])
		require.NoError(t, err)
		table[m[1]] = resources{r, s}
	}
	return table
}

// TestEveryKernelIsInTheFatbins checks the kernels' names against the
// fatbins' listing in resources.h.
func TestEveryKernelIsInTheFatbins(t *testing.T) {
	var want []string
	for _, names := range entries {
		for _, name := range names {
			want = append(want, name+"_f32", name+"_f64")
		}
	}
	assert.ElementsMatch(t, want, slices.Collect(maps.Keys(resourceTable(t))))
}
