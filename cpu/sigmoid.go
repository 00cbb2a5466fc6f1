package cpu

import (
	"math"

	"github.com/perceptron-go/perceptron/engine"
)

// A float32 sigmoid on AVX-512. engine.Activate takes each value's sigmoid
// as float32(1 / (1 + math.Exp(-float64(v)))), one call to math.Exp each:
// on W2's 10 outputs, a twentieth of a step. sigmoidF32 takes eight values
// at a time, in float64, with an exp of its own:
//
//	x = -v, clamped to [expLowest, expHighest]   (a NaN stays NaN)
//	k = x·log2(e) rounded to an integer
//	r = x - k·ln2, in two parts (Cody and Waite): |r| ≤ ln2/2
//	exp(x) = 2^k · Σ_{n ≤ 13} rⁿ/n!              (the terms left are below 4e-18)
//
// then 1/(1 + exp(x)) rounded to float32. Its exp is within a few units in
// the last place of float64's, so the float32 it rounds to is math.Exp's but
// for a value whose float64 sigmoid lies within those few units of the
// midpoint between two float32s: one in hundreds of millions.

// Indices of expConstants.
const (
	expLog2E   = iota // log2(e)
	expLn2Hi          // ln2's leading bits: k·expLn2Hi is exact for |k| < 2²¹
	expLn2Lo          // ln2 - expLn2Hi
	expLowest         // below it exp is 0 in float64 (and 1 + exp is 1)
	expHighest        // above it exp overflows
	expOne            // 1
	expTerms          // 1/n! for n = 13 down to 0: the polynomial in Horner's order
)

// expConstants are the numbers sigmoidF32 and sigmoidGo use, in the
// order the kernel reads them.
var expConstants = [expTerms + 14]float64{
	expLog2E: math.Log2E, expLn2Hi: 6.93147180369123816490e-01, expLn2Lo: 1.90821492927058770002e-10,
	expLowest: -746, expHighest: 710, expOne: 1,
	expTerms: 1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
	1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1, 1,
}

// sigmoid sets a = 1/(1 + exp(-z)) over len(z), a ≥ z in length: on the
// AVX-512 kernel for float32 where it runs, else as engine.Activate does.
func sigmoid[T engine.Float](a, z []T) {
	if is64[T]() || !haveAVX512 {
		engine.Activate(engine.Sigmoid, a, z, len(z))
		return
	}
	sigmoidF32(f32(a)[:len(z)], f32(z), &expConstants)
}

// sigmoidGo is sigmoidF32 in Go, the kernel's twin.
func sigmoidGo(a, z []float32) {
	c := &expConstants
	for i, v := range z {
		x := min(max(0-float64(v), c[expLowest]), c[expHighest])
		k := math.RoundToEven(x * c[expLog2E])
		r := math.FMA(-k, c[expLn2Hi], x)
		r = math.FMA(-k, c[expLn2Lo], r)
		p := c[expTerms]
		for _, t := range c[expTerms+1:] {
			p = math.FMA(p, r, t)
		}
		if !math.IsNaN(k) {
			p = math.Ldexp(p, int(k))
		}
		a[i] = float32(c[expOne] / (c[expOne] + p))
	}
}
