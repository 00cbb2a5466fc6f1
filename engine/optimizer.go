package engine

import (
	"fmt"
	"math"
	"strings"
)

// OptimizerKind names an optimizer.
type OptimizerKind int

const (
	// SGD is stochastic gradient descent, with optional momentum (heavy-ball
	// or Nesterov) and coupled weight decay, as torch.optim.SGD.
	SGD OptimizerKind = iota
	// Adam is torch.optim.Adam: bias-corrected first and second moments,
	// and weight decay added to the gradient (L2).
	Adam
	// AdamW is torch.optim.AdamW: Adam with the weight decay applied to the
	// parameters directly, before the step (decoupled).
	AdamW
)

var optimizerNames = [...]string{SGD: "sgd", Adam: "adam", AdamW: "adamw"}

// String returns the optimizer's name as the command line spells it.
func (k OptimizerKind) String() string { return enumName(optimizerNames[:], "OptimizerKind", k) }

// ParseOptimizer parses an optimizer name: sgd, adam, adamw.
func ParseOptimizer(s string) (OptimizerKind, error) {
	return parseEnum[OptimizerKind](optimizerNames[:], "optimizer", s)
}

// Optimizer says how a step turns the gradient g of a parameter p into an
// update, exactly as torch.optim documents it, at step t (from 1) with
// learning rate lr:
//
//	SGD:   g += wd·p;  buf = μ·buf + g;  g = nesterov ? g + μ·buf : buf (when μ ≠ 0);  p -= lr·g
//	Adam:  g += wd·p;  m = β₁·m + (1−β₁)·g;  v = β₂·v + (1−β₂)·g²
//	       p -= (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
//	AdamW: p *= 1 − lr·wd;  then Adam without wd
//
// The zero value is plain SGD, the course's algorithm: p -= lr·g.
type Optimizer struct {
	Kind OptimizerKind
	// Momentum is SGD's μ (0: none); Nesterov uses Nesterov's momentum.
	Momentum float64
	Nesterov bool
	// Beta1, Beta2 and Eps are Adam's β₁, β₂ and ε (torch's defaults: 0.9,
	// 0.999, 1e-8; see DefaultOptimizer).
	Beta1, Beta2, Eps float64
	// WeightDecay is wd: L2 added to the gradient for SGD and Adam,
	// decoupled for AdamW.
	WeightDecay float64
}

// DefaultOptimizer returns the optimizer of kind k with torch.optim's
// defaults: no momentum for SGD, β₁ 0.9, β₂ 0.999, ε 1e-8 for Adam and
// AdamW, and AdamW's weight decay of 0.01.
func DefaultOptimizer(k OptimizerKind) Optimizer {
	switch k {
	case Adam:
		return Optimizer{Kind: Adam, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	case AdamW:
		return Optimizer{Kind: AdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	}
	return Optimizer{Kind: k}
}

// String spells the optimizer and its settings: "sgd", "sgd(momentum 0.9,
// nesterov)", "adam(beta1 0.9, beta2 0.999, eps 1e-08)".
func (o Optimizer) String() string {
	var parts []string
	if o.Momentum != 0 {
		parts = append(parts, fmt.Sprintf("momentum %g", o.Momentum))
	}
	if o.Nesterov {
		parts = append(parts, "nesterov")
	}
	if o.Kind != SGD {
		parts = append(parts, fmt.Sprintf("beta1 %g, beta2 %g, eps %g", o.Beta1, o.Beta2, o.Eps))
	}
	if o.WeightDecay != 0 {
		parts = append(parts, fmt.Sprintf("weight decay %g", o.WeightDecay))
	}
	if len(parts) == 0 {
		return o.Kind.String()
	}
	return o.Kind.String() + "(" + strings.Join(parts, ", ") + ")"
}

// Validate reports the first setting out of range.
func (o Optimizer) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case o.Kind < SGD || o.Kind > AdamW:
		return fmt.Errorf("unknown optimizer %s", o.Kind)
	case !(o.WeightDecay >= 0) || !finite(o.WeightDecay):
		return fmt.Errorf("weight decay must be a finite number of 0 or more, found %g", o.WeightDecay)
	case o.Kind != SGD && (o.Momentum != 0 || o.Nesterov):
		return fmt.Errorf("momentum and nesterov are for sgd; %s keeps its own moments (beta1, beta2)", o.Kind)
	case o.Kind == SGD && !(o.Momentum >= 0 && o.Momentum < 1):
		return fmt.Errorf("momentum must be in [0, 1), found %g", o.Momentum)
	case o.Nesterov && o.Momentum == 0:
		return fmt.Errorf("nesterov needs a momentum above 0")
	case o.Kind == SGD && (o.Beta1 != 0 || o.Beta2 != 0 || o.Eps != 0):
		return fmt.Errorf("beta1, beta2 and eps are for adam and adamw, not sgd")
	case o.Kind != SGD && !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("beta1 and beta2 must be in [0, 1), found %g and %g", o.Beta1, o.Beta2)
	case o.Kind != SGD && !(o.Eps > 0 && finite(o.Eps)):
		return fmt.Errorf("eps must be a finite number above 0, found %g", o.Eps)
	}
	return nil
}

// Slots returns how many values of state the optimizer keeps per
// parameter: SGD's momentum buffer, Adam's two moments.
func (o Optimizer) Slots() int {
	switch {
	case o.Kind != SGD:
		return 2
	case o.Momentum != 0:
		return 1
	}
	return 0
}

// Plain reports whether o is plain SGD, p -= lr·g, which a backend may fold
// into its backward pass.
func (o Optimizer) Plain() bool { return o == Optimizer{} }

// SlotNames returns the names torch.optim gives the state Slots counts:
// momentum_buffer, or exp_avg and exp_avg_sq.
func (o Optimizer) SlotNames() []string {
	switch o.Slots() {
	case 1:
		return []string{"momentum_buffer"}
	case 2:
		return []string{"exp_avg", "exp_avg_sq"}
	}
	return nil
}

// Coefficients are the numbers of an optimizer step that every parameter
// shares, computed in float64: the learning rate LR, Adam's step size
// lr/(1−β₁ᵗ) and bias correction √(1−β₂ᵗ), and AdamW's decay 1 − lr·wd.
// Update rounds them to the parameters' precision; a backend computes them
// on its host and hands them to its kernels, which round them alike.
type Coefficients struct {
	LR, StepSize, BiasCorrection2, Decay float64
}

// Coefficients returns the coefficients of step t (counted from 1) at
// learning rate lr.
func (o Optimizer) Coefficients(t int, lr float64) Coefficients {
	c := Coefficients{LR: lr, Decay: 1 - float64(lr*o.WeightDecay)} // rounded, unfused, as in Update
	if o.Kind != SGD {
		c.StepSize = lr / (1 - math.Pow(o.Beta1, float64(t)))
		c.BiasCorrection2 = math.Sqrt(1 - math.Pow(o.Beta2, float64(t)))
	}
	return c
}

// Update applies one step of o to the parameters p given their gradients
// g, with state slots s (Slots of them, each as long as p), at step t
// (counted from 1) with learning rate lr. It is the CPU twin of the
// optimizer kernels, and the reference of every backend. Each product is
// rounded before it is added (the conversions to T), so that Go fuses no
// multiply-add where it may (arm64, GOAMD64=v3) and the values are the same
// on every architecture, and those of the kernels, to the bit.
func Update[T Float](o Optimizer, p, g []T, s [][]T, t int, lr float64) {
	wd := T(o.WeightDecay)
	switch o.Kind {
	case SGD:
		step, mu := T(lr), T(o.Momentum)
		if mu == 0 {
			for i, gi := range g {
				if wd != 0 {
					gi += T(wd * p[i])
				}
				p[i] -= T(step * gi)
			}
			return
		}
		buf := s[0]
		for i, gi := range g {
			if wd != 0 {
				gi += T(wd * p[i])
			}
			buf[i] = T(mu*buf[i]) + gi
			if o.Nesterov {
				gi += T(mu * buf[i])
			} else {
				gi = buf[i]
			}
			p[i] -= T(step * gi)
		}
	case Adam, AdamW:
		b1, b2, c1, c2 := T(o.Beta1), T(o.Beta2), T(1-o.Beta1), T(1-o.Beta2)
		c := o.Coefficients(t, lr)
		stepSize, bc2Sqrt, decay := T(c.StepSize), T(c.BiasCorrection2), T(c.Decay)
		eps := T(o.Eps)
		m, v := s[0], s[1]
		for i, gi := range g {
			switch {
			case o.Kind == AdamW:
				p[i] *= decay
			case wd != 0:
				gi += T(wd * p[i])
			}
			m[i] = T(b1*m[i]) + T(c1*gi)
			v[i] = T(b2*v[i]) + T(c2*gi*gi)
			p[i] -= T(stepSize * (m[i] / (sqrt(v[i])/bc2Sqrt + eps)))
		}
	}
}

// sqrt returns √v in v's precision.
func sqrt[T Float](v T) T { return T(math.Sqrt(float64(v))) }
