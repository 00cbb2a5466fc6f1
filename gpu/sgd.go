//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
)

// Per-example SGD runs in sgd_steps (kernels/sgd.cu), as a plan says: which
// layers are distributed over the grid and which each block keeps a copy
// of, the layout of a block's region, the launch's shape.

const (
	// sgdTimeout is how long a block of sgd_steps waits at a grid barrier.
	sgdTimeout = 10 * time.Second
	// prefetch is PREFETCH in sgd.cu: the first layer's input is staged
	// when its rows have at most prefetch·threads values.
	prefetch = 4
	// tinyNetwork is the most parameters of a network whose layers are all
	// private for sgd_steps to run it in one warp.
	tinyNetwork = 1024
)

// sgdRun is a plan of sgd_steps and what it needs besides the data: the
// plan and the layers' descriptors on the device, the blocks' regions
// where they are not in shared memory, the barrier word (zeroed once: it
// resets itself at every barrier) and the status word.
type sgdRun struct {
	sgdShape
	planPtr, layers, scratch, barrier, status devicePtr
	cooperative                               bool      // the GPU launches cooperatively: the driver guarantees a grid is resident
	fit                                       devicePtr // of a plan of one block (oneBlock): its fit of sgd_fits, which runs it
}

// oneBlock reports whether the plan is a block with every layer private in
// its shared memory: sgd_fits runs it, alone or beside other fits (Group).
func (sh sgdShape) oneBlock() bool { return sh.plan.nd == 0 && sh.grid == 1 && sh.plan.inShared == 1 }

// sgdShape is how sgd_steps runs a network: the plan's numbers and the
// launch's shape.
type sgdShape struct {
	plan            sgdPlan // without its layers pointer
	priv            []int64 // each layer's offset in the region, -1 for the distributed ones
	grid, threads   int
	shared          int // bytes of dynamic shared memory per block
	barriersPerStep int
	timeout         time.Duration
}

// layout lays out a block's region for the first nd layers distributed,
// threads threads a block and the first layer's input staged or not, and
// returns the plan and the private layers' offsets.
func (t *trainer) layout(nd, threads int, stageX bool) (sgdPlan, []int64) {
	size := t.dtype.Size()
	L, k := len(t.layers), t.outputs
	off := 0
	allocBytes := func(bytes int) int64 {
		o := off
		off += align16(bytes)
		return int64(o)
	}
	alloc := func(values int) int64 { return allocBytes(values * size) }
	p := sgdPlan{nlayers: int64(L), nd: int64(nd), xStage: -1}
	p.descs = allocBytes(L * sgdLayerBytes)
	priv := make([]int64, L)
	slots := t.optim.opt.Slots()
	for l, ly := range t.layers {
		priv[l] = -1
		if l >= nd { // W and b, z, a and dz, then the state slots of W and b
			priv[l] = alloc((1+slots)*(ly.out*ly.in+ly.out) + 3*ly.out)
		}
	}
	if nd > 0 && nd < L {
		p.inputStage = alloc(t.layers[nd].in)
	}
	if nd == L {
		p.outStage = alloc(3 * k)
	}
	p.yStage = alloc(k)
	p.redReals = int64(threads)
	p.red = alloc(threads)
	if stageX {
		p.xStage = alloc(2 * t.in)
	}
	p.regionBytes = int64(off)
	return p, priv
}

// planSGD chooses how sgd_steps runs the trainer's network with at most
// budget bytes of shared memory a block: the longest run of last layers
// whose copies fit are private, the others distributed; the first layer's
// input is staged where it fits; the grid gives each distributed layer's
// units a team of warps, within what the device holds at once.
func (t *trainer) planSGD(budget int) (sgdShape, error) {
	L := len(t.layers)
	threads := 256
	nd := L
	for p := L - 1; p >= 0; p-- {
		if plan, _ := t.layout(p, threads, false); int(plan.regionBytes) > budget {
			break
		}
		nd = p
	}
	if nd == 0 {
		params := 0
		for _, ly := range t.layers {
			params += ly.out*ly.in + ly.out
		}
		if params <= tinyNetwork {
			threads = warp
		}
	}
	stageX := t.in <= prefetch*threads
	if plan, _ := t.layout(nd, threads, stageX); int(plan.regionBytes) > budget {
		stageX = false
	}
	sh := sgdShape{threads: threads, timeout: sgdTimeout}
	sh.plan, sh.priv = t.layout(nd, threads, stageX)
	if int(sh.plan.regionBytes) <= budget {
		sh.plan.inShared, sh.shared = 1, int(sh.plan.regionBytes)
	}
	sh.grid = 1
	if nd > 0 {
		warps := threads / warp
		want := 1
		for _, ly := range t.layers[:nd] {
			team := min(max(blocks(ly.in, 256), 1), warps)
			want = max(want, blocks(ly.out*team, warps))
		}
		perSM, err := t.ks.fns[kernelSgdSteps].residentPerSM(threads, sh.shared)
		if err != nil {
			return sh, fmt.Errorf("gpu: cuOccupancyMaxActiveBlocksPerMultiprocessor(%s): %w", t.ks.name(kernelSgdSteps), err)
		}
		sh.grid = max(1, min(want, perSM*t.d.multiprocessors))
	}
	known := nd - 1 // the highest distributed layer whose own units' gradient a block computes alone
	if nd == L {
		known = max(L-2, 0)
	}
	sh.barriersPerStep = nd + max(known, 0)
	return sh, nil
}

// prepareSGD allocates and uploads what sgd_steps needs to run as sh says.
func (t *trainer) prepareSGD(sh sgdShape) error {
	descs := make([]sgdLayer, len(t.layers))
	slots := t.optim.opt.Slots()
	for i, l := range t.layers {
		descs[i] = sgdLayer{w: l.w, b: l.b, z: l.z, a: l.a, grad: l.grad, in: int64(l.in), out: int64(l.out), act: int64(l.act), priv: sh.priv[i]}
		if slots > 0 {
			descs[i].s0 = t.at(t.optim.state[0], l.off)
		}
		if slots > 1 {
			descs[i].s1 = t.at(t.optim.state[1], l.off)
		}
	}
	t.sgd = sgdRun{sgdShape: sh, cooperative: t.d.cooperative}
	scratch := int64(8)
	if sh.plan.inShared == 0 {
		scratch = int64(sh.grid) * sh.plan.regionBytes
	}
	var err error
	for _, buf := range []struct {
		dst   *devicePtr
		bytes int64
		what  string
	}{
		{&t.sgd.layers, int64(sgdLayerBytes * len(descs)), "the layers' descriptors"},
		{&t.sgd.planPtr, sgdPlanBytes, "the plan of sgd_steps"},
		{&t.sgd.scratch, scratch, "the blocks' regions"},
		{&t.sgd.barrier, 4, "the grid barrier"}, {&t.sgd.status, 4, "the status word"},
	} {
		if *buf.dst, err = t.mem.alloc(buf.bytes, buf.what); err != nil {
			return err
		}
	}
	plan := sh.plan
	plan.layers, plan.timeoutNs = t.sgd.layers, sh.timeout.Nanoseconds()
	if err := memcpyHtoD(t.sgd.layers, unsafe.Pointer(&descs[0]), int64(sgdLayerBytes*len(descs))); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the layers' descriptors: %w", err)
	}
	if err := memcpyHtoD(t.sgd.planPtr, unsafe.Pointer(&plan), sgdPlanBytes); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the plan of sgd_steps: %w", err)
	}
	if sh.oneBlock() {
		if t.sgd.fit, err = t.mem.alloc(sgdFitBytes, "the fit of sgd_fits"); err != nil {
			return err
		}
		fit := t.sgdFit()
		if err := memcpyHtoD(t.sgd.fit, unsafe.Pointer(&fit), sgdFitBytes); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of the fit of sgd_fits: %w", err)
		}
	}
	return t.resetBarrier()
}

// sgdFit is the trainer's fit as sgd_fits reads it.
func (t *trainer) sgdFit() sgdFit {
	return sgdFit{plan: t.sgd.planPtr, x: t.x, y: t.y, target: t.classes, weight: t.weights, order: t.order,
		loss: t.losses, correct: t.correct, opt: t.optim.settings, rates: t.optim.rates, lossKind: int64(t.loss)}
}

// resetBarrier zeroes the grid barrier and the status word of sgd_steps:
// once before the first launch, and after a barrier timed out, which leaves
// the barrier word partway through a barrier (the kernel keeps it right
// otherwise).
func (t *trainer) resetBarrier() error {
	if err := memsetD8(t.sgd.barrier, 0, 4); err != nil {
		return fmt.Errorf("gpu: cuMemsetD8 of the grid barrier: %w", err)
	}
	if err := memsetD8(t.sgd.status, 0, 4); err != nil {
		return fmt.Errorf("gpu: cuMemsetD8 of the status word: %w", err)
	}
	return nil
}

// exampleClasses returns each example's class as sgd_steps compares it
// with the output's, as engine.Correct does: for one output, whether the
// target is above 0.5 (1) or not (0), and otherwise the argmax of its
// target row (the first on a tie), each in dtype's precision, as the
// device holds the targets.
func exampleClasses(data engine.Examples, dtype engine.DType) []int32 {
	classes := make([]int32, data.N)
	row32 := make([]float32, data.Outputs)
	for i := range classes {
		row := data.Y[i*data.Outputs : (i+1)*data.Outputs]
		switch {
		case data.Outputs == 1 && dtype == engine.Float32:
			classes[i] = b2i(float32(row[0]) > 0.5)
		case data.Outputs == 1:
			classes[i] = b2i(row[0] > 0.5)
		case dtype == engine.Float32:
			for k, v := range row {
				row32[k] = float32(v)
			}
			classes[i] = int32(engine.Argmax(row32))
		default:
			classes[i] = int32(engine.Argmax(row))
		}
	}
	return classes
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// uploadClasses uploads each example's class (exampleClasses), which
// sgd_steps reads instead of finding the argmax of the target row at every
// step.
func (t *trainer) uploadClasses(data engine.Examples) error {
	classes := exampleClasses(data, t.dtype)
	var err error
	if t.classes, err = t.mem.alloc(int64(4*max(len(classes), 1)), "the examples' classes"); err != nil {
		return err
	}
	if len(classes) == 0 {
		return nil
	}
	if err := memcpyHtoD(t.classes, unsafe.Pointer(&classes[0]), int64(4*len(classes))); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the examples' classes: %w", err)
	}
	return nil
}

// sgdSteps queues per-example SGD on the examples at positions from..to-1
// of the epoch: one launch of sgd_steps (of sgd_fits, for a plan of one
// block, oneBlock), and nothing else (the barrier
// word needs no reset). A grid of one block, which meets no other, is
// launched without cooperation. A cooperative grid that the GPU cannot
// hold at once (an MPS client's share of the multiprocessors, or one that
// other work occupies) is replanned with half the blocks, down to one,
// until the launch is accepted; the plan keeps the smaller grid.
func (t *trainer) sgdSteps(from, to int) error {
	if t.sgd.oneBlock() {
		return t.ks.launchFits(t.fitsKind(), t.sgd.fit, 1, t.sgd.shared, from, to)
	}
	for {
		cfg := launchConfig{grid: dim{t.sgd.grid, 1}, block: dim{t.sgd.threads, 1}, shared: t.sgd.shared, cooperative: t.sgd.cooperative && t.sgd.grid > 1}
		err := t.ks.sgdSteps(cfg, t.sgd.planPtr, t.x, t.y, t.classes, t.weights, t.order, from, to, t.losses, t.correct, int(t.loss), t.optim.settings,
			t.optim.rates, t.sgd.scratch, t.sgd.barrier, t.sgd.status)
		if !tooLarge(err) || t.sgd.grid == 1 {
			return err
		}
		t.sgd.grid /= 2
	}
}

// timedOut reads the status word of sgd_steps and, where a grid barrier
// timed out in the steps since the last check (positions from..to-1),
// returns an error saying what happened and resets it and the barrier
// word, so that the next launch runs: otherwise every later launch would
// run no step (the kernel's check of the status word), and the barrier
// word would stand partway through a barrier.
func (t *trainer) timedOut(from, to int) error {
	var status int32
	if err := memcpyDtoH(unsafe.Pointer(&status), t.sgd.status, 4); err != nil {
		return fmt.Errorf("gpu: cuMemcpyDtoH of the status word: %w", err)
	}
	if status == 0 {
		return nil
	}
	if err := t.resetBarrier(); err != nil {
		return err
	}
	why := "launched cooperatively, the blocks were all resident, so one was held up: another process or a debugger sharing the GPU, or a fault of the kernel's"
	if !t.sgd.cooperative {
		why = "launched without the guarantee of a cooperative launch, which this GPU lacks, so some blocks may not have been resident at once"
	}
	return fmt.Errorf("gpu: %s: a block waited more than %v at a grid barrier for the others of its grid of %d (%s): "+
		"the launch ended there, so some of the steps at positions %d to %d did not run and the parameters are those of a partial step; "+
		"the barrier and status words are reset, so a next launch runs",
		t.ks.name(kernelSgdSteps), t.sgd.timeout, t.sgd.grid, why, from, to-1)
}
