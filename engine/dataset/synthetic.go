package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// generator draws one example (two features and a label) from rng.
type generator struct {
	noise float64 // default standard deviation of the Gaussian noise
	draw  func(rng *rand.Rand, i int, noise float64) (x, y, label float64)
}

var generators = map[string]generator{
	// xor: the four corners of the unit square, labelled x XOR y.
	"xor": {0.1, func(rng *rand.Rand, i int, noise float64) (float64, float64, float64) {
		a, b := float64(i%2), float64(i/2%2)
		return a + noise*rng.NormFloat64(), b + noise*rng.NormFloat64(), float64(int(a) ^ int(b))
	}},
	// moons: two interleaving half circles, as scikit-learn's make_moons.
	"moons": {0.1, func(rng *rand.Rand, i int, noise float64) (float64, float64, float64) {
		t := math.Pi * rng.Float64()
		x, y, label := math.Cos(t), math.Sin(t), 0.0
		if i%2 == 1 {
			x, y, label = 1-math.Cos(t), 0.5-math.Sin(t), 1
		}
		return x + noise*rng.NormFloat64(), y + noise*rng.NormFloat64(), label
	}},
	// circles: a circle of radius 0.5 (label 1) inside one of radius 1 (label 0).
	"circles": {0.05, func(rng *rand.Rand, i int, noise float64) (float64, float64, float64) {
		t := 2 * math.Pi * rng.Float64()
		r, label := 1.0, 0.0
		if i%2 == 1 {
			r, label = 0.5, 1
		}
		return r*math.Cos(t) + noise*rng.NormFloat64(), r*math.Sin(t) + noise*rng.NormFloat64(), label
	}},
	// spirals: two interleaved spiral arms of one and a half turns.
	"spirals": {0.05, func(rng *rand.Rand, i int, noise float64) (float64, float64, float64) {
		t := rng.Float64()
		label := float64(i % 2)
		angle := 3*math.Pi*t + math.Pi*label
		return t*math.Cos(angle) + noise*rng.NormFloat64(), t*math.Sin(angle) + noise*rng.NormFloat64(), label
	}},
	// blobs: three Gaussian blobs centred on a circle of radius 2.
	"blobs": {0.5, func(rng *rand.Rand, i int, noise float64) (float64, float64, float64) {
		c := i % 3
		angle := 2 * math.Pi * float64(c) / 3
		return 2*math.Cos(angle) + noise*rng.NormFloat64(), 2*math.Sin(angle) + noise*rng.NormFloat64(), float64(c)
	}},
}

// SyntheticNames lists the synthetic data sets, sorted.
func SyntheticNames() []string {
	names := make([]string, 0, len(generators))
	for n := range generators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Synthetic draws n two-feature examples of the named set with seed. A noise
// below 0 means the set's default noise.
func Synthetic(name string, n int, noise float64, seed uint64) (*Set, error) {
	g, ok := generators[name]
	if !ok {
		return nil, fmt.Errorf("unknown synthetic data set %q: expected one of %v", name, SyntheticNames())
	}
	if n < 1 {
		return nil, fmt.Errorf("synthetic data needs at least 1 example, found %d", n)
	}
	if noise < 0 {
		noise = g.noise
	}
	rng := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb))
	x := make([]float64, 0, 2*n)
	labels := make([]float64, n)
	for i := range labels {
		a, b, label := g.draw(rng, i, noise)
		x = append(x, a, b)
		labels[i] = label
	}
	return New(x, labels, 2), nil
}
