package modelfile_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// TestPredictorAppliesPreprocessing loads a tabular model and a scaled one
// from their files and requires that the Predictor of each gives what the
// network gives on rows prepared as eval and predict prepare them: the
// preprocessor's Transform of the table, the scaler applied to a copy.
func TestPredictorAppliesPreprocessing(t *testing.T) {
	be := cpu.New()
	for _, dtype := range []engine.DType{engine.Float64, engine.Float32} {
		t.Run("prep/"+dtype.String(), func(t *testing.T) {
			prep := preprocessor(t)
			m := saveLoad(t, modelfile.Model{Network: network(t, dtype), Prep: prep})
			p, err := m.Predictor(be)
			require.NoError(t, err)
			defer p.Close()
			assert.Equal(t, []string{"x", "y", "z"}, p.ClassNames())
			const csv = "label,color,b,a\nx,blue,3,2\ny,purple,,9\nz,,1.5,-4\n"
			tab, err := dataset.ReadTable(strings.NewReader(csv), "new.csv", dataset.ReadOptions{})
			require.NoError(t, err)
			set, _, err := m.Prep.Transform(tab, nil)
			require.NoError(t, err)
			want, err := engine.Predict(be, m.Network, set.Float64s(), set.N)
			require.NoError(t, err)
			rows := []map[string]string{
				{"a": "2", "b": "3", "color": "blue", "ignored": "1"},
				{"a": "9", "b": "", "color": "purple"},
				{"a": "-4", "b": "1.5", "color": "NA"},
			}
			k := p.Outputs()
			for i, row := range rows {
				got := make([]float64, k)
				require.NoError(t, p.PredictRow(got, row))
				assert.InDeltaSlice(t, want[i*k:(i+1)*k], got, 1e-6, "row %d", i)
			}
			err = p.PredictRow(make([]float64, k), map[string]string{"a": "1", "color": "red"})
			assert.ErrorContains(t, err, `no cell for column "b"`)
			err = p.PredictRow(make([]float64, k), map[string]string{"a": "one", "b": "1", "color": "red"})
			assert.ErrorContains(t, err, "column a")

			features := make([]float64, set.N*k)
			require.NoError(t, p.PredictFeatures(features, set.Float64s()))
			assert.InDeltaSlice(t, want, features, 1e-6, "the features Transform made")
			assert.ErrorContains(t, p.PredictInto(features, set.Float64s()), "give a row's raw cells to PredictRow",
				"numbers are no raw row of a tabular model: refused, not predicted wrongly")
			assert.ErrorContains(t, p.PredictInto32(make([]float32, k), make([]float32, p.Inputs())), "PredictFeatures")
		})
		t.Run("scaler/"+dtype.String(), func(t *testing.T) {
			sc := &dataset.Scaler{Kind: dataset.Standardise, Offset: []float64{1, -2, 0.5, 3, 0, 10}, Scale: []float64{0.5, 2, 1, 0.25, 4, 0.1}}
			m := saveLoad(t, modelfile.Model{Network: network(t, dtype), Scaler: sc})
			p, err := m.Predictor(be)
			require.NoError(t, err)
			assert.Nil(t, p.ClassNames())
			raw := []float64{3, -1, 0.5, 7, 0.25, 12, -1, 0, 2, 3, -0.5, 30}
			scaled := append([]float64(nil), raw...)
			m.Scaler.Apply(scaled)
			want, err := engine.Predict(be, m.Network, scaled, 2)
			require.NoError(t, err)
			got := make([]float64, 2*p.Outputs())
			require.NoError(t, p.PredictInto(got, raw))
			assert.InDeltaSlice(t, want, got, 1e-6)
			unscaled, err := engine.Predict(be, m.Network, raw, 2)
			require.NoError(t, err)
			assert.NotEqual(t, unscaled, got, "the scaler changes the outputs of these rows")
			assert.ErrorContains(t, p.PredictFeatures(got, raw), "give its raw rows to PredictInto", "features would skip the scaler")
			err = p.PredictRow(make([]float64, p.Outputs()), map[string]string{"a": "1"})
			assert.ErrorContains(t, err, "no tabular preprocessor")
		})
	}
}

// saveLoad writes m to a file and reads it back.
func saveLoad(t *testing.T, m modelfile.Model) modelfile.Model {
	t.Helper()
	path := t.TempDir() + "/m.safetensors"
	require.NoError(t, modelfile.Save(path, m))
	back, err := modelfile.Load(path)
	require.NoError(t, err)
	return back
}
