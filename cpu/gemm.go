package cpu

import (
	"sync"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// The products of mini-batch SGD, on CPUs with FMA (haveFMA): a blocked
// matrix product whose micro-kernels (gemm_amd64.s, which the avo program in
// _generate writes) are AVX-512 where the CPU has it and AVX2 elsewhere, with
// the epilogue of the layer fused in.
//
//	C = alpha·op(A)·op(B) + [C] + [1·biasᵀ]      C m×n, op(A) m×k, op(B) k×n
//	then, at most one of:  aux = max(C, 0)       (relu: aux holds the activations)
//	                       C = C ⊙ [aux > 0]     (the relu's gradient: aux holds z)
//
// A is read in place, with A[i, l] = a[i·ars + l·acs], so that it may be a
// transposed view: the micro-kernel broadcasts it one value at a time. B is
// packed, one panel of nr columns (the micro-kernel's width) by kc rows at a
// time, into a buffer that stays in the L1 cache while the micro-kernel runs
// down every row block of C: rows of B are copied, a transposed B (B[l, j] =
// b[j·ldb + l], such as Wᵀ) is transposed in 16×16 or 8×8 blocks. The inner
// size is cut into blocks of at most kcMax, whose B panel (kcMax·128 bytes)
// fits the L1 cache beside the rows of A. Panels of columns are split across
// cores; each element of C is computed by one core in the same order
// whatever their number, so results do not depend on GOMAXPROCS.

//go:generate go run -C _generate . -out ../gemm_amd64.s -stubs ../gemm_stubs_amd64.go -pkg cpu

// Flags of a micro-kernel call: what its epilogue does (_generate/gemm.go
// has their values too).
const (
	loadC    = 1 << iota // add C's values (else C is overwritten)
	addBias              // add bias[j] to column j
	reluOut              // write aux = max(C, 0)
	reluMask             // set C to 0 where aux (z) is not above 0
)

// kcMax bounds the inner size of a micro-kernel call.
const kcMax = 256

// epilogue is what a product does after the multiply-adds: its flags, bias
// (length n) and aux (shaped as C). The zero value only stores alpha·A·B.
type epilogue[T engine.Float] struct {
	flags int
	bias  []T
	aux   []T
}

// kernel is a micro-kernel set: rows×cols blocks of C (the width in float32;
// float64 blocks are half as wide), the kernels' functions and the
// transposition of B's blocks (nil where they are transposed in Go).
type kernel struct {
	name       string
	rows, cols int
	f32        func(k int, alpha float32, a *float32, ars, acs int, b *float32, c *float32, ldc int, flags int, bias, aux *float32)
	f64        func(k int, alpha float64, a *float64, ars, acs int, b *float64, c *float64, ldc int, flags int, bias, aux *float64)
	packTF32   func(dst *float32, ldd int, src *float32, lds int)
	packTF64   func(dst *float64, ldd int, src *float64, lds int)
}

// tile is the side of the blocks packTF32 (16) and packTF64 (8) transpose.
func tile[T engine.Float]() int {
	if is64[T]() {
		return 8
	}
	return 16
}

// width returns the kernel's block width in elements of T.
func (k *kernel) width(is64 bool) int {
	if is64 {
		return k.cols / 2
	}
	return k.cols
}

// gemmArgs is one product: sizes, operands and epilogue, as gemm documents.
type gemmArgs[T engine.Float] struct {
	m, n, k  int
	alpha    T
	a        []T
	ars, acs int
	b        []T
	ldb      int
	transB   bool
	c        []T
	ldc      int
	ep       epilogue[T]
}

// gemm runs the product g on the micro-kernels. It needs haveFMA, and panics
// if a matrix lies outside its slice.
func gemm[T engine.Float](g gemmArgs[T]) {
	if g.m == 0 || g.n == 0 {
		return
	}
	bRows, bCols := g.k, g.n
	if g.transB {
		bRows, bCols = g.n, g.k
	}
	if g.k > 0 && ((g.m-1)*g.ars+(g.k-1)*g.acs >= len(g.a) || (bRows-1)*g.ldb+bCols > len(g.b)) ||
		(g.m-1)*g.ldc+g.n > len(g.c) || g.ep.flags&addBias != 0 && len(g.ep.bias) < g.n ||
		g.ep.flags&(reluOut|reluMask) != 0 && (g.m-1)*g.ldc+g.n > len(g.ep.aux) {
		panic("cpu: gemm: a matrix lies outside its slice")
	}
	p := productPool[T]().Get().(*product[T])
	p.gemmArgs, p.kern = g, active
	nr := active.width(is64[T]())
	panels := (g.n + nr - 1) / nr
	parallelRows(panels, g.m*g.n*max(g.k, 1), p)
	*p = product[T]{} // drop the references to the matrices
	productPool[T]().Put(p)
}

// product is one call of gemm, shared with the workers that run its panels.
type product[T engine.Float] struct {
	gemmArgs[T]
	kern  *kernel
	parts split
}

var productPools = [2]sync.Pool{{New: func() any { return new(product[float32]) }}, {New: func() any { return new(product[float64]) }}}

func productPool[T engine.Float]() *sync.Pool {
	if is64[T]() {
		return &productPools[1]
	}
	return &productPools[0]
}

func (p *product[T]) split() *split { return &p.parts }

// packing is a worker's buffers: B's panel, A's last rows when fewer than a
// block, and a block of C for the blocks at the edges.
type packing[T engine.Float] struct {
	b, a, c []T
}

// maxRows and maxCols bound the micro-kernels' blocks (in float32).
const maxRows, maxCols = 8, 32

var packingPools = [2]sync.Pool{
	{New: func() any {
		return &packing[float32]{b: make([]float32, kcMax*maxCols), a: make([]float32, maxRows*kcMax), c: make([]float32, maxRows*maxCols)}
	}},
	{New: func() any {
		return &packing[float64]{b: make([]float64, kcMax*maxCols), a: make([]float64, maxRows*kcMax), c: make([]float64, maxRows*maxCols)}
	}},
}

func packingPool[T engine.Float]() *sync.Pool {
	if is64[T]() {
		return &packingPools[1]
	}
	return &packingPools[0]
}

// run computes the panels of columns lo..hi, block of inner size by block,
// so that the block of A's columns stays in the L2 cache across the panels.
func (p *product[T]) run(lo, hi int) {
	buf := packingPool[T]().Get().(*packing[T])
	nr := p.kern.width(is64[T]())
	kc := blocks[T](p.k)
	for l0 := 0; l0 == 0 || l0 < p.k; l0 += kc {
		for panel := lo; panel < hi; panel++ {
			p.panel(buf, panel*nr, min(nr, p.n-panel*nr), l0, min(kc, p.k-l0))
		}
	}
	packingPool[T]().Put(buf)
}

// blocks returns the size of the inner blocks: k cut evenly into blocks of at
// most kcMax, rounded up to a multiple of the transposition's tile.
func blocks[T engine.Float](k int) int {
	if k <= kcMax {
		return max(k, 1)
	}
	n := (k + kcMax - 1) / kcMax
	t := tile[T]()
	return min(kcMax, ((k+n-1)/n+t-1)/t*t)
}

// panel computes the columns j0..j0+nr of C over the inner block l0..l0+kb.
func (p *product[T]) panel(buf *packing[T], j0, nr, l0, kb int) {
	mr, width := p.kern.rows, p.kern.width(is64[T]())
	p.pack(buf.b, l0, kb, j0, nr, width)
	flags := loadC
	if l0 == 0 {
		flags = p.ep.flags & (loadC | addBias)
	}
	if l0+kb >= p.k {
		flags |= p.ep.flags & (reluOut | reluMask)
	}
	for i0 := 0; i0 < p.m; i0 += mr {
		rows := min(mr, p.m-i0)
		a, ars, acs := p.a, p.ars, p.acs
		at := i0*ars + l0*acs
		if rows < mr && kb > 0 { // the block would read rows past A's: copy those it has
			a, ars, acs, at = buf.a, kb, 1, 0
			clear(a[:mr*kb])
			for i := 0; i < rows; i++ {
				for l := 0; l < kb; l++ {
					a[i*kb+l] = p.a[(i0+i)*p.ars+(l0+l)*p.acs]
				}
			}
		}
		ct := i0*p.ldc + j0
		if rows == mr && nr == width {
			p.micro(kb, a, at, ars, acs, buf.b, p.c, ct, p.ldc, flags, at0(p.ep.bias, j0), at0(p.ep.aux, ct))
		} else {
			p.micro(kb, a, at, ars, acs, buf.b, buf.c, 0, width, 0, nil, nil)
			finish(p.c[ct:], p.ldc, buf.c, width, rows, nr, flags, at0(p.ep.bias, j0), at0(p.ep.aux, ct))
		}
	}
}

// at0 returns s[i:], or nil for a nil s.
func at0[T engine.Float](s []T, i int) []T {
	if s == nil {
		return nil
	}
	return s[i:]
}

// elem returns a pointer to s[i], or nil past s's end (as an empty A is).
func elem[T engine.Float](s []T, i int) *T {
	if i >= len(s) {
		return nil
	}
	return &s[i]
}

// micro runs the micro-kernel on the block of C at c[ct:].
func (p *product[T]) micro(k int, a []T, at, ars, acs int, b, c []T, ct, ldc, flags int, bias, aux []T) {
	if is64[T]() {
		p.kern.f64(k, float64(p.alpha), elem(f64(a), at), ars, acs, &f64(b)[0], &f64(c)[ct], ldc, flags, elem(f64(bias), 0), elem(f64(aux), 0))
	} else {
		p.kern.f32(k, float32(p.alpha), elem(f32(a), at), ars, acs, &f32(b)[0], &f32(c)[ct], ldc, flags, elem(f32(bias), 0), elem(f32(aux), 0))
	}
}

// pack copies the block of B of rows l0..l0+kb and columns j0..j0+nr into
// dst, width values a row, the columns past nr zero.
func (p *product[T]) pack(dst []T, l0, kb, j0, nr, width int) {
	if !p.transB {
		if nr == width {
			packRows(dst, p.b[l0*p.ldb+j0:], p.ldb, kb, width)
			return
		}
		for l := 0; l < kb; l++ {
			row := dst[l*width : (l+1)*width]
			copy(row, p.b[(l0+l)*p.ldb+j0:(l0+l)*p.ldb+j0+nr])
			clear(row[nr:])
		}
		return
	}
	t := tile[T]()
	full, cols := 0, 0 // the rows and columns of dst transposed in blocks
	if p.kern.packTF32 != nil {
		full, cols = kb/t*t, nr/t*t
		for j := 0; j < cols; j += t {
			for l := 0; l < full; l += t {
				src := p.b[(j0+j)*p.ldb+l0+l:]
				if is64[T]() {
					p.kern.packTF64(&f64(dst)[l*width+j], width, &f64(src)[0], p.ldb)
				} else {
					p.kern.packTF32(&f32(dst)[l*width+j], width, &f32(src)[0], p.ldb)
				}
			}
		}
	}
	if full == kb && cols == width {
		return
	}
	for l := 0; l < kb; l++ {
		row := dst[l*width : (l+1)*width]
		j := 0
		if l < full {
			j = cols
		}
		for ; j < nr; j++ {
			row[j] = p.b[(j0+j)*p.ldb+l0+l]
		}
		clear(row[nr:])
	}
}

// finish applies the epilogue to a rows×cols block of C from tile (ldt apart),
// which holds alpha·A·B: the twin of the micro-kernels' epilogue.
func finish[T engine.Float](c []T, ldc int, tile []T, ldt, rows, cols, flags int, bias, aux []T) {
	for i := 0; i < rows; i++ {
		ci, ti := c[i*ldc:i*ldc+cols], tile[i*ldt:i*ldt+cols]
		for j, v := range ti {
			if flags&loadC != 0 {
				v += ci[j]
			}
			if flags&addBias != 0 {
				v += bias[j]
			}
			if flags&reluMask != 0 && !(aux[i*ldc+j] > 0) {
				v = 0
			}
			ci[j] = v
			if flags&reluOut != 0 {
				aux[i*ldc+j] = max(v, 0)
			}
		}
	}
}

// packRows copies rows rows of width values, lds apart in src, to dst.
func packRows[T engine.Float](dst, src []T, lds, rows, width int) {
	if rows == 0 {
		return
	}
	_, _ = dst[rows*width-1], src[(rows-1)*lds+width-1]
	size := int(unsafe.Sizeof(src[0]))
	copyRows(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), lds*size, rows, width*size)
}
