package engine

import "math"

// Activation is a layer's elementwise non-linearity (softmax: over the layer).
type Activation int

const (
	// Linear is f(z) = z.
	Linear Activation = iota
	// ReLU is f(z) = max(0, z), with f'(z) = 1 where z > 0 and 0 elsewhere.
	ReLU
	// Sigmoid is f(z) = 1/(1+exp(-z)).
	Sigmoid
	// Tanh is f(z) = tanh(z).
	Tanh
	// Softmax is f(z)_i = exp(z_i)/Σ_j exp(z_j); output layer only, with the ce loss.
	Softmax
)

var activationNames = [...]string{Linear: "linear", ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh", Softmax: "softmax"}

// String returns the activation's name as the command line spells it.
func (a Activation) String() string { return enumName(activationNames[:], "Activation", a) }

// ParseActivation parses an activation name: linear, relu, sigmoid, tanh, softmax.
func ParseActivation(s string) (Activation, error) {
	return parseEnum[Activation](activationNames[:], "activation", s)
}

// Float is the set of element types a backend computes in.
type Float interface{ float32 | float64 }

// Activate sets a = f(z), where z and a hold rows of cols values each
// (softmax is taken over each row). a and z may be the same slice.
func Activate[T Float](act Activation, a, z []T, cols int) {
	switch act {
	case Linear:
		copy(a, z)
	case ReLU:
		for i, v := range z {
			a[i] = max(v, 0)
		}
	case Sigmoid:
		for i, v := range z {
			a[i] = T(1 / (1 + math.Exp(-float64(v))))
		}
	case Tanh:
		for i, v := range z {
			a[i] = T(math.Tanh(float64(v)))
		}
	case Softmax:
		for r := 0; r+cols <= len(z); r += cols {
			softmax(a[r:r+cols], z[r:r+cols])
		}
	default:
		panic("engine: unknown activation " + act.String())
	}
}

// softmax sets a = exp(z - max z) / Σ exp(z - max z), which never overflows.
func softmax[T Float](a, z []T) {
	m := z[0]
	for _, v := range z[1:] {
		m = max(m, v)
	}
	var sum float64
	for i, v := range z {
		e := math.Exp(float64(v - m))
		a[i] = T(e)
		sum += e
	}
	for i := range a {
		a[i] = T(float64(a[i]) / sum)
	}
}

// Delta sets dz = da ⊙ f'(z) given z and a = f(z). dz and da may be the same
// slice. It panics for Softmax, whose gradient the ce loss fuses into the
// output gradient (see OutputGrad).
func Delta[T Float](act Activation, dz, da, z, a []T) {
	switch act {
	case Linear:
		copy(dz, da)
	case ReLU:
		for i, v := range z {
			if v > 0 {
				dz[i] = da[i]
			} else {
				dz[i] = 0
			}
		}
	case Sigmoid:
		for i, s := range a {
			dz[i] = da[i] * (s * (1 - s))
		}
	case Tanh:
		for i, t := range a {
			dz[i] = da[i] * (1 - t*t)
		}
	default:
		panic("engine: Delta of " + act.String() + " is fused into the output gradient")
	}
}
