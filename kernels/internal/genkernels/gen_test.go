package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneratedFilesAreFresh regenerates the files from the kernel sources
// and compares them with the committed ones.
func TestGeneratedFilesAreFresh(t *testing.T) {
	files, err := generate("../..")
	require.NoError(t, err)
	require.Len(t, files, 4)
	for name, src := range files {
		committed, err := os.ReadFile(filepath.Join("../..", name))
		require.NoError(t, err)
		assert.Equal(t, string(committed), string(src), "kernels/%s is stale: run go generate ./kernels and commit it", name)
	}
}

func TestParseKernels(t *testing.T) {
	src := `// scale: x *= s, one thread per value. More text.
// And more.
KERNEL(scale)(real* __restrict__ x, const double* d, real s, int n, long long range, int cfg) {
}
`
	ks, err := parseKernels("s.cu", src)
	require.NoError(t, err)
	require.Len(t, ks, 1)
	assert.Equal(t, "scale", ks[0].name)
	assert.Equal(t, "x *= s, one thread per value", ks[0].doc)
	assert.Equal(t, []param{{"x", "real", pointer}, {"d", "double", pointer}, {"s", "real", realValue},
		{"n", "int", integer}, {"range_", "long long", integer}, {"cfg_", "int", integer}}, ks[0].params)
	for i, c := range []struct{ src, err string }{
		{"KERNEL(f)(float v) {}", "s.cu: kernel f: parameter v: type float is not a pointer, int, long long, real or double"},
		{"KERNEL(f)(int) {}", `parameter "int" has no name`},
		{"KERNEL(f)(my_struct s) {}", "type my_struct is not"},
	} {
		_, err := parseKernels("s.cu", c.src)
		assert.ErrorContains(t, err, c.err, "case %d", i)
	}
}

func TestParseStructs(t *testing.T) {
	src := `
struct layer {
    real *w, *b; // parameters
    real* a;
    long long in, out;
    double rate;
    double* rates;
};
static_assert(sizeof(layer) == 56, "seven words");
struct local {
    int n;
};
`
	ss, err := parseStructs("s.cu", src)
	require.NoError(t, err)
	assert.Equal(t, []shared{{name: "layer", file: "s.cu", bytes: 56, fields: []field{
		{"w", "parameters", pointer}, {"b", "parameters", pointer}, {"a", "", pointer}, {"in", "", integer}, {"out", "", integer},
		{"rate", "", double}, {"rates", "", pointer}}}}, ss)
	assert.Equal(t, []string{"devicePtr", "int64", "float64"}, []string{ss[0].fields[0].goType(), ss[0].fields[3].goType(), ss[0].fields[5].goType()})
	for i, c := range []struct{ src, err string }{
		{"\nstruct s {\n    int n;\n};\nstatic_assert(sizeof(s) == 8, \"\");", "field n is a int: fields shared with Go are pointers, long long or double"},
		{"\nstruct s {\n    real* a;\n};\nstatic_assert(sizeof(s) == 16, \"\");", "1 fields of 8 bytes, and its size is asserted as 16"},
		{"static_assert(sizeof(s) == 8, \"\");", "the size of s is asserted, but it has no struct s"},
		{"\nstruct s {\n    real* type;\n};\nstatic_assert(sizeof(s) == 8, \"\");", `field "type" is not a name Go can use`},
	} {
		_, err := parseStructs("s.cu", c.src)
		assert.ErrorContains(t, err, c.err, "case %d", i)
	}
}
