package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
)

// FuzzParseLayers feeds --layers arbitrary text. What it accepts has layers
// of at least one unit with known activations, and formats back to text
// that parses to the same layers.
func FuzzParseLayers(f *testing.F) {
	for _, seed := range []string{"128:relu,10:softmax", " 6:relu , 1:sigmoid", "9223372036854775807:relu,1:sigmoid", "0:relu", "+5:tanh", "3:", ":relu", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		layers, err := engine.ParseLayers(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, layers)
		for _, l := range layers {
			require.GreaterOrEqual(t, l.Units, 1)
			require.True(t, l.Activation >= engine.Linear && l.Activation <= engine.Softmax)
		}
		again, err := engine.ParseLayers(engine.FormatLayers(layers))
		require.NoError(t, err)
		assert.Equal(t, layers, again)
		spec := engine.Spec{Inputs: 784, Layers: layers, Loss: engine.DefaultLoss(layers[len(layers)-1].Activation)}
		if spec.Validate() == nil {
			n, err := spec.Params()
			require.NoError(t, err)
			assert.LessOrEqual(t, n, engine.MaxParams)
		}
	})
}
