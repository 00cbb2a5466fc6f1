package engine

import (
	"encoding"
	"math/rand/v2"
)

// RNG is the source of randomness of a network's initialisation and of the
// epochs' shuffles. Fit and NewNetwork draw from it in the course's order:
// each layer's W then b, then one shuffle per epoch.
type RNG interface {
	// Uniform returns a value drawn from U(lo, hi).
	Uniform(lo, hi float64) float64
	// Normal returns a value drawn from N(0, 1).
	Normal() float64
	// Shuffle reorders order by a fresh random permutation p: order = order[p].
	Shuffle(order []int)
	// MarshalBinary and UnmarshalBinary save and restore the generator's
	// state, so that a checkpointed fit resumes with the same draws.
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// NewRNG returns Go's own seeded generator (PCG): the same seed gives the same
// draws on every platform.
func NewRNG(seed uint64) RNG {
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return goRNG{rand.New(src), src}
}

type goRNG struct {
	r   *rand.Rand
	src *rand.PCG
}

func (g goRNG) MarshalBinary() ([]byte, error)    { return g.src.MarshalBinary() }
func (g goRNG) UnmarshalBinary(data []byte) error { return g.src.UnmarshalBinary(data) }

func (g goRNG) Uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.r.Float64() }
func (g goRNG) Normal() float64                { return g.r.NormFloat64() }
func (g goRNG) Shuffle(order []int) {
	g.r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
}
