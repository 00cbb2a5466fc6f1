package engine

import "math"

// Init is how a layer's parameters are drawn before training.
type Init int

const (
	// InitAuto picks He for relu layers and Xavier for the others.
	InitAuto Init = iota
	// InitUniform draws W and b from U(-1, 1), W first, as the course does.
	InitUniform
	// InitXavier draws W from U(-a, a), a = √(6/(in+out)); b = 0.
	InitXavier
	// InitHe draws W from N(0, 2/in); b = 0.
	InitHe
)

var initNames = [...]string{InitAuto: "auto", InitUniform: "uniform", InitXavier: "xavier", InitHe: "he"}

// String returns the initialiser's name as the command line spells it.
func (in Init) String() string { return enumName(initNames[:], "Init", in) }

// ParseInit parses an initialiser name: auto, uniform, xavier, he.
func ParseInit(s string) (Init, error) { return parseEnum[Init](initNames[:], "init", s) }

// initLayer draws the parameters of one layer from rng.
func initLayer(in Init, act Activation, l *Layer, rng RNG) {
	if in == InitAuto {
		in = InitXavier
		if act == ReLU {
			in = InitHe
		}
	}
	switch in {
	case InitUniform:
		for i := range l.W {
			l.W[i] = rng.Uniform(-1, 1)
		}
		for i := range l.B {
			l.B[i] = rng.Uniform(-1, 1)
		}
	case InitXavier:
		a := math.Sqrt(6 / float64(l.Inputs+l.Units))
		for i := range l.W {
			l.W[i] = rng.Uniform(-a, a)
		}
	case InitHe:
		sd := math.Sqrt(2 / float64(l.Inputs))
		for i := range l.W {
			l.W[i] = sd * rng.Normal()
		}
	default:
		panic("engine: unknown init " + in.String())
	}
}
