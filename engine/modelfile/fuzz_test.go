package modelfile_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// FuzzDecode feeds Decode arbitrary files. Whatever it accepts must be a
// whole, finite network whose tensors are exactly the file's data (or a
// checkpoint that survives EncodeCheckpoint → DecodeCheckpoint), and must
// survive an Encode → Decode round trip unchanged. testdata/fuzz/FuzzDecode
// holds the files that crashed earlier versions.
func FuzzDecode(f *testing.F) {
	for _, dtype := range []engine.DType{engine.Float32, engine.Float64} {
		layers, err := engine.ParseLayers("3:relu,2:softmax")
		require.NoError(f, err)
		net, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: engine.CE, DType: dtype}, engine.InitAuto, engine.NewRNG(1))
		require.NoError(f, err)
		var buf bytes.Buffer
		require.NoError(f, modelfile.Encode(&buf, modelfile.Model{Network: net,
			Scaler: &dataset.Scaler{Kind: dataset.MinMax, Offset: []float64{0, 1}, Scale: []float64{2, 0.5}}}))
		f.Add(buf.Bytes())
	}
	var withPrep bytes.Buffer
	require.NoError(f, modelfile.Encode(&withPrep, modelfile.Model{Network: network(f, engine.Float32), Prep: preprocessor(f)}))
	f.Add(withPrep.Bytes())
	var ck, standardised bytes.Buffer
	require.NoError(f, modelfile.EncodeCheckpoint(&ck, checkpoint(f, false)))
	f.Add(ck.Bytes())
	require.NoError(f, modelfile.EncodeCheckpoint(&standardised, regressionCheckpoint(f)))
	f.Add(standardised.Bytes())
	f.Add(raw(`{"__metadata__":{},"__metadata__":{}}`))
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := modelfile.Decode(data)
		if err != nil {
			return
		}
		net := m.Network
		params, err := net.Spec.Params()
		require.NoError(t, err, "an accepted file's spec is valid")
		require.Equal(t, params, net.Params(), "the network has the parameters its spec counts")
		n := binary.LittleEndian.Uint64(data)
		if ck, err := modelfile.DecodeCheckpoint(data); err == nil {
			var buf bytes.Buffer
			require.NoError(t, modelfile.EncodeCheckpoint(&buf, ck))
			again, err := modelfile.DecodeCheckpoint(buf.Bytes())
			require.NoError(t, err, "what DecodeCheckpoint accepts, EncodeCheckpoint writes readably")
			sameCheckpoints(t, ck, again)
		} else {
			assert.Equal(t, uint64(len(data))-8-n, uint64(params*net.Spec.DType.Size()), "a model's tensors are exactly the file's data")
		}
		for _, l := range net.Layers {
			for _, v := range append(append([]float64(nil), l.W...), l.B...) {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "a parameter is %g", v)
			}
		}
		if m.Scaler != nil {
			require.Len(t, m.Scaler.Scale, net.Spec.Inputs)
			require.NotContains(t, m.Scaler.Scale, 0.0)
		}
		if m.Prep != nil {
			require.Nil(t, m.Scaler, "a model has a scaler or preprocessing, not both")
			require.Equal(t, net.Spec.Inputs, m.Prep.Features(), "the preprocessing makes the network's inputs")
			require.Len(t, m.Prep.FeatureNames(), m.Prep.Features())
		}
		var buf bytes.Buffer
		require.NoError(t, modelfile.Encode(&buf, m))
		again, err := modelfile.Decode(buf.Bytes())
		require.NoError(t, err, "what Decode accepts, Encode writes readably")
		assert.Equal(t, m, again, "the round trip keeps the model")
	})
}
