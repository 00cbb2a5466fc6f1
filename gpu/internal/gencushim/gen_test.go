package main

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrampolinesAreFresh regenerates trampolines.c and compares it with the
// committed file.
func TestTrampolinesAreFresh(t *testing.T) {
	src, err := generate()
	if errors.Is(err, errNoHeader) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	committed, err := os.ReadFile("../cushim/trampolines.c")
	require.NoError(t, err)
	assert.Equal(t, string(committed), string(src), "trampolines.c is stale: run go generate ./gpu/internal/cushim and commit it")
}

func TestDeclaration(t *testing.T) {
	header := "typedef int CUresult; CUresult cuA_v2(int *p, size_t n); CUresult cuA_v2(int *p, size_t n); " +
		"__attribute__((deprecated)) CUresult cuB(void); CUresult cuC(CUdevice); int cuD(int a); " +
		"CUresult cuE(int a); CUresult cuE(int b); CUresult cuF(const char *name[16], unsigned int);"
	for i, c := range []struct {
		sym, params string
		args        []string
		ok          bool
		err         string
	}{
		{sym: "cuA_v2", params: "int *p, size_t n", args: []string{"p", "n"}, ok: true},
		{sym: "cuB", params: "void", ok: true},
		{sym: "cuA", ok: false},
		{sym: "cuC", err: `parameter "CUdevice" has no name`},
		{sym: "cuD", err: "expected CUresult cuD(parameters)"},
		{sym: "cuE", err: "cuda.h declares cuE twice"},
		{sym: "cuF", err: `parameter " unsigned int" has no name`},
	} {
		f, ok, err := declaration(header, c.sym)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, "case %d", i)
			continue
		}
		require.NoError(t, err, "case %d", i)
		assert.Equal(t, c.ok, ok, "case %d", i)
		assert.Equal(t, c.params, f.params, "case %d", i)
		assert.Equal(t, c.args, f.args, "case %d", i)
	}
}

func TestCallsSkipComments(t *testing.T) {
	src := "CUresult own(void) {\n\t// cuCommented(x);\n\t/* cuBlock(\n) */ return cuMemAlloc (p, n) + cuCtxSynchronize();\n}"
	assert.Equal(t, []string{"cuMemAlloc", "cuCtxSynchronize"}, calls(src))
}
