package cpu

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadCPUModel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cpuinfo")
	require.NoError(t, os.WriteFile(path, []byte("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R45\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R45\n"), 0o644))
	assert.Equal(t, "AMD EPYC 9R45", readCPUModel(path))
	require.NoError(t, os.WriteFile(path, []byte("processor\t: 0\nBogoMIPS\t: 50.00\n"), 0o644))
	assert.Equal(t, runtime.GOARCH, readCPUModel(path), "no model name: the architecture")
	assert.Equal(t, runtime.GOARCH, readCPUModel(filepath.Join(dir, "missing")))
}
