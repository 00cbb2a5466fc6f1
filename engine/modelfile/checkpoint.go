package modelfile

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Checkpoint is what a checkpoint file holds: the state of a fit (see
// engine.Checkpoint), the feature scaling or preprocessing of its data (as
// Model has them), and the settings of the command that made it, for the
// command to resume with.
//
// The file is a model file (Load reads its model) with more tensors and
// metadata: the optimizer's state as "optimizer.SLOT.0.weight", … (SLOT as
// torch.optim names it: momentum_buffer, exp_avg, exp_avg_sq), the early
// stopping's best parameters as "best.0.weight", …, the order of the
// examples ("order", I64), the generator's state ("rng", U8) and the
// history ("history", F64, one row of HistoryColumns per epoch); the rest is
// JSON in __metadata__["checkpoint"], and Settings in ["settings"].
//
// A fit on standardised targets (Target, as Model has it) trains a network
// whose outputs are standardised: the file's model is that network folded
// (FoldTarget), as a model file's, and the output layer as the fit has it
// is stored as "standardised.K.weight" and "standardised.K.bias" (K its
// module), so that Fit.Network resumes exactly.
type Checkpoint struct {
	Fit      *engine.Checkpoint
	Scaler   *dataset.Scaler
	Prep     *dataset.Preprocessor
	Target   *dataset.Scaler
	Settings map[string]string
}

// HistoryColumns are the columns of a checkpoint's history tensor.
var HistoryColumns = []string{"epoch", "loss", "train_acc", "val_loss", "val_acc", "seconds", "examples_per_s", "lr"}

// maxExamples and maxRNG bound what a checkpoint's metadata may claim
// before the file's size is checked.
const (
	maxExamples = 1 << 40
	maxRNG      = 1 << 16
)

// checkpointMeta is __metadata__["checkpoint"].
type checkpointMeta struct {
	Epoch     int           `json:"epoch"`
	Done      int           `json:"done"`
	Partial   totalsMeta    `json:"partial"`
	Optimizer optimizerMeta `json:"optimizer"`
	Schedule  string        `json:"schedule"`
	Warmup    int           `json:"warmup_epochs"`
	LR        float64       `json:"lr"`
	Batch     int           `json:"batch"`
	Epochs    int           `json:"epochs"`
	Examples  int           `json:"examples"`
	History   int           `json:"history"`
	RNG       int           `json:"rng"`
	Early     *earlyMeta    `json:"early,omitempty"`
	Monitor   string        `json:"monitor,omitempty"`
	ClipNorm  float64       `json:"clip_norm,omitempty"`
	ClipValue float64       `json:"clip_value,omitempty"`
	Plateau   *plateauMeta  `json:"plateau,omitempty"`
	Data      *dataMeta     `json:"data,omitempty"`
}

// checkpointOptional are the keys a checkpoint of a fit without the
// setting leaves out.
var checkpointOptional = []string{"early", "monitor", "clip_norm", "clip_value", "plateau", "data"}

// dataMeta is the fit's engine.DataChecksums, which a checkpoint of an
// earlier perceptron leaves out.
type dataMeta struct {
	Train              uint32 `json:"train_crc32c"`
	Validation         uint32 `json:"validation_crc32c"`
	ValidationExamples int    `json:"validation_examples"`
}

var dataKeys = []string{"train_crc32c", "validation_crc32c", "validation_examples"}

// plateauMeta is a plateau schedule's state (engine.PlateauState); Best is
// a string, as it starts at ±Inf.
type plateauMeta struct {
	Best      string  `json:"best"`
	BadEpochs int     `json:"bad_epochs"`
	Cooldown  int     `json:"cooldown"`
	LR        float64 `json:"lr"`
}

var plateauKeys = []string{"best", "bad_epochs", "cooldown", "lr"}

var checkpointKeys = []string{"epoch", "done", "partial", "optimizer", "schedule", "warmup_epochs", "lr", "batch", "epochs", "examples", "history", "rng"}

type totalsMeta struct {
	Loss     float64 `json:"loss"`
	Correct  int     `json:"correct"`
	Examples int     `json:"examples"`
}

var totalsKeys = []string{"loss", "correct", "examples"}

type optimizerMeta struct {
	Kind        string  `json:"kind"`
	Momentum    float64 `json:"momentum"`
	Nesterov    bool    `json:"nesterov"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
}

var optimizerKeys = []string{"kind", "momentum", "nesterov", "beta1", "beta2", "eps", "weight_decay"}

// earlyMeta is the early stopping's state; BestLoss is a string, as it
// starts at +Inf, which JSON has no number for.
type earlyMeta struct {
	Patience  int     `json:"patience"`
	MinDelta  float64 `json:"min_delta"`
	BestEpoch int     `json:"best_epoch"`
	BestLoss  string  `json:"best_loss"`
	Wait      int     `json:"wait"`
	Stopped   bool    `json:"stopped"`
	Best      bool    `json:"best"`
}

var earlyKeys = []string{"patience", "min_delta", "best_epoch", "best_loss", "wait", "stopped", "best"}

// SaveCheckpoint writes ck to path atomically (see WriteAtomic).
func SaveCheckpoint(path string, ck Checkpoint) error {
	return WriteAtomic(path, func(w io.Writer) error { return EncodeCheckpoint(w, ck) })
}

// EncodeCheckpoint writes ck in the safetensors format.
func EncodeCheckpoint(w io.Writer, ck Checkpoint) error {
	f := ck.Fit
	model := Model{Network: f.Network, Scaler: ck.Scaler, Prep: ck.Prep, Target: ck.Target}
	if ck.Target != nil {
		var err error
		if model.Network, err = FoldTarget(f.Network, ck.Target); err != nil {
			return err
		}
	}
	meta, err := modelMeta(model)
	if err != nil {
		return err
	}
	o := f.Optimizer
	cm := checkpointMeta{Epoch: f.Epoch, Done: f.Done, Partial: totalsMeta{f.Partial.Loss, f.Partial.Correct, f.Partial.Examples},
		Optimizer: optimizerMeta{o.Kind.String(), o.Momentum, o.Nesterov, o.Beta1, o.Beta2, o.Eps, o.WeightDecay},
		Schedule:  f.Schedule.String(), Warmup: f.Schedule.WarmupEpochs, LR: f.LearningRate, Batch: f.BatchSize, Epochs: f.Epochs,
		Examples: f.Examples, History: len(f.History), RNG: len(f.RNG)}
	if e := f.Early; e != nil {
		cm.Early = &earlyMeta{e.Patience, e.MinDelta, e.BestEpoch, strconv.FormatFloat(e.BestLoss, 'g', -1, 64), e.Wait, e.Stopped, f.Best != nil}
	}
	if f.Monitor != engine.ValLoss {
		cm.Monitor = f.Monitor.String()
	}
	cm.ClipNorm, cm.ClipValue = f.Clip.Norm, f.Clip.Value
	if p := f.Plateau; p != nil {
		cm.Plateau = &plateauMeta{strconv.FormatFloat(p.Best, 'g', -1, 64), p.BadEpochs, p.Cooldown, p.LR}
	}
	if d := f.Data; d != nil {
		cm.Data = &dataMeta{d.Train, d.Validation, d.ValidationExamples}
	}
	js, err := json.Marshal(cm)
	if err != nil {
		return err
	}
	meta["checkpoint"] = string(js)
	if ck.Settings != nil {
		js, err := json.Marshal(ck.Settings)
		if err != nil {
			return err
		}
		meta["settings"] = string(js)
	}
	ts := withParams(model.Network, "")
	if ck.Target != nil {
		ts = append(ts, withParams(f.Network, standardisedPrefix)[2*len(f.Network.Layers)-2:]...)
	}
	for k, slot := range o.SlotNames() {
		ts = append(ts, withParams(f.State[k], "optimizer."+slot+".")...)
	}
	if f.Best != nil {
		ts = append(ts, withParams(f.Best, "best.")...)
	}
	history := make([]float64, 0, len(f.History)*len(HistoryColumns))
	for _, s := range f.History {
		history = append(history, float64(s.Epoch), s.Loss, s.TrainAccuracy, s.ValLoss, s.ValAccuracy, s.Seconds, s.ExamplesPerSec, s.LearningRate)
	}
	ts = append(ts,
		tensor{name: "order", dtype: "I64", shape: []int{len(f.Order)}, ints: f.Order},
		tensor{name: "rng", dtype: "U8", shape: []int{len(f.RNG)}, raw: f.RNG},
		tensor{name: "history", dtype: "F64", shape: []int{len(f.History), len(HistoryColumns)}, floats: history})
	sum, err := contentSum(meta, func(w io.Writer) error { return writeData(w, ts) })
	if err != nil {
		return err
	}
	meta[checksumKey] = fmt.Sprintf("%08x", sum)
	return encode(w, meta, ts)
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint, checked as
// Load checks a model file, and more: the checkpoint's metadata, its
// tensors and its history. Errors name the file.
func LoadCheckpoint(path string) (Checkpoint, error) {
	_, ck, err := readPath(path)
	if err == nil && ck == nil {
		err = fmt.Errorf("%s: a model file, not a checkpoint (written by train --checkpoint)", path)
	}
	if err != nil {
		return Checkpoint{}, err
	}
	return *ck, nil
}

// DecodeCheckpoint parses a checkpoint held in data, checked as
// LoadCheckpoint checks a file.
func DecodeCheckpoint(data []byte) (Checkpoint, error) {
	src, err := bytesSource(data)
	if err != nil {
		return Checkpoint{}, err
	}
	_, ck, err := read(src)
	if err == nil && ck == nil {
		err = fmt.Errorf("a model file, not a checkpoint (written by train --checkpoint)")
	}
	if err != nil {
		return Checkpoint{}, err
	}
	return *ck, nil
}

// checkpointPlan is a checkpoint's metadata, read and checked, and the
// tensors it implies beyond the model's.
type checkpointPlan struct {
	meta     checkpointMeta
	opt      engine.Optimizer
	schedule engine.Schedule
	monitor  engine.Monitor
	plateau  *engine.PlateauState
	settings map[string]string
	spec     engine.Spec
	// standardised: the fit's output layer is stored apart (Checkpoint).
	standardised bool
	tensors      []tensor
}

// standardisedPrefix names the output layer of a checkpoint's fit on
// standardised targets.
const standardisedPrefix = "standardised."

// planCheckpoint reads __metadata__["checkpoint"] (and ["settings"]) of a
// network of spec, whose fit standardised its targets or not, and lists the
// tensors they imply.
func planCheckpoint(js, settings string, spec engine.Spec, standardised bool) (*checkpointPlan, error) {
	p := &checkpointPlan{spec: spec, standardised: standardised}
	m := &p.meta
	fields, err := objectFields([]byte(js), "__metadata__ checkpoint")
	if err != nil {
		return nil, err
	}
	if err := exactKeys(fields, "__metadata__ checkpoint", checkpointKeys, checkpointOptional); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(js), m); err != nil {
		return nil, fmt.Errorf("__metadata__ checkpoint: %w", err)
	}
	for _, sub := range []struct {
		key  string
		v    any
		keys []string
	}{{"partial", &m.Partial, totalsKeys}, {"optimizer", &m.Optimizer, optimizerKeys}, {"early", m.Early, earlyKeys}, {"plateau", m.Plateau, plateauKeys}, {"data", m.Data, dataKeys}} {
		if raw, ok := fields[sub.key]; ok {
			if err := strictJSON(raw, "__metadata__ checkpoint "+sub.key, sub.v, sub.keys, nil); err != nil {
				return nil, err
			}
		}
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("__metadata__ checkpoint: %w", err)
	}
	if settings != "" {
		if err := json.Unmarshal([]byte(settings), &p.settings); err != nil {
			return nil, fmt.Errorf("__metadata__ settings: expected an object of strings: %w", err)
		}
	}
	if standardised {
		p.tensors = append(p.tensors, paramTensors(spec, standardisedPrefix)[2*len(spec.Layers)-2:]...)
	}
	for _, slot := range p.opt.SlotNames() {
		p.tensors = append(p.tensors, paramTensors(spec, "optimizer."+slot+".")...)
	}
	if m.Early != nil && m.Early.Best {
		p.tensors = append(p.tensors, paramTensors(spec, "best.")...)
	}
	p.tensors = append(p.tensors,
		tensor{name: "order", dtype: "I64", shape: []int{m.Examples}},
		tensor{name: "rng", dtype: "U8", shape: []int{m.RNG}},
		tensor{name: "history", dtype: "F64", shape: []int{m.History, len(HistoryColumns)}})
	return p, nil
}

// check reports the first of the checkpoint's figures out of range.
func (p *checkpointPlan) check() error {
	m := &p.meta
	kind, err := engine.ParseOptimizer(m.Optimizer.Kind)
	if err != nil {
		return err
	}
	o := m.Optimizer
	p.opt = engine.Optimizer{Kind: kind, Momentum: o.Momentum, Nesterov: o.Nesterov, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: o.WeightDecay}
	if err := p.opt.Validate(); err != nil {
		return err
	}
	if p.schedule, err = engine.ParseSchedule(m.Schedule); err != nil {
		return err
	}
	p.schedule.WarmupEpochs = m.Warmup
	if err := p.schedule.Validate(); err != nil {
		return err
	}
	if m.Monitor != "" {
		if p.monitor, err = engine.ParseMonitor(m.Monitor); err != nil {
			return err
		}
	}
	if err := (engine.Clipping{Norm: m.ClipNorm, Value: m.ClipValue}).Validate(); err != nil {
		return err
	}
	if (m.Plateau != nil) != (p.schedule.Kind == engine.Plateau) {
		return fmt.Errorf("the plateau state does not fit the schedule %s", p.schedule)
	}
	if s := m.Plateau; s != nil {
		best, err := strconv.ParseFloat(s.Best, 64)
		if err != nil || s.BadEpochs < 0 || s.Cooldown < 0 || !(s.LR >= 0) || math.IsInf(s.LR, 0) {
			return fmt.Errorf("the plateau state (best %q, bad epochs %d, cooldown %d, lr %g) is out of range", s.Best, s.BadEpochs, s.Cooldown, s.LR)
		}
		p.plateau = &engine.PlateauState{Best: best, BadEpochs: s.BadEpochs, Cooldown: s.Cooldown, LR: s.LR}
	}
	switch {
	case !(m.LR > 0) || math.IsInf(m.LR, 0):
		return fmt.Errorf("learning rate %g, expected a number above 0", m.LR)
	case m.Batch < 1 || m.Epochs < 1 || m.Epoch < 0 || m.Epoch > m.Epochs:
		return fmt.Errorf("batch %d, epoch %d of %d: expected a batch of 1 or more and an epoch from 0 to the epochs", m.Batch, m.Epoch, m.Epochs)
	case m.Examples < 1 || m.Examples > maxExamples || m.Done < 0 || m.Done > m.Examples:
		return fmt.Errorf("%d examples, %d of them done: expected 1 to %d examples", m.Examples, m.Done, maxExamples)
	case m.Partial.Examples != m.Done || m.Partial.Correct < 0 || m.Partial.Correct > m.Done:
		return fmt.Errorf("partial totals of %d examples, %d correct, for %d done", m.Partial.Examples, m.Partial.Correct, m.Done)
	case m.History < 0 || m.History > min(m.Epoch, engine.MaxHistory) || m.RNG < 0 || m.RNG > maxRNG:
		return fmt.Errorf("%d epochs of history after %d, %d bytes of generator state: out of range", m.History, m.Epoch, m.RNG)
	}
	if d := m.Data; d != nil && (d.ValidationExamples < 0 || d.ValidationExamples > maxExamples) {
		return fmt.Errorf("data: %d validation examples, expected 0 to %d", d.ValidationExamples, maxExamples)
	}
	if e := m.Early; e != nil {
		best, err := strconv.ParseFloat(e.BestLoss, 64)
		if err != nil || e.Patience < 1 || e.Wait < 0 || e.BestEpoch < 0 || e.BestEpoch > m.Epoch || e.Best != (e.BestEpoch > 0) || math.IsNaN(best) {
			return fmt.Errorf("early stopping's state (best epoch %d, loss %q, wait %d, patience %d) is out of range", e.BestEpoch, e.BestLoss, e.Wait, e.Patience)
		}
	}
	return nil
}

// sameFold refuses a checkpoint whose fit's network, folded by the
// model's Target, is not the model's network bit for bit: the two output
// layers of a fit on standardised targets must say the same.
func sameFold(fit *engine.Network, model Model, name string) error {
	folded, err := FoldTarget(fit, model.Target)
	if err != nil {
		return fmt.Errorf("tensor %s: %w", name, err)
	}
	last := len(folded.Layers) - 1
	want := append(slices.Clone(folded.Layers[last].W), folded.Layers[last].B...)
	got := append(slices.Clone(model.Network.Layers[last].W), model.Network.Layers[last].B...)
	for i, v := range want {
		if math.Float64bits(v) != math.Float64bits(got[i]) {
			return fmt.Errorf("tensor %s: the fit's output layer, mapped to the labels' units by the target, is not the model's output layer", name)
		}
	}
	return nil
}

// checkpoint assembles the checkpoint from the model and the tensors the
// plan listed, decoded.
func (p *checkpointPlan) checkpoint(model Model, ts []tensor) (*Checkpoint, error) {
	m := &p.meta
	f := &engine.Checkpoint{Network: model.Network, Epoch: m.Epoch, Done: m.Done,
		Partial:   engine.Totals{Loss: m.Partial.Loss, Correct: m.Partial.Correct, Examples: m.Partial.Examples},
		Optimizer: p.opt, Schedule: p.schedule, Monitor: p.monitor, Clip: engine.Clipping{Norm: m.ClipNorm, Value: m.ClipValue},
		Plateau: p.plateau, LearningRate: m.LR, BatchSize: m.Batch, Epochs: m.Epochs, Examples: m.Examples}
	if d := m.Data; d != nil {
		f.Data = &engine.DataChecksums{Train: d.Train, Validation: d.Validation, ValidationExamples: d.ValidationExamples}
	}
	layers := 2 * len(p.spec.Layers)
	if p.standardised {
		f.Network = model.Network.Clone()
		out := &f.Network.Layers[len(f.Network.Layers)-1]
		copy(out.W, ts[0].floats)
		copy(out.B, ts[1].floats)
		if err := sameFold(f.Network, model, ts[0].name); err != nil {
			return nil, err
		}
		ts = ts[2:]
	}
	for range p.opt.SlotNames() {
		f.State = append(f.State, network(p.spec, ts[:layers]))
		ts = ts[layers:]
	}
	if e := m.Early; e != nil {
		best, _ := strconv.ParseFloat(e.BestLoss, 64) // check parsed it
		f.Early = &engine.EarlyStopping{Patience: e.Patience, MinDelta: e.MinDelta, BestEpoch: e.BestEpoch, BestLoss: best, Wait: e.Wait, Stopped: e.Stopped}
		if e.Best {
			f.Best = network(p.spec, ts[:layers])
			ts = ts[layers:]
		}
	}
	f.Order, f.RNG = ts[0].ints, ts[1].raw
	rows, cols := ts[2].floats, len(HistoryColumns)
	prev := 0
	for r := 0; r < m.History; r++ {
		row := rows[r*cols : (r+1)*cols]
		epoch := int(row[0])
		if float64(epoch) != row[0] || epoch <= prev || epoch > m.Epoch {
			return nil, fmt.Errorf("tensor history: row %d is of epoch %g, expected epochs rising from 1 to %d", r, row[0], m.Epoch)
		}
		prev = epoch
		f.History = append(f.History, engine.EpochStats{Epoch: epoch, Loss: row[1], TrainAccuracy: row[2], ValLoss: row[3],
			ValAccuracy: row[4], Seconds: row[5], ExamplesPerSec: row[6], LearningRate: row[7]})
	}
	return &Checkpoint{Fit: f, Scaler: model.Scaler, Prep: model.Prep, Target: model.Target, Settings: p.settings}, nil
}
