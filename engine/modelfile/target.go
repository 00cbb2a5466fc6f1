package modelfile

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// FoldTarget returns a copy of net, a regression network trained on
// labels standardised by target (dataset.FitTargets), that outputs the
// labels' own units: output j becomes y/target.Scale[j] + target.Offset[j],
// folded into the output layer's parameters (engine.Network.MapOutputs).
// A model file holds the folded network, so that every reader of it (eval,
// predict, serve, the ONNX and PyTorch exports, a Predictor) gets outputs
// in the labels' units with nothing more to apply.
func FoldTarget(net *engine.Network, target *dataset.Scaler) (*engine.Network, error) {
	k := len(target.Scale)
	scale, offset := make([]float64, k), make([]float64, k)
	for j, s := range target.Scale {
		scale[j], offset[j] = 1/s, target.Offset[j]
	}
	return mapped(net, scale, offset)
}

// UnfoldTarget is FoldTarget's inverse, up to rounding: the network that
// outputs the standardised targets, which a warm start trains on.
func UnfoldTarget(net *engine.Network, target *dataset.Scaler) (*engine.Network, error) {
	k := len(target.Scale)
	scale, offset := make([]float64, k), make([]float64, k)
	for j, s := range target.Scale {
		scale[j], offset[j] = s, -target.Offset[j]*s
	}
	return mapped(net, scale, offset)
}

// mapped returns a copy of net mapped by MapOutputs.
func mapped(net *engine.Network, scale, offset []float64) (*engine.Network, error) {
	c := net.Clone()
	if err := c.MapOutputs(scale, offset); err != nil {
		return nil, fmt.Errorf("the targets' standardisation: %w", err)
	}
	return c, nil
}

// parseTarget parses __metadata__["target"] for a network of spec: the
// fields of a scaler exactly, kind standard, one offset and one finite
// scale above 0 per output, and a linear output layer (the only one a
// standardisation folds into).
func parseTarget(js string, spec engine.Spec) (*dataset.Scaler, error) {
	sc := new(dataset.Scaler)
	if err := strictJSON([]byte(js), "__metadata__ target", sc, []string{"Kind", "Offset", "Scale"}, nil); err != nil {
		return nil, err
	}
	if err := checkTarget(sc, spec); err != nil {
		return nil, fmt.Errorf("__metadata__ target: %w", err)
	}
	return sc, nil
}

// checkTarget reports what makes sc no standardisation of the targets of
// a network of spec.
func checkTarget(sc *dataset.Scaler, spec engine.Spec) error {
	out := spec.Layers[len(spec.Layers)-1]
	switch {
	case sc.Kind != dataset.Standardise:
		return fmt.Errorf("kind %q, expected %q", sc.Kind, dataset.Standardise)
	case out.Activation != engine.Linear:
		return fmt.Errorf("the output layer is %s: only a linear output's targets are standardised", out.Activation)
	case len(sc.Offset) != out.Units || len(sc.Scale) != out.Units:
		return fmt.Errorf("%d offsets and %d scales for %d outputs", len(sc.Offset), len(sc.Scale), out.Units)
	}
	for j, s := range sc.Scale {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(sc.Offset[j]) || math.IsInf(sc.Offset[j], 0) {
			return fmt.Errorf("output %d: offset %g, scale %g: expected a finite offset and a finite scale above 0", j+1, sc.Offset[j], s)
		}
	}
	return nil
}

// targetMeta returns the JSON of __metadata__["target"], checked.
func targetMeta(sc *dataset.Scaler, spec engine.Spec) (string, error) {
	if err := checkTarget(sc, spec); err != nil {
		return "", fmt.Errorf("the targets' standardisation: %w", err)
	}
	js, err := json.Marshal(sc)
	return string(js), err
}
