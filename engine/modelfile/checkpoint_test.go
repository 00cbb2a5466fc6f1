package modelfile_test

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// checkpoint returns a checkpoint of Adam with early stopping, mid-epoch,
// whose history holds NaN accuracies (a regression) and whose best loss
// is finite, or +Inf and no best parameters when fresh is set.
func checkpoint(t testing.TB, fresh bool) modelfile.Checkpoint {
	net := network(t, engine.Float32)
	opt := engine.DefaultOptimizer(engine.Adam)
	state := engine.NewOptimizerState(opt, net.Spec)
	state[0].Layers[1].W[3], state[1].Layers[2].B[0] = 0.25, float64(float32(1e-9)) // a float32 network's state is float32
	f := &engine.Checkpoint{Network: net, State: state, Epoch: 2, Done: 5, Partial: engine.Totals{Loss: 3.5, Correct: 4, Examples: 5},
		Order: []int{3, 0, 6, 1, 5, 2, 4}, RNG: []byte{1, 2, 3, 250}, Optimizer: opt,
		Schedule: engine.Schedule{Kind: engine.Cosine, WarmupEpochs: 1}, LearningRate: 0.001, BatchSize: 2, Epochs: 9, Examples: 7,
		History: engine.History{
			{Epoch: 1, Loss: 0.9, TrainAccuracy: math.NaN(), ValLoss: 0.8, ValAccuracy: math.NaN(), Seconds: 0.5, ExamplesPerSec: 14, LearningRate: 0.0005},
			{Epoch: 2, Loss: 0.7, TrainAccuracy: math.NaN(), ValLoss: 0.85, ValAccuracy: math.NaN(), Seconds: 0.25, ExamplesPerSec: 28, LearningRate: 0.001},
		},
		Early: &engine.EarlyStopping{Patience: 3, MinDelta: 0.01, BestEpoch: 1, BestLoss: 0.8, Wait: 1}}
	f.Best = net.Clone()
	f.Best.Layers[0].B[0] = -0.125
	if fresh {
		f.Early = &engine.EarlyStopping{Patience: 3, BestLoss: math.Inf(1)}
		f.Best = nil
	}
	return modelfile.Checkpoint{Fit: f, Scaler: &dataset.Scaler{Kind: dataset.Standardise, Offset: make([]float64, 6), Scale: []float64{1, 2, 3, 4, 5, 6}},
		Settings: map[string]string{"data": "csv:d.csv", "layers": "5:relu,4:linear,3:softmax"}}
}

// sameBits requires two slices of floats to be equal bit for bit (NaN included).
func sameBits(t *testing.T, want, got []float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]), "%s[%d]", what, i)
	}
}

// sameCheckpoints requires two checkpoints to be equal, NaN for NaN.
func sameCheckpoints(t *testing.T, want, got modelfile.Checkpoint) {
	t.Helper()
	w, g := *want.Fit, *got.Fit
	require.Len(t, g.History, len(w.History))
	for i := range w.History {
		a, b := w.History[i], g.History[i]
		assert.Equal(t, a.Epoch, b.Epoch)
		sameBits(t, []float64{a.Loss, a.TrainAccuracy, a.ValLoss, a.ValAccuracy, a.Seconds, a.ExamplesPerSec, a.LearningRate},
			[]float64{b.Loss, b.TrainAccuracy, b.ValLoss, b.ValAccuracy, b.Seconds, b.ExamplesPerSec, b.LearningRate}, "history")
	}
	w.History, g.History = nil, nil
	assert.Equal(t, w, g)
	assert.Equal(t, want.Scaler, got.Scaler)
	assert.Equal(t, want.Prep, got.Prep)
	assert.Equal(t, want.Target, got.Target)
	assert.Equal(t, want.Settings, got.Settings)
}

func TestCheckpointRoundTrip(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		ck := checkpoint(t, fresh)
		path := filepath.Join(t.TempDir(), "ck.safetensors")
		require.NoError(t, modelfile.SaveCheckpoint(path, ck))
		got, err := modelfile.LoadCheckpoint(path)
		require.NoError(t, err)
		sameCheckpoints(t, ck, got)
		m, err := modelfile.Load(path)
		require.NoError(t, err, "a checkpoint is a model file too")
		assert.Equal(t, ck.Fit.Network, m.Network)
		assert.Equal(t, ck.Scaler, m.Scaler)
	}
	ck := checkpoint(t, true) // a plateau schedule watching the accuracy, with clipping: their settings and state go round too
	ck.Fit.Schedule, ck.Fit.Monitor, ck.Fit.Clip = engine.Schedule{Kind: engine.Plateau, Patience: 2, Factor: 0.5, Threshold: 0.01, Cooldown: 1, MinLR: 1e-5},
		engine.ValAccuracy, engine.Clipping{Norm: 1.5}
	ck.Fit.Early.BestLoss = math.Inf(-1)
	ck.Fit.Plateau = &engine.PlateauState{Best: math.Inf(-1), BadEpochs: 1, Cooldown: 1, LR: 0.0005}
	var buf bytes.Buffer
	require.NoError(t, modelfile.EncodeCheckpoint(&buf, ck))
	got, err := modelfile.DecodeCheckpoint(buf.Bytes())
	require.NoError(t, err)
	sameCheckpoints(t, ck, got)

	model := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, modelfile.Save(model, modelfile.Model{Network: network(t, engine.Float64)}))
	_, err = modelfile.LoadCheckpoint(model)
	assert.ErrorContains(t, err, "m.safetensors: a model file, not a checkpoint (written by train --checkpoint)")
}

func TestDecodeCheckpointErrors(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, modelfile.EncodeCheckpoint(&buf, checkpoint(t, false)))
	good := buf.Bytes()
	meta := func(h map[string]any) map[string]any { return h["__metadata__"].(map[string]any) }
	edit := func(f func(h map[string]any, body []byte) []byte) []byte { // as a checkpoint that records no checksum
		h, body := header(t, good)
		delete(meta(h), "checksum")
		body = f(h, append([]byte(nil), body...))
		return encode(t, h, body)
	}
	setCheckpoint := func(js string) []byte {
		return edit(func(h map[string]any, b []byte) []byte { meta(h)["checkpoint"] = js; return b })
	}
	base := `"epoch":2,"done":5,"partial":{"loss":3.5,"correct":4,"examples":5},` +
		`"optimizer":{"kind":"adam","momentum":0,"nesterov":false,"beta1":0.9,"beta2":0.999,"eps":1e-8,"weight_decay":0},` +
		`"schedule":"cosine","warmup_epochs":1,"lr":0.001,"batch":2,"epochs":9,"history":2,"rng":4`
	early := `,"early":{"patience":3,"min_delta":0.01,"best_epoch":1,"best_loss":"0.8","wait":1,"stopped":false,"best":true}`
	_, err := modelfile.DecodeCheckpoint(setCheckpoint("{" + base + `,"examples":7` + early + "}"))
	require.NoError(t, err, "the base metadata is the checkpoint's own")
	for i, c := range []struct {
		data []byte
		want string
	}{
		{setCheckpoint("{" + base + early + "}"), `__metadata__ checkpoint has no "examples"`},
		{setCheckpoint("{" + base + `,"examples":7,"Examples":7` + early + "}"), `__metadata__ checkpoint: unknown field "Examples"`},
		{setCheckpoint("{" + base + `,"examples":1099511627777` + early + "}"), "__metadata__ checkpoint: 1099511627777 examples, 5 of them done: expected 1 to 1099511627776"},
		{setCheckpoint("{" + base + `,"examples":70000000` + early + "}"), "and its checkpoint (560001316 bytes of tensor data), but the file has 1372"},
		{setCheckpoint("{" + base + `,"examples":7,"early":{"patience":3}}`), `__metadata__ checkpoint early has no "min_delta"`},
		{setCheckpoint("{" + base + `,"examples":7` + `,"early":{"patience":3,"min_delta":0.01,"best_epoch":1,"best_loss":"NaN","wait":1,"stopped":false,"best":true}}`),
			"early stopping's state"},
		{setCheckpoint("{" + base + `,"examples":7,"plateau":{"best":"Inf","bad_epochs":0,"cooldown":0,"lr":0.001}` + early + "}"),
			"__metadata__ checkpoint: the plateau state does not fit the schedule cosine"},
		{setCheckpoint("{" + strings.Replace(base, `"cosine","warmup_epochs":1`, `"plateau:2:0.5","warmup_epochs":0`, 1) + `,"examples":7,"plateau":{"best":"x","bad_epochs":0,"cooldown":0,"lr":0.001}` + early + "}"),
			`the plateau state (best "x", bad epochs 0, cooldown 0, lr 0.001) is out of range`},
		{setCheckpoint("{" + base + `,"examples":7,"monitor":"val_f1"` + early + "}"), `unknown monitor "val_f1"`},
		{setCheckpoint("{" + base + `,"examples":7,"clip_norm":-1` + early + "}"), "gradient clipping by norm must be a finite number above 0 (0: off), found -1"},
		{edit(func(h map[string]any, b []byte) []byte { meta(h)["settings"] = `{"data":1}`; return b }), "__metadata__ settings: expected an object of strings"},
		{edit(func(h map[string]any, b []byte) []byte { delete(h, "rng"); return b }), "tensor rng is missing"},
		{edit(func(h map[string]any, b []byte) []byte {
			hist := h["history"].(map[string]any)["data_offsets"].([]any)
			at := int(hist[0].(float64)) + 8*len(modelfile.HistoryColumns) // row 1's epoch
			copy(b[at:], []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f})             // 1.0
			return b
		}), "tensor history: row 1 is of epoch 1, expected epochs rising from 1 to 2"},
	} {
		_, err := modelfile.DecodeCheckpoint(c.data)
		require.Error(t, err, "case %d", i)
		assert.Contains(t, err.Error(), c.want, "case %d", i)
	}
}
