package engine

import (
	"encoding/binary"
	"fmt"
	"math"
)

// NumPyRNG reproduces NumPy's legacy global generator (np.random.seed with
// an integer, then np.random.uniform, np.random.normal and
// np.random.permutation) draw for draw, so that a network initialised and
// shuffled by it replays the course's NumPy code to the last digits.
//
// It is MT19937 seeded by init_genrand. A double is NumPy's random_sample,
// 53 bits from two 32-bit draws:
//
//	(a>>5 · 2²⁶ + b>>6) / 2⁵³
//
// uniform(lo, hi) is lo + (hi-lo)·double; normal is the polar Box-Muller
// method, which makes two values at a time and keeps the second for the next
// call (equal to NumPy's to the last bit or so: Go's math.Log and the C
// library's log may round differently); permutation(n) shuffles 0..n-1 by Fisher-Yates from the top, drawing
// each index j ≤ i as a 32-bit value masked to the bits of i, redrawn while
// above i.
type NumPyRNG struct {
	mt       [624]uint32
	pos      int
	hasGauss bool
	gauss    float64
}

// NewNumPyRNG returns the generator np.random.seed(seed) makes.
func NewNumPyRNG(seed uint32) *NumPyRNG {
	r := &NumPyRNG{pos: len(NumPyRNG{}.mt)}
	r.mt[0] = seed
	for i := 1; i < len(r.mt); i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return r
}

// Uint32 returns the next 32-bit output of MT19937.
func (r *NumPyRNG) Uint32() uint32 {
	const n, m = 624, 397
	if r.pos >= n {
		for i := 0; i < n; i++ {
			y := r.mt[i]&0x80000000 | r.mt[(i+1)%n]&0x7fffffff
			next := r.mt[(i+m)%n] ^ y>>1
			if y&1 != 0 {
				next ^= 0x9908b0df
			}
			r.mt[i] = next
		}
		r.pos = 0
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 returns NumPy's random_sample(): a double in [0, 1) with 53 random bits.
func (r *NumPyRNG) Float64() float64 {
	a, b := r.Uint32()>>5, r.Uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// Uniform returns np.random.uniform(lo, hi). The conversion rounds the
// product before the sum, as NumPy's C does on x86-64: without it Go may
// fuse the multiply-add (it does on arm64), and the last bit differs.
func (r *NumPyRNG) Uniform(lo, hi float64) float64 { return lo + float64((hi-lo)*r.Float64()) }

// Normal returns np.random.normal(0, 1).
func (r *NumPyRNG) Normal() float64 {
	if r.hasGauss {
		r.hasGauss = false
		return r.gauss
	}
	var x1, x2, r2 float64
	for r2 >= 1 || r2 == 0 {
		x1 = 2*r.Float64() - 1
		x2 = 2*r.Float64() - 1
		r2 = float64(x1*x1) + float64(x2*x2) // rounded as NumPy does, unfused (see Uniform)
	}
	f := math.Sqrt(-2 * math.Log(r2) / r2)
	r.gauss, r.hasGauss = f*x1, true
	return f * x2
}

// interval returns a value in [0, max] drawn as NumPy's legacy random_interval does.
func (r *NumPyRNG) interval(max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := max
	for s := uint(1); s <= 16; s <<= 1 {
		mask |= mask >> s
	}
	for {
		if v := r.Uint32() & mask; v <= max {
			return v
		}
	}
}

// Permutation returns np.random.permutation(n).
func (r *NumPyRNG) Permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.interval(uint32(i))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Shuffle draws p = np.random.permutation(len(order)) and sets order =
// order[p], as the course reorders its training data every epoch.
func (r *NumPyRNG) Shuffle(order []int) {
	prev := append([]int(nil), order...)
	for i, j := range r.Permutation(len(order)) {
		order[i] = prev[j]
	}
}

// numpyStateBytes is the length of a NumPyRNG's saved state: the 624 words,
// the position, the flag and the value of the kept normal draw.
const numpyStateBytes = 624*4 + 4 + 1 + 8

// MarshalBinary returns the generator's state.
func (r *NumPyRNG) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, numpyStateBytes)
	for _, w := range r.mt {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(r.pos))
	if r.hasGauss {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(r.gauss)), nil
}

// UnmarshalBinary restores a state MarshalBinary returned.
func (r *NumPyRNG) UnmarshalBinary(b []byte) error {
	if len(b) != numpyStateBytes {
		return fmt.Errorf("numpy generator state: %d bytes, expected %d", len(b), numpyStateBytes)
	}
	pos := binary.LittleEndian.Uint32(b[624*4:])
	if pos > 624 || b[624*4+4] > 1 {
		return fmt.Errorf("numpy generator state: position %d or flag %d out of range", pos, b[624*4+4])
	}
	for i := range r.mt {
		r.mt[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	r.pos, r.hasGauss = int(pos), b[624*4+4] == 1
	r.gauss = math.Float64frombits(binary.LittleEndian.Uint64(b[624*4+5:]))
	return nil
}
