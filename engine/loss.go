package engine

import (
	"fmt"
	"math"
)

// Loss is the per-example training loss.
type Loss int

const (
	// BCE is binary cross-entropy summed over the outputs, the course's loss:
	// L = -Σ_k y_k·log ŷ_k + (1-y_k)·log(1-ŷ_k). It needs a sigmoid output.
	BCE Loss = iota
	// MSE is the mean squared error over the K outputs: L = Σ_k (ŷ_k - y_k)²/K.
	MSE
	// CE is categorical cross-entropy, L = -Σ_k y_k·log ŷ_k. It needs a softmax output.
	CE
)

var lossNames = [...]string{BCE: "bce", MSE: "mse", CE: "ce"}

// String returns the loss's name as the command line spells it.
func (l Loss) String() string { return enumName(lossNames[:], "Loss", l) }

// ParseLoss parses a loss name: bce, mse, ce.
func ParseLoss(s string) (Loss, error) { return parseEnum[Loss](lossNames[:], "loss", s) }

// DefaultLoss returns the loss that goes with an output activation:
// ce for softmax, bce for sigmoid, mse for the others.
func DefaultLoss(out Activation) Loss {
	switch out {
	case Softmax:
		return CE
	case Sigmoid:
		return BCE
	}
	return MSE
}

// CheckLoss reports why loss l cannot train an output layer with activation
// out, or nil when it can.
func CheckLoss(l Loss, out Activation) error {
	switch {
	case l == BCE && out != Sigmoid:
		return fmt.Errorf("loss bce needs a sigmoid output layer, found %s", out)
	case l == CE && out != Softmax:
		return fmt.Errorf("loss ce needs a softmax output layer, found %s", out)
	case out == Softmax && l != CE:
		return fmt.Errorf("a softmax output layer needs loss ce, found %s", l)
	case l != BCE && l != MSE && l != CE:
		return fmt.Errorf("unknown loss %s", l)
	}
	return nil
}

// LogFloor is the smallest value whose logarithm a loss takes: outputs that
// saturate at 0 or 1 cost at most -log(LogFloor) ≈ 34.5 instead of +Inf.
const LogFloor = 1e-15

func clampedLog(v float64) float64 { return math.Log(max(v, LogFloor)) }

// bceFactors is how many factors of at least LogFloor (1e-15) bce's loss
// multiplies before it takes their log: 20 of them multiply to at least
// 1e-300, where float64 keeps its whole precision.
const bceFactors = 20

// ExampleLoss returns one example's loss for outputs a and targets y,
// computed in float64 whatever T is. Logarithms are taken of values no
// smaller than LogFloor, so a saturated output never gives NaN or Inf.
func ExampleLoss[T Float](l Loss, a, y []T) float64 {
	var loss float64
	switch l {
	case BCE:
		// Where a target is 0 or 1, one of its two terms is 0·log, and the
		// other is the log of a factor q ≥ LogFloor: the loss takes the log
		// of the product of up to bceFactors of them, not a log of each.
		prod, factors := 1.0, 0
		for k, p := range a {
			var q float64
			switch t := float64(y[k]); t {
			case 0:
				q = 1 - float64(p)
			case 1:
				q = float64(p)
			default:
				loss -= t*clampedLog(float64(p)) + (1-t)*clampedLog(1-float64(p))
				continue
			}
			prod *= max(q, LogFloor)
			if factors++; factors == bceFactors {
				loss -= math.Log(prod)
				prod, factors = 1, 0
			}
		}
		loss -= math.Log(prod)
	case CE:
		for k, p := range a {
			if y[k] != 0 {
				loss -= float64(y[k]) * clampedLog(float64(p))
			}
		}
	case MSE:
		for k, p := range a {
			d := float64(p) - float64(y[k])
			loss += d * d
		}
		loss /= float64(len(a))
	default:
		panic("engine: unknown loss " + l.String())
	}
	return loss
}

// ConstantLoss returns the mean loss l of the best constant output on
// targets y (rows of outputs values): the targets' mean, output by output,
// which is what a network that learnt nothing but the targets' frequencies
// (a classifier) or their mean (a regression) outputs. It is the baseline
// a fit must beat to have learnt anything from its inputs: log 2 for two
// balanced classes under bce, log k for k balanced classes under ce, the
// targets' variance under mse. It returns NaN for no targets.
func ConstantLoss(l Loss, y []float64, outputs int) float64 {
	n := len(y) / outputs
	if n == 0 {
		return math.NaN()
	}
	mean := make([]float64, outputs)
	for i, v := range y[:n*outputs] {
		mean[i%outputs] += v
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	var sum float64
	for r := range n {
		sum += ExampleLoss(l, mean, y[r*outputs:(r+1)*outputs])
	}
	return sum / float64(n)
}

// OutputGrad returns one example's loss (ExampleLoss) and whether it is
// classified correctly (Correct), and sets dz to the gradient of the loss with
// respect to the output layer's pre-activation z, given z, a = f(z) and the
// target y.
//
// Sigmoid with bce and softmax with ce use the fused, stable form dz = ŷ - y;
// mse goes through the activation's derivative: dz = 2(ŷ - y)/K ⊙ f'(z).
func OutputGrad[T Float](l Loss, act Activation, dz, z, a, y []T) (loss float64, correct bool) {
	if l == MSE {
		scale := 2 / T(len(a))
		for k, p := range a {
			dz[k] = scale * (p - y[k])
		}
		Delta(act, dz, dz, z, a)
	} else {
		for k, p := range a {
			dz[k] = p - y[k]
		}
	}
	return ExampleLoss(l, a, y), Correct(a, y)
}

// Weigh scales one example's output gradient dz by its weight w and returns
// its loss times w: the weighted loss of a batch of B examples is
// Σ w_i·l_i / B, as Keras' sample_weight has it (torch's mean with weights
// divides by Σ w_i instead, which at batch 1 cancels the weight). The
// kernels' weighting is its GPU twin.
func Weigh[T Float](dz []T, loss, w float64) float64 {
	tw := T(w)
	for k := range dz {
		dz[k] *= tw
	}
	return loss * w
}

// Correct reports whether output a classifies target y correctly: for one
// output, both on the same side of 0.5; otherwise argmax a = argmax y.
func Correct[T Float](a, y []T) bool {
	if len(a) == 1 {
		return (a[0] > 0.5) == (y[0] > 0.5)
	}
	return Argmax(a) == Argmax(y)
}

// Argmax returns the index of the largest value, the first one on a tie.
func Argmax[T Float](v []T) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
