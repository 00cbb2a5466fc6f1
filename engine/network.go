package engine

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LayerSpec describes one dense layer: its number of units (neurons), its
// activation and the probability of dropout on its outputs.
type LayerSpec struct {
	Units      int
	Activation Activation
	// Dropout is the probability, in [0, 1), with which training zeroes each
	// of the layer's outputs (after the activation), scaling the others by
	// 1/(1−Dropout): inverted dropout, as torch's nn.Dropout. Evaluation and
	// prediction use every output as it is. 0 means no dropout; the output
	// layer has none.
	Dropout float64
}

// Spec is a network's architecture: the input size, the hidden and output
// layers in order, the training loss and the dtype it computes in.
type Spec struct {
	Inputs int
	Layers []LayerSpec
	Loss   Loss
	DType  DType
}

// Outputs returns the number of units of the output layer.
func (s Spec) Outputs() int { return s.Layers[len(s.Layers)-1].Units }

// Classifier reports whether the network classifies: its output layer is
// sigmoid (one unit: class 1 above 0.5; more: one-hot) or softmax. Any other
// output makes it a regression.
func (s Spec) Classifier() bool {
	out := s.Layers[len(s.Layers)-1].Activation
	return out == Sigmoid || out == Softmax
}

// MaxParams bounds a network's parameter count (2³¹−1): every index and size
// a kernel takes stays within 32 bits.
const MaxParams = math.MaxInt32

// Params returns the number of trainable parameters of a network of this
// spec, Σ units·(inputs+1) over the layers, or an error when it exceeds
// MaxParams. It expects sizes of at least 1 (see Validate).
func (s Spec) Params() (int, error) {
	total, in := 0, s.Inputs
	for i, l := range s.Layers {
		// units·(in+1) ≤ MaxParams−total, checked without overflowing.
		if in >= (MaxParams-total)/l.Units {
			return 0, fmt.Errorf("layer %d (%d×%d weights) takes the network past %d parameters, the most perceptron trains",
				i+1, l.Units, in, MaxParams)
		}
		total += l.Units * (in + 1)
		in = l.Units
	}
	return total, nil
}

// Validate reports the first thing wrong with s: sizes below 1, more than
// MaxParams parameters, softmax anywhere but the output layer or over fewer
// than 2 units, a dropout outside [0, 1) or on the output layer, or a loss
// that cannot train the output.
func (s Spec) Validate() error {
	if s.Inputs < 1 {
		return fmt.Errorf("the network needs at least 1 input, found %d", s.Inputs)
	}
	if len(s.Layers) == 0 {
		return errors.New("the network needs at least one layer")
	}
	for i, l := range s.Layers {
		if l.Units < 1 {
			return fmt.Errorf("layer %d: needs at least 1 unit, found %d", i+1, l.Units)
		}
		if l.Activation < Linear || l.Activation > Softmax {
			return fmt.Errorf("layer %d: unknown activation %s", i+1, l.Activation)
		}
		if l.Activation == Softmax && i != len(s.Layers)-1 {
			return fmt.Errorf("layer %d: softmax is for the output layer only", i+1)
		}
		if l.Activation == Softmax && l.Units < 2 {
			return fmt.Errorf("layer %d: softmax needs at least 2 units, found %d (its one output would always be 1): for two classes use 1:sigmoid", i+1, l.Units)
		}
		if err := checkDropout(l.Dropout); err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		if l.Dropout > 0 && i == len(s.Layers)-1 {
			return fmt.Errorf("layer %d: the output layer cannot have dropout (found dropout=%g): put it on a hidden layer", i+1, l.Dropout)
		}
	}
	if _, err := s.Params(); err != nil {
		return err
	}
	if s.DType != Float32 && s.DType != Float64 {
		return fmt.Errorf("unknown dtype %s", s.DType)
	}
	return CheckLoss(s.Loss, s.Layers[len(s.Layers)-1].Activation)
}

// FormatLayers writes layers as the command line's --layers flag spells
// them: "128:relu:dropout=0.2,10:softmax" (a layer without dropout has no
// dropout= part).
func FormatLayers(layers []LayerSpec) string {
	parts := make([]string, len(layers))
	for i, l := range layers {
		parts[i] = fmt.Sprintf("%d:%s", l.Units, l.Activation)
		if l.Dropout != 0 {
			parts[i] += ":dropout=" + strconv.FormatFloat(l.Dropout, 'g', -1, 64)
		}
	}
	return strings.Join(parts, ",")
}

// ParseLayers parses a list like "128:relu:dropout=0.2,10:softmax" into
// layer specs: UNITS:ACTIVATION, optionally followed by :dropout=P.
func ParseLayers(s string) ([]LayerSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no layers given: expected a list like 128:relu,10:softmax")
	}
	var layers []LayerSpec
	for i, part := range strings.Split(s, ",") {
		units, act, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("layer %d %q: expected UNITS:ACTIVATION, like 128:relu", i+1, part)
		}
		act, option, hasOption := strings.Cut(act, ":")
		dropout := 0.0
		if hasOption {
			var err error
			if dropout, err = parseDropout(option); err != nil {
				return nil, fmt.Errorf("layer %d %q: %w", i+1, part, err)
			}
		}
		n, err := strconv.Atoi(units)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("layer %d %q: units must be a positive integer, found %q", i+1, part, units)
		}
		a, err := ParseActivation(act)
		if err != nil {
			return nil, fmt.Errorf("layer %d %q: %w", i+1, part, err)
		}
		layers = append(layers, LayerSpec{Units: n, Activation: a, Dropout: dropout})
	}
	return layers, nil
}

// Layer is one dense layer with its parameters: W is Units×Inputs row-major
// (row i holds neuron i's weights) and B holds Units biases.
type Layer struct {
	Inputs, Units int
	Activation    Activation
	W, B          []float64
}

// Network is a multilayer perceptron: its Spec and its layers' parameters.
// Parameters are kept in float64 on the host; a Float32 network holds values
// that float32 represents exactly, so conversions to and from a backend's
// float32 buffers are lossless.
type Network struct {
	Spec   Spec
	Layers []Layer
}

// NewNetwork returns a network shaped by spec with parameters drawn by init
// from rng, layer by layer, W before b.
func NewNetwork(spec Spec, init Init, rng RNG) (*Network, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if init < InitAuto || init > InitHe {
		return nil, fmt.Errorf("unknown init %s", init)
	}
	net := Zeros(spec)
	for i := range net.Layers {
		initLayer(init, net.Layers[i].Activation, &net.Layers[i], rng)
	}
	net.round()
	return net, nil
}

// Zeros returns a network shaped by spec with all parameters zero. It panics
// if spec is invalid; call Spec.Validate first.
func Zeros(spec Spec) *Network {
	if err := spec.Validate(); err != nil {
		panic("engine: Zeros: " + err.Error())
	}
	spec.Layers = append([]LayerSpec(nil), spec.Layers...)
	net := &Network{Spec: spec}
	in := spec.Inputs
	for _, l := range spec.Layers {
		net.Layers = append(net.Layers, Layer{
			Inputs: in, Units: l.Units, Activation: l.Activation,
			W: make([]float64, l.Units*in), B: make([]float64, l.Units),
		})
		in = l.Units
	}
	return net
}

// round rounds every parameter to the network's dtype.
func (n *Network) round() {
	for _, l := range n.Layers {
		for i, v := range l.W {
			l.W[i] = n.Spec.DType.Round(v)
		}
		for i, v := range l.B {
			l.B[i] = n.Spec.DType.Round(v)
		}
	}
}

// Clone returns a deep copy of n.
func (n *Network) Clone() *Network {
	c := Zeros(n.Spec)
	for i, l := range n.Layers {
		copy(c.Layers[i].W, l.W)
		copy(c.Layers[i].B, l.B)
	}
	return c
}

// Params returns the number of trainable parameters.
func (n *Network) Params() int {
	total := 0
	for _, l := range n.Layers {
		total += len(l.W) + len(l.B)
	}
	return total
}

// MapOutputs changes n in place so that it outputs scale[j]·y + offset[j]
// where its output j was y, for every input: its output layer's row j of W
// and its bias j are multiplied by scale[j], and offset[j] is added to the
// bias (each rounded to the dtype). It takes a linear output layer, the
// only one whose outputs a change of its parameters maps so, and refuses a
// mapping that takes a parameter past the dtype's range, leaving n as it
// was. A regression trained on standardised targets is mapped back to the
// labels' units this way (see modelfile.FoldTarget), so that every reader
// of the network gets outputs in those units.
func (n *Network) MapOutputs(scale, offset []float64) error {
	out := &n.Layers[len(n.Layers)-1]
	if out.Activation != Linear {
		return fmt.Errorf("the output layer is %s: only a linear output layer's outputs can be mapped by its parameters", out.Activation)
	}
	if len(scale) != out.Units || len(offset) != out.Units {
		return fmt.Errorf("%d scales and %d offsets for %d outputs", len(scale), len(offset), out.Units)
	}
	w, b := make([]float64, len(out.W)), make([]float64, len(out.B))
	for j := range out.Units {
		for i := j * out.Inputs; i < (j+1)*out.Inputs; i++ {
			w[i] = n.Spec.DType.Round(scale[j] * out.W[i])
		}
		b[j] = n.Spec.DType.Round(scale[j]*out.B[j] + offset[j])
	}
	for _, v := range append(w, b...) {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("mapping the outputs takes a parameter of the output layer to %g, past %s's range", v, n.Spec.DType)
		}
	}
	copy(out.W, w)
	copy(out.B, b)
	return nil
}
