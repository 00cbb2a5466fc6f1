// Command _generate writes the assembly of package cpu's mini-batch products
// (see ../gemm.go) with avo: the micro-kernels and the transpositions of B's
// blocks, into ../gemm_amd64.s, and their declarations, into
// ../gemm_stubs_amd64.go. go generate ./cpu runs it; it is a module of its
// own so that avo is no dependency of perceptron's.
//
// A micro-kernel computes a block of rows×w elements of C, two vector
// registers a row:
//
//	C[i, 0:w] = alpha · Σ_l A[i, l] · B[l, 0:w]  [+ C[i, 0:w]]  [+ bias[0:w]]
//	then  aux[i, 0:w] = max(C[i, 0:w], 0)     (flags & reluOut)
//	or    C[i, j] = 0 where !(aux[i, j] > 0)    (flags & reluMask)
//
// for the block's rows i. A[i, l] is at a + (i·ars + l·acs) elements and is
// broadcast; B is packed, row l of the block two registers at b + l·2·size
// bytes; C[i, j] and aux[i, j] are at i·ldc + j. The flags are gemm.go's:
// loadC 1, addBias 2, reluOut 4, reluMask 8. The caller checks the bounds
// and the CPU.
//
// There are two sets of kernels, one body each precision: AVX-512 ones of 8
// rows (Z registers: 32 floats or 16 doubles a row) and AVX2 ones of 4 rows
// (Y registers: 16 floats or 8 doubles), with FMA. See transpose for the
// transpositions.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	. "github.com/mmcloughlin/avo/reg"
)

// ctx is the file being built; vex holds the names of its functions that
// must not use AVX-512.
var (
	ctx = build.NewContext()
	vex = map[string]bool{}
)

// The flags of a micro-kernel call, as gemm.go's.
const (
	loadC    = 1
	addBias  = 2
	reluOut  = 4
	reluMask = 8
)

// precision is the instructions of an element type.
type precision struct {
	goType  string // float32 or float64
	suffix  string // of the kernels' names
	shift   uint64 // log2 of the element's size
	bcast   func(...Op)
	movu    func(...Op)
	movuZ   func(mxyz, k, mxyz1 Op) // zero-masked move (AVX-512)
	fma     func(...Op)             // acc += x·y
	mul     func(...Op)
	add     func(...Op)
	and     func(...Op)
	cmp     func(...Op)
	maxElem func(...Op)
	shuf    func(...Op) // of 128-bit lanes
}

var (
	f32 = precision{goType: "float32", suffix: "F32", shift: 2, bcast: ctx.VBROADCASTSS, movu: ctx.VMOVUPS, movuZ: ctx.VMOVUPS_Z,
		fma: ctx.VFMADD231PS, mul: ctx.VMULPS, add: ctx.VADDPS, and: ctx.VANDPS, cmp: ctx.VCMPPS, maxElem: ctx.VMAXPS, shuf: ctx.VSHUFF32X4}
	f64 = precision{goType: "float64", suffix: "F64", shift: 3, bcast: ctx.VBROADCASTSD, movu: ctx.VMOVUPD, movuZ: ctx.VMOVUPD_Z,
		fma: ctx.VFMADD231PD, mul: ctx.VMULPD, add: ctx.VADDPD, and: ctx.VANDPD, cmp: ctx.VCMPPD, maxElem: ctx.VMAXPD, shuf: ctx.VSHUFF64X2}
)

// isa is an instruction set's kernels: their rows, vector registers and what
// they do differently.
type isa struct {
	name  string // for the documentation
	vex   bool   // whether it needs no AVX-512
	rows  int
	bytes int // a vector register's size
	vec   func() VecVirtual
	// zero clears x; mask clears acc where !(the values at aux > 0), zero
	// being a zero register.
	zero func(x VecVirtual)
	mask func(p precision, aux Mem, zero, acc VecVirtual)
}

var (
	avx512 = isa{name: "AVX-512", rows: 8, bytes: 64, vec: ctx.ZMM,
		zero: func(x VecVirtual) { ctx.VPXORD(x, x, x) },
		mask: func(p precision, aux Mem, zero, acc VecVirtual) {
			k := ctx.K()
			p.cmp(U8(1), aux, zero, k) // less than, ordered: 0 < aux
			p.movuZ(acc, k, acc)
		}}
	avx2 = isa{name: "AVX2", vex: true, rows: 4, bytes: 32, vec: ctx.YMM,
		zero: func(x VecVirtual) { ctx.VXORPS(x, x, x) },
		mask: func(p precision, aux Mem, zero, acc VecVirtual) {
			m := ctx.YMM()
			p.cmp(U8(1), aux, zero, m)
			p.and(m, acc, acc)
		}}
)

func main() {
	fs := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	flags := build.NewFlags(fs)
	fs.Parse(os.Args[1:])
	ctx.ConstraintExpr("!noasm")
	for _, s := range []isa{avx512, avx2} {
		for _, p := range []precision{f32, f64} {
			kernel(s, p)
		}
	}
	for _, p := range []precision{f32, f64} {
		transpose(p)
	}
	cfg := flags.Config()
	// The check runs after pass.Compile, which Config puts first.
	cfg.Passes = slices.Insert(cfg.Passes, 1, pass.Interface(pass.FunctionPass(vexOnly)))
	os.Exit(build.Main(cfg, ctx))
}

// vexOnly fails the generation where the register allocator gave an AVX2
// kernel a vector register past Y15: only AVX-512's encoding has those, and
// the kernel would fault on the CPUs it is for.
func vexOnly(fn *ir.Function) error {
	if !vex[fn.Name] {
		return nil
	}
	for _, i := range fn.Instructions() {
		for _, r := range i.Registers() {
			if p := ToPhysical(r); p != nil && p.Kind() == KindVector && p.PhysicalIndex() >= 16 {
				return fmt.Errorf("%s: %s is out of AVX2's reach", fn.Name, p.Asm())
			}
		}
	}
	return nil
}

// rowsOf addresses the rows of a block, stride bytes apart: row i is at
// base + {0, 1, 2, 4}·stride, or base + a multiple of stride that rowsOf
// holds in a register (3, 5, 6 = 2·3 or 7).
type rowsOf struct {
	stride, x3, x5, x7 Register
}

// strides computes the multiples of stride that n rows need.
func strides(stride Register, n int) rowsOf {
	r := rowsOf{stride: stride}
	if n > 3 {
		r.x3 = ctx.GP64()
		ctx.LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, r.x3)
	}
	if n > 5 {
		r.x5 = ctx.GP64()
		ctx.LEAQ(Mem{Base: stride, Index: stride, Scale: 4}, r.x5)
	}
	if n > 7 {
		r.x7 = ctx.GP64()
		ctx.LEAQ(Mem{Base: r.x3, Index: stride, Scale: 4}, r.x7)
	}
	return r
}

// at returns the address of row i at base, disp bytes in.
func (r rowsOf) at(base Register, i, disp int) Mem {
	m := Mem{Base: base, Disp: disp}
	switch i {
	case 0:
	case 1, 2, 4:
		m.Index, m.Scale = r.stride, uint8(i)
	case 3:
		m.Index, m.Scale = r.x3, 1
	case 5:
		m.Index, m.Scale = r.x5, 1
	case 6:
		m.Index, m.Scale = r.x3, 2
	case 7:
		m.Index, m.Scale = r.x7, 1
	default:
		panic(fmt.Sprintf("no row %d", i))
	}
	return m
}

// each calls f on every accumulator and its place in the block at base:
// register h of row i (acc[2i+h]) with row i's address, h registers in.
func each(acc []VecVirtual, rows rowsOf, base Register, bytes int, f func(m Mem, acc VecVirtual)) {
	for j, x := range acc {
		f(rows.at(base, j/2, j%2*bytes), x)
	}
}

// text starts the function name of signature sig.
func text(name, sig string) {
	ctx.Function(name)
	ctx.Attributes(build.NOSPLIT)
	ctx.SignatureExpr(sig)
}

// param returns the address of a parameter.
func param(name string) Mem {
	b, err := ctx.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// kernel writes the micro-kernel of instruction set s and precision p.
func kernel(s isa, p precision) {
	width := 2 * s.bytes >> p.shift
	name := fmt.Sprintf("gemm%dx%d%s", s.rows, width, p.suffix)
	vex[name] = s.vex
	text(name, fmt.Sprintf("func(k int, alpha %[1]s, a *%[1]s, ars, acs int, b *%[1]s, c *%[1]s, ldc int, flags int, bias, aux *%[1]s)", p.goType))
	article := "a"
	if s.rows == 8 {
		article = "an"
	}
	ctx.Doc(fmt.Sprintf("%s is the %s micro-kernel of %s products: %s %d×%d block", name, s.name, p.goType, article, s.rows, width),
		"of C (see _generate/gemm.go). The caller checks the bounds.")
	ctx.Pragma("noescape")

	k := ctx.Load(ctx.Param("k"), ctx.GP64())
	a := ctx.Load(ctx.Param("a"), ctx.GP64())
	ars := ctx.Load(ctx.Param("ars"), ctx.GP64())
	ctx.SHLQ(U8(p.shift), ars)
	aRows := strides(ars, s.rows)
	acs := ctx.Load(ctx.Param("acs"), ctx.GP64())
	ctx.SHLQ(U8(p.shift), acs)
	b := ctx.Load(ctx.Param("b"), ctx.GP64())
	acc := make([]VecVirtual, 2*s.rows) // row i in acc[2i], acc[2i+1]
	for j := range acc {
		acc[j] = s.vec()
		s.zero(acc[j])
	}
	ctx.TESTQ(k, k)
	ctx.JEQ(LabelRef("epilogue"))

	ctx.Label("loop")
	b0, b1 := s.vec(), s.vec()
	p.movu(Mem{Base: b}, b0)
	p.movu(Mem{Base: b, Disp: s.bytes}, b1)
	for i := 0; i < s.rows; i++ {
		x := s.vec()
		p.bcast(aRows.at(a, i, 0), x)
		p.fma(b0, x, acc[2*i])
		p.fma(b1, x, acc[2*i+1])
	}
	ctx.ADDQ(acs, a)
	ctx.ADDQ(U32(2*s.bytes), b)
	ctx.DECQ(k)
	ctx.JNE(LabelRef("loop"))

	ctx.Label("epilogue")
	c := ctx.Load(ctx.Param("c"), ctx.GP64())
	ldc := ctx.Load(ctx.Param("ldc"), ctx.GP64())
	ctx.SHLQ(U8(p.shift), ldc)
	cRows := strides(ldc, s.rows)
	flags := ctx.Load(ctx.Param("flags"), ctx.GP64())
	alpha := s.vec()
	p.bcast(param("alpha"), alpha)
	for _, x := range acc {
		p.mul(alpha, x, x)
	}
	ctx.TESTQ(U32(loadC), flags)
	ctx.JEQ(LabelRef("noLoad"))
	each(acc, cRows, c, s.bytes, func(m Mem, x VecVirtual) { p.add(m, x, x) })

	ctx.Label("noLoad")
	ctx.TESTQ(U32(addBias), flags)
	ctx.JEQ(LabelRef("noBias"))
	bias := ctx.Load(ctx.Param("bias"), ctx.GP64())
	b0, b1 = s.vec(), s.vec()
	p.movu(Mem{Base: bias}, b0)
	p.movu(Mem{Base: bias, Disp: s.bytes}, b1)
	for j, x := range acc {
		p.add([]VecVirtual{b0, b1}[j%2], x, x)
	}

	ctx.Label("noBias")
	aux := ctx.Load(ctx.Param("aux"), ctx.GP64())
	ctx.TESTQ(U32(reluMask), flags)
	ctx.JEQ(LabelRef("noMask"))
	zero := s.vec()
	s.zero(zero)
	each(acc, cRows, aux, s.bytes, func(m Mem, x VecVirtual) { s.mask(p, m, zero, x) })

	ctx.Label("noMask")
	each(acc, cRows, c, s.bytes, func(m Mem, x VecVirtual) { p.movu(x, m) })
	ctx.TESTQ(U32(reluOut), flags)
	ctx.JEQ(LabelRef("done"))
	zero = s.vec()
	s.zero(zero)
	each(acc, cRows, aux, s.bytes, func(m Mem, x VecVirtual) {
		y := s.vec()
		p.maxElem(x, zero, y) // max(x, 0), NaN kept
		p.movu(y, m)
	})

	ctx.Label("done")
	ctx.VZEROUPPER()
	ctx.RET()
}

// transpose writes the transposition of an n×n block, n the elements of a Z
// register (16 floats or 8 doubles): dst[l·ldd + j] = src[j·lds + l], with
// strides in elements, in registers. Row j is loaded into x[j]; then rounds
// for half = 1, 2, 4, … < n pair the registers half apart in groups of
// 2·half and interleave units of half elements: within each 128-bit lane
// (unpacks of 4 or 8 bytes) while units are smaller than a lane, which leaves
// in register r·e + k (e the elements of a lane) lane q holding rows r·e to
// r·e + e - 1 of column q·e + k; then by lanes (shuffles of lanes 0 and 2,
// and 1 and 3), which transpose that grid of lanes. Then x[l] is column l.
func transpose(p precision) {
	n, size := 64>>p.shift, 1<<p.shift
	name := fmt.Sprintf("transpose%d%s", n, p.suffix)
	text(name, fmt.Sprintf("func(dst *%[1]s, ldd int, src *%[1]s, lds int)", p.goType))
	ctx.Doc(fmt.Sprintf("%s sets dst[l·ldd + j] = src[j·lds + l] for j, l < %d, with", name, n),
		"AVX-512. The caller checks the bounds.")
	ctx.Pragma("noescape")

	dst := ctx.Load(ctx.Param("dst"), ctx.GP64())
	ldd := ctx.Load(ctx.Param("ldd"), ctx.GP64())
	ctx.SHLQ(U8(p.shift), ldd)
	src := ctx.Load(ctx.Param("src"), ctx.GP64())
	lds := ctx.Load(ctx.Param("lds"), ctx.GP64())
	ctx.SHLQ(U8(p.shift), lds)
	srcRows := strides(lds, 4)
	x := make([]VecVirtual, n)
	for j := range x {
		if j > 0 && j%4 == 0 {
			ctx.LEAQ(Mem{Base: src, Index: lds, Scale: 4}, src)
		}
		x[j] = ctx.ZMM()
		p.movu(srcRows.at(src, j%4, 0), x[j])
	}

	unpack := map[int][2]func(...Op){4: {ctx.VUNPCKLPS, ctx.VUNPCKHPS}, 8: {ctx.VUNPCKLPD, ctx.VUNPCKHPD}}
	for half := 1; half < n; half *= 2 {
		y := make([]VecVirtual, n)
		for g := 0; g < n; g += 2 * half {
			if op, ok := unpack[half*size]; ok {
				for c := 0; c < half; c++ {
					y[g+2*c], y[g+2*c+1] = ctx.ZMM(), ctx.ZMM()
					op[0](x[g+half+c], x[g+c], y[g+2*c])
					op[1](x[g+half+c], x[g+c], y[g+2*c+1])
				}
				continue
			}
			for c := 0; c < half; c++ {
				y[g+c] = ctx.ZMM()
				p.shuf(U8(0x88), x[g+half+c], x[g+c], y[g+c])
			}
			for c := 0; c < half; c++ {
				y[g+half+c] = ctx.ZMM()
				p.shuf(U8(0xdd), x[g+half+c], x[g+c], y[g+half+c])
			}
		}
		x = y
	}

	dstRows := strides(ldd, 4)
	for l := range x {
		if l > 0 && l%4 == 0 {
			ctx.LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
		}
		p.movu(x[l], dstRows.at(dst, l%4, 0))
	}
	ctx.VZEROUPPER()
	ctx.RET()
}
