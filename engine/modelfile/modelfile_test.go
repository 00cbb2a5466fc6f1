package modelfile_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

func network(t testing.TB, dtype engine.DType) *engine.Network {
	t.Helper()
	layers, err := engine.ParseLayers("5:relu,4:linear,3:softmax")
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 6, Layers: layers, Loss: engine.CE, DType: dtype}, engine.InitAuto, engine.NewRNG(9))
	require.NoError(t, err)
	return net
}

func TestRoundTripIsBitExact(t *testing.T) {
	for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
		net := network(t, dtype)
		// Values that a lossy path would change: -0, a subnormal, extremes.
		special := []float64{math.Copysign(0, -1), 5e-324, math.MaxFloat64, -1.0 / 3}
		if dtype == engine.Float32 {
			special = []float64{math.Copysign(0, -1), float64(math.SmallestNonzeroFloat32), math.MaxFloat32, float64(float32(-1.0 / 3))}
		}
		copy(net.Layers[1].B, special)
		scaler := &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{1, 2, 3, 4, 5, 0.1}, Scale: []float64{1, 0.5, 0.25, 2, 3, 1.0 / 7}}
		path := filepath.Join(t.TempDir(), "m.safetensors")
		require.NoError(t, modelfile.Save(path, modelfile.Model{Network: net, Scaler: scaler}))
		got, err := modelfile.Load(path)
		require.NoError(t, err)
		assert.Equal(t, net.Spec, got.Network.Spec)
		assert.Equal(t, scaler, got.Scaler)
		for l := range net.Layers {
			for i, w := range net.Layers[l].W {
				require.Equal(t, math.Float64bits(w), math.Float64bits(got.Network.Layers[l].W[i]), "%s layer %d W[%d]", dtype, l, i)
			}
			for i, b := range net.Layers[l].B {
				require.Equal(t, math.Float64bits(b), math.Float64bits(got.Network.Layers[l].B[i]), "%s layer %d b[%d]", dtype, l, i)
			}
		}
	}
}

// header returns the parsed JSON header of an encoded model and its data section.
func header(t *testing.T, data []byte) (map[string]any, []byte) {
	n := binary.LittleEndian.Uint64(data)
	var h map[string]any
	require.NoError(t, json.Unmarshal(data[8:8+n], &h))
	return h, data[8+n:]
}

// encode writes a header and data section as a safetensors file.
func encode(t *testing.T, h map[string]any, body []byte) []byte {
	js, err := json.Marshal(h)
	require.NoError(t, err)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	return append(append(out, js...), body...)
}

func TestTensorNamesFollowNNSequential(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: network(t, engine.Float32)}))
	h, body := header(t, buf.Bytes())
	meta := h["__metadata__"].(map[string]any)
	assert.Equal(t, "nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.Linear(4, 3), nn.Softmax(dim=-1))", meta["torch"])
	assert.Equal(t, "5:relu,4:linear,3:softmax", meta["layers"])
	assert.Equal(t, "float32", meta["dtype"])
	// Linear(0) ReLU(1) Linear(2) Linear(3) Softmax(4)
	for name, shape := range map[string][]any{"0.weight": {5.0, 6.0}, "0.bias": {5.0}, "2.weight": {4.0, 5.0}, "3.weight": {3.0, 4.0}, "3.bias": {3.0}} {
		info := h[name].(map[string]any)
		assert.Equal(t, "F32", info["dtype"], name)
		assert.Equal(t, shape, info["shape"], name)
	}
	assert.Len(t, h, 7, "metadata and six tensors")
	assert.Equal(t, 4*(30+5+20+4+12+3), len(body))
	assert.Zero(t, (buf.Len()-len(body))%8, "header padded to 8 bytes")
}

// TestTensorNamesWithDropout checks that layers with dropout add an
// nn.Dropout module after their activation, shifting the names of the
// tensors after it, and that the file reads back as it was written.
func TestTensorNamesWithDropout(t *testing.T) {
	layers, err := engine.ParseLayers("5:relu:dropout=0.2,4:linear:dropout=0.5,3:softmax")
	require.NoError(t, err)
	net, err := engine.NewNetwork(engine.Spec{Inputs: 6, Layers: layers, Loss: engine.CE, DType: engine.Float64}, engine.InitAuto, engine.NewRNG(9))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: net}))
	h, _ := header(t, buf.Bytes())
	meta := h["__metadata__"].(map[string]any)
	assert.Equal(t, "nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Dropout(p=0.2), nn.Linear(5, 4), nn.Dropout(p=0.5), nn.Linear(4, 3), nn.Softmax(dim=-1))", meta["torch"])
	assert.Equal(t, "5:relu:dropout=0.2,4:linear:dropout=0.5,3:softmax", meta["layers"])
	// Linear(0) ReLU(1) Dropout(2) Linear(3) Dropout(4) Linear(5) Softmax(6)
	for name, shape := range map[string][]any{"0.weight": {5.0, 6.0}, "0.bias": {5.0}, "3.weight": {4.0, 5.0}, "3.bias": {4.0}, "5.weight": {3.0, 4.0}, "5.bias": {3.0}} {
		info := h[name].(map[string]any)
		assert.Equal(t, shape, info["shape"], name)
	}
	assert.Len(t, h, 7, "metadata and six tensors")
	m, err := modelfile.Decode(buf.Bytes())
	require.NoError(t, err)
	assert.Equal(t, net, m.Network)
}

func TestDecodeErrors(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, modelfile.Encode(&buf, modelfile.Model{Network: network(t, engine.Float64)}))
	good := buf.Bytes()
	edit := func(f func(h map[string]any, body []byte) []byte) []byte {
		h, body := header(t, good)
		body = f(h, append([]byte(nil), body...))
		return encode(t, h, body)
	}
	tensor := func(h map[string]any, name string) map[string]any { return h[name].(map[string]any) }
	meta := func(h map[string]any) map[string]any { return h["__metadata__"].(map[string]any) }
	for i, c := range []struct {
		data []byte
		want string
	}{
		{good[:5], "expected at least 8"},
		{append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...), "header length 1099511627776 is out of bounds"},
		{append(binary.LittleEndian.AppendUint64(nil, 4), []byte("{{{{")...), "not valid JSON"},
		{edit(func(h map[string]any, b []byte) []byte { delete(h, "__metadata__"); return b }), "no __metadata__"},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["version"] = "9"; return b }), `version is "9"`},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["layers"] = "5:relu,4:swish,3:softmax"; return b }), "__metadata__ layers"},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["loss"] = "bce"; return b }), "bce needs a sigmoid output"},
		{edit(func(h map[string]any, b []byte) []byte { delete(h, "2.bias"); return b }), "tensor 2.bias is missing"},
		{edit(func(h map[string]any, b []byte) []byte { tensor(h, "0.weight")["dtype"] = "F32"; return b }), "tensor 0.weight: dtype F32, expected F64"},
		{edit(func(h map[string]any, b []byte) []byte { tensor(h, "0.weight")["shape"] = []int{6, 5}; return b }), "shape [6 5], expected [5 6]"},
		{edit(func(h map[string]any, b []byte) []byte { return b[:len(b)-8] }), "the metadata describes a network of 74 parameters (592 bytes of tensor data), but the file has 584 bytes of tensor data"},
		{edit(func(h map[string]any, b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0, 0, 0) }), "but the file has 600 bytes"},
		{edit(func(h map[string]any, b []byte) []byte {
			tensor(h, "0.weight")["data_offsets"] = []int{560, 800}
			return b
		}), "data offsets [560, 800] lie outside the 592 bytes"},
		{edit(func(h map[string]any, b []byte) []byte { tensor(h, "0.bias")["data_offsets"] = []int{0, 40}; return b }), "without gaps or overlaps"},
		{edit(func(h map[string]any, b []byte) []byte {
			tensor(h, "0.bias")["data_offsets"] = []int{240, 248}
			return b
		}), "8 bytes of data, expected 40"},
		{edit(func(h map[string]any, b []byte) []byte { h["9.weight"] = tensor(h, "3.bias"); return b }), "tensor 9.weight is not part of"},
		{edit(func(h map[string]any, b []byte) []byte {
			meta(h)["scaler"] = `{"Kind":"minmax","Offset":[1],"Scale":[1]}`
			return b
		}), "1 offsets and 1 scales for 6 inputs"},
		{edit(func(h map[string]any, b []byte) []byte {
			meta(h)["scaler"] = `{"Kind":"log","Offset":[0,0,0,0,0,0],"Scale":[1,1,1,1,1,1]}`
			return b
		}), `__metadata__ scaler: kind "log", expected "minmax" or "standard"`},
		{edit(func(h map[string]any, b []byte) []byte {
			meta(h)["scaler"] = `{"Kind":"minmax","Offset":[0,0,0,0,0,0],"Scale":[1,1,0,1,1,1]}`
			return b
		}), "__metadata__ scaler: input 3: scale 0"},
		{edit(func(h map[string]any, b []byte) []byte {
			meta(h)["scaler"] = `{"kind":"minmax","Offset":[0,0,0,0,0,0],"Scale":[1,1,1,1,1,1]}`
			return b
		}), `the scaler has no "Kind"`},
		{edit(func(h map[string]any, b []byte) []byte {
			meta(h)["scaler"] = `{"Kind":"minmax","Offset":[0,0,0,0,0,0],"Scale":[1,1,1,1,1,1],"Bias":1}`
			return b
		}), `the scaler: unknown field "Bias"`},
		{edit(func(h map[string]any, b []byte) []byte {
			tensor(h, "0.weight")["dType"] = tensor(h, "0.weight")["dtype"]
			delete(tensor(h, "0.weight"), "dtype")
			return b
		}), `tensor 0.weight has no "dtype"`},
		{edit(func(h map[string]any, b []byte) []byte { tensor(h, "0.bias")["grad"] = []int{}; return b }), `tensor 0.bias: unknown field "grad"`},
		{edit(func(h map[string]any, b []byte) []byte {
			tensor(h, "0.bias")["data_offsets"] = []int{240, 280, 0}
			return b
		}), "two integer data offsets"},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["author"] = "me"; return b }), `__metadata__: unknown field "author"`},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["inputs"] = 6; return b }), "__metadata__ inputs: expected a string, found 6"},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["torch"] = "nn.Sequential()"; return b }), `__metadata__ torch is "nn.Sequential()", but the layers make`},
		{edit(func(h map[string]any, b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8*7:], math.Float64bits(math.NaN())) // 0.weight [1, 1]
			return b
		}), "tensor 0.weight: element [1, 1] is NaN: every parameter must be a finite number"},
		{edit(func(h map[string]any, b []byte) []byte {
			binary.LittleEndian.PutUint64(b[8*31:], math.Float64bits(math.Inf(-1))) // 0.bias [1]
			return b
		}), "tensor 0.bias: element [1] is -Inf"},
		{raw(`{"__metadata__":{"format":"perceptron","version":"1","inputs":"3000000","layers":"3000000:sigmoid","loss":"bce","dtype":"float32","torch":""}}`),
			"__metadata__: layer 1 (3000000×3000000 weights) takes the network past 2147483647 parameters"},
		{raw(`{"__metadata__":{"format":"perceptron","version":"1","inputs":"4611686018427387904","layers":"4:sigmoid","loss":"bce","dtype":"float64","torch":""}}`),
			"layer 1 (4×4611686018427387904 weights)"},
		{raw(`{"__metadata__":{"format":"perceptron","version":"1","inputs":"1000000","layers":"1000:sigmoid","loss":"bce","dtype":"float64",` +
			`"torch":"nn.Sequential(nn.Linear(1000000, 1000), nn.Sigmoid())"}}`),
			"the metadata describes a network of 1000001000 parameters (8000008000 bytes of tensor data), but the file has 0 bytes of tensor data"},
		{raw(`{"__metadata__":{},"__metadata__":{}}`), `header: key "__metadata__" appears twice`},
		{raw(`{"__metadata__":{}} {}`), "header is not valid JSON: data after the object"},
		{raw(`[]`), "header is not valid JSON: expected an object"},
	} {
		_, err := modelfile.Decode(c.data)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}

// raw returns a file of the header js and no tensor data.
func raw(js string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, uint64(len(js))), js...)
}

func TestDecodeAllocatesOnlyWhatTheFileHolds(t *testing.T) {
	claim := raw(`{"__metadata__":{"format":"perceptron","version":"1","inputs":"40000","layers":"40000:sigmoid","loss":"bce","dtype":"float64",` +
		`"torch":"nn.Sequential(nn.Linear(40000, 40000), nn.Sigmoid())"}}`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := modelfile.Decode(claim)
	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, "a network of 1600040000 parameters")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated for a 12.8 GB network the file does not hold")
}

func TestLoadRefusesSpecialFiles(t *testing.T) {
	_, err := modelfile.Load(t.TempDir())
	assert.ErrorContains(t, err, "a directory, not a model file")
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = modelfile.Load("/dev/zero")
		assert.ErrorContains(t, err, "/dev/zero: a device, not a model file", "an endless file is not read")
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("nope"), 0o644))
	_, err := modelfile.Load(path)
	assert.ErrorContains(t, err, "broken.safetensors: not a safetensors file")
}

func TestWriteAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	require.NoError(t, os.WriteFile(path, []byte("previous"), 0o644))
	err := modelfile.WriteAtomic(path, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("disk full")
	})
	require.ErrorContains(t, err, "disk full")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "previous", string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	require.NoError(t, modelfile.WriteAtomic(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }))
	data, _ = os.ReadFile(path)
	assert.Equal(t, "new", string(data))
}

func TestWriteAtomicRefusesWhatItWouldDestroy(t *testing.T) {
	dir := t.TempDir()
	target := write(t, dir, "real.safetensors", "precious")
	link := filepath.Join(dir, "link.safetensors")
	require.NoError(t, os.Symlink(target, link))
	for _, c := range []struct{ path, want string }{
		{link, "link.safetensors is a symbolic link, not a regular file: perceptron replaces only regular files"},
		{dir, "is a directory, not a regular file"},
		{"/dev/null", "/dev/null is a device, not a regular file"},
		{filepath.Join(dir, "missing", "m.safetensors"), "cannot write " + filepath.Join(dir, "missing", "m.safetensors") + ": the folder " + filepath.Join(dir, "missing") + " does not exist"},
	} {
		err := modelfile.WriteAtomic(c.path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err })
		assert.ErrorContains(t, err, c.want, c.path)
		assert.ErrorContains(t, modelfile.CheckWritable(c.path), c.want, "CheckWritable says the same before any work")
	}
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "precious", string(data), "the link's target is untouched")
	st, err := os.Lstat(link)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&os.ModeSymlink, "the link is still a link")
	require.NoError(t, modelfile.CheckWritable(filepath.Join(dir, "new.safetensors")))
	assert.NoFileExists(t, filepath.Join(dir, "new.safetensors"), "CheckWritable writes nothing")
}

func TestWriteAtomicRemovesTheTempFilesOfEndedProcesses(t *testing.T) {
	dir := t.TempDir()
	dead := write(t, dir, ".m.safetensors.1073741824.tmp", "left by a killed save") // above any pid_max
	live := write(t, dir, fmt.Sprintf(".m.safetensors.%d.tmp", os.Getppid()), "a save under way")
	other := write(t, dir, ".n.safetensors.1073741824.tmp", "another file's")
	require.NoError(t, modelfile.WriteAtomic(filepath.Join(dir, "m.safetensors"), func(w io.Writer) error { _, err := w.Write([]byte("m")); return err }))
	assert.NoFileExists(t, dead)
	assert.FileExists(t, live, "a running process's temporary file is left alone")
	assert.FileExists(t, other, "only the temporary files of the path being written")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "m.safetensors and the two kept: its own temporary file is gone")
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}
