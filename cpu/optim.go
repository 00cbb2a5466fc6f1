package cpu

import (
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// adamCoefficients are the numbers every parameter of an Adam or AdamW step
// shares, in the element type, in the order the assembly kernel reads them.
type adamCoefficients[T engine.Float] struct {
	decay, b1, c1, b2, c2, stepSize, bc2Sqrt, eps T
}

// optimize applies one step of o to the parameters p from their gradients
// g, as engine.Update does (same arguments, same bits): Adam and AdamW on
// the vector kernel where it runs (haveFMA) and o adds no weight decay to
// Adam's gradients, engine.Update otherwise and for the last values that
// fill no register.
func optimize[T engine.Float](o engine.Optimizer, p, g []T, s [][]T, t int, lr float64) {
	vector := haveFMA && (o.Kind == engine.AdamW || o.Kind == engine.Adam && o.WeightDecay == 0)
	if !vector {
		engine.Update(o, p, g, s, t, lr)
		return
	}
	co := o.Coefficients(t, lr)
	c := adamCoefficients[T]{decay: 1, b1: T(o.Beta1), c1: T(1 - o.Beta1), b2: T(o.Beta2), c2: T(1 - o.Beta2),
		stepSize: T(co.StepSize), bc2Sqrt: T(co.BiasCorrection2), eps: T(o.Eps)}
	if o.Kind == engine.AdamW {
		c.decay = T(co.Decay)
	}
	m, v := s[0][:len(p)], s[1][:len(p)]
	g = g[:len(p)]
	width := 8
	if is64[T]() {
		width = 4
	}
	n := len(p) / width
	if n > 0 {
		if is64[T]() {
			adamF64(&f64(p)[0], &f64(g)[0], &f64(m)[0], &f64(v)[0], n, (*adamCoefficients[float64])(unsafe.Pointer(&c)))
		} else {
			adamF32(&f32(p)[0], &f32(g)[0], &f32(m)[0], &f32(v)[0], n, (*adamCoefficients[float32])(unsafe.Pointer(&c)))
		}
	}
	done := n * width
	engine.Update(o, p[done:], g[done:], [][]T{m[done:], v[done:]}, t, lr)
}
