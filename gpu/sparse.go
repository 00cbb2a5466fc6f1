//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"unsafe"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// sparseRun is a plan of sparse_steps, which kernels/sparse.cu's
// sparse_fits runs (or cluster_steps, which kernels/sparse_cluster.cu's
// cluster_fits runs), and what it needs on the device: the plan, the
// layers' descriptors, the first layer's cold rows, the training inputs'
// nonzeros and the fit as the kernel's table of fits holds it.
type sparseRun struct {
	on      bool // per-example steps run in sparse_steps (or cluster_steps), not sgd_steps
	cluster int  // the blocks of cluster_steps' cluster; 0: sparse_steps
	shared  int  // bytes of dynamic shared memory of its block
	planPtr devicePtr
	fit     devicePtr // the fit's table of one (sparseFit), which its kernel runs alone
}

// planSparse chooses, for a per-example fit of the trainer's network on
// data, the fastest in the model (H100) of sgd_steps as planned (sh),
// sparse_steps where it can run it (sparseFits, within the device's budget
// of shared memory a block) and cluster_steps where the device runs
// clusters and the first layer fits a cluster's shared memories
// (clusterSizes), and prepares it.
func (t *trainer) planSparse(spec engine.Spec, data engine.Examples, sh sgdShape) error {
	hot, ok := sparseFits(spec, t.optim.opt, t.ks.sparseBudget)
	if !ok {
		return nil
	}
	counts, rank := nonzeros(data.X, data.Codes, data.N, data.Features)
	all := inputsOf(data.N, counts, rank, 0)
	best := H100.Grid(spec, all, int(sh.plan.nd), sh.grid)
	sparse := H100.Sparse(spec, inputsOf(data.N, counts, rank, hot))
	if t.ks.d.clusters {
		if sizes := clusterSizes(spec, t.optim.opt, t.ks.clusterBudget, t.ks.clusterMax); len(sizes) > 0 {
			if blocks, tc := H100.bestCluster(spec, all, sizes); tc < min(best, sparse) {
				return t.prepareSparse(spec, data, rank, spec.Inputs, blocks)
			}
		}
	}
	if sparse >= best {
		return nil
	}
	return t.prepareSparse(spec, data, rank, hot, 0)
}

// prepareSparse makes per-example steps run in sparse_steps, hot of the
// first layer's rows in shared memory, or, where cluster is not 0, in
// cluster_steps on a cluster of cluster blocks, each holding all its units'
// rows (hot must be the inputs): it uploads the inputs' nonzeros, ranked by
// rank, as a CSR, and the plan.
func (t *trainer) prepareSparse(spec engine.Spec, data engine.Examples, rank []int32, hot, cluster int) error {
	start, index, value := sparseRows(data, rank)
	r := layoutSparse(spec, cluster)
	first := t.layers[0]
	size := int64(t.dtype.Size())
	descs := make([]sgdLayer, len(t.layers))
	for i, l := range t.layers {
		descs[i] = sgdLayer{w: l.w, b: l.b, in: int64(l.in), out: int64(l.out), act: int64(l.act), priv: int64(r.priv[i])}
	}
	plan := sparsePlan{nlayers: int64(len(t.layers)), hot: int64(hot), rows: int64(r.rows), b1: int64(r.b1), z1: int64(r.z1),
		a1: int64(r.a1), dz1: int64(r.dz1), nzIndex: int64(r.nzIndex), nzValue: int64(r.nzValue), yStage: int64(r.y), red: int64(r.red),
		part: int64(r.part)}
	var err error
	for _, buf := range []struct {
		dst   *devicePtr
		bytes int64
		what  string
	}{
		{&plan.layers, int64(sgdLayerBytes * len(descs)), "the layers' descriptors of sparse_steps"},
		{&plan.cold, max(8, int64(first.in-hot)*int64(first.out)*size), "the first layer's cold rows"},
		{&plan.rank, int64(4 * len(rank)), "the inputs' ranks"}, {&plan.start, int64(4 * len(start)), "the nonzeros' bounds"},
		{&plan.index, max(8, int64(4*len(index))), "the nonzeros' rows"}, {&plan.value, max(8, int64(len(value))*size), "the nonzeros' values"},
		{&t.sparse.planPtr, sparsePlanBytes, "the plan of sparse_steps"},
		{&t.sparse.fit, sparseFitBytes, "the fit of sparse_fits"},
	} {
		if *buf.dst, err = t.mem.alloc(buf.bytes, buf.what); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		dst  devicePtr
		src  unsafe.Pointer
		n    int
		what string
	}{
		{plan.layers, unsafe.Pointer(&descs[0]), sgdLayerBytes * len(descs), "the layers' descriptors of sparse_steps"},
		{plan.rank, unsafe.Pointer(&rank[0]), 4 * len(rank), "the inputs' ranks"},
		{plan.start, unsafe.Pointer(&start[0]), 4 * len(start), "the nonzeros' bounds"},
		{plan.index, unsafe.Pointer(unsafe.SliceData(index)), 4 * len(index), "the nonzeros' rows"},
		{t.sparse.planPtr, unsafe.Pointer(&plan), sparsePlanBytes, "the plan of sparse_steps"},
	} {
		if c.n == 0 {
			continue
		}
		if err := memcpyHtoD(c.dst, c.src, int64(c.n)); err != nil {
			return fmt.Errorf("gpu: cuMemcpyHtoD of %s: %w", c.what, err)
		}
	}
	if len(value) > 0 {
		if err := upload(plan.value, value, t.dtype); err != nil {
			return err
		}
	}
	shared := r.rows + hot*first.out*int(size)
	if cluster > 0 {
		shared = clusterShared(spec, cluster)
	}
	t.sparse.on, t.sparse.cluster, t.sparse.shared = true, cluster, shared
	fit := t.sparseFit()
	if err := memcpyHtoD(t.sparse.fit, unsafe.Pointer(&fit), sparseFitBytes); err != nil {
		return fmt.Errorf("gpu: cuMemcpyHtoD of the fit of sparse_fits: %w", err)
	}
	return nil
}

// sparseFit is the trainer's fit as sparse_fits and cluster_fits read it.
func (t *trainer) sparseFit() sparseFit {
	return sparseFit{plan: t.sparse.planPtr, y: t.y, weight: t.weights, order: t.order, loss: t.losses, correct: t.correct,
		opt: t.optim.settings, rates: t.optim.rates, lossKind: int64(t.loss)}
}

// sparseRows returns the nonzero inputs of data, example by example, as a
// CSR: example e's are start[e]..start[e+1]-1 of index (their rows, the
// inputs' ranks) and value, in the order of the inputs.
func sparseRows(data engine.Examples, rank []int32) (start, index []int32, value []float64) {
	start = make([]int32, data.N+1)
	buf := make([]float64, data.Features)
	for r := 0; r < data.N; r++ {
		dataset.Values(buf, data.X, data.Codes, r*data.Features)
		for j, v := range buf {
			if v != 0 {
				index = append(index, rank[j])
				value = append(value, v)
			}
		}
		start[r+1] = int32(len(index))
	}
	return start, index, value
}

// sparseSteps queues per-example SGD on the examples at positions
// from..to-1 of the epoch: one launch of sparse_fits (one block) or
// cluster_fits (one cluster) on the fit's table of one.
func (t *trainer) sparseSteps(from, to int) error {
	return t.ks.launchFits(t.fitsKind(), t.sparse.fit, 1, t.sparse.shared, from, to)
}

// optInSparse lets sparse_fits have all the dynamic shared memory the
// device allows a block, less its static shared memory, and sets
// sparseBudget to it; on a GPU that launches clusters it readies
// cluster_fits too (optInCluster).
func (ks *kernelSet) optInSparse() error {
	fn := ks.fns[kernelSparseFits]
	static, err := fn.staticShared()
	if err != nil {
		return fmt.Errorf("gpu: cuFuncGetAttribute(%s, static shared memory): %w", ks.name(kernelSparseFits), err)
	}
	ks.sparseBudget = ks.d.sharedOptIn - static
	if err := fn.optInShared(ks.sparseBudget); err != nil {
		return fmt.Errorf("gpu: cuFuncSetAttribute(%s, %d bytes of dynamic shared memory): %w", ks.name(kernelSparseFits), ks.sparseBudget, err)
	}
	if ks.d.clusters {
		ks.optInCluster()
	}
	return nil
}

// optInCluster readies cluster_fits: all the shared memory a block may opt
// in to, clusters of up to 16 blocks where the GPU allows them (else the
// portable 8), and the most blocks a cluster of it may have (clusterMax). A
// GPU that refuses any of it gets no clusters (clusterMax 0): the plan then
// takes sparse_steps or sgd_steps rather than failing the backend.
func (ks *kernelSet) optInCluster() {
	fn := ks.fns[kernelClusterFits]
	static, err := fn.staticShared()
	if err != nil {
		return
	}
	budget := ks.d.sharedOptIn - static
	if fn.optInShared(budget) != nil {
		return
	}
	_ = fn.allowNonPortableCluster() // refused: the portable 8, which maxClusterSize then reports
	most, err := fn.maxClusterSize(sparseThreads, budget)
	if err != nil {
		return
	}
	ks.clusterBudget, ks.clusterMax = budget, most
}
