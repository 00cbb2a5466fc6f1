// Package backendtest is the test suite every engine.Backend passes, as
// gonum's testblas is for BLAS implementations. A backend's test calls Run
// (the CPU's TestBackend, and the GPU's in the cuda and cudaemu builds); each
// part is also exported, for a backend to run alone.
//
// Run checks, on the backend:
//
//   - GradientCheck: finite-difference gradient checks for every hidden
//     activation × output activation × loss, per example and on a mini-batch,
//     reading the gradient back from one real SGD step.
//   - PreUpdateWeights: a step worked by hand proving that da_prev = Wᵀ·dz
//     uses the weights from before the step's update.
//   - Golden and Course: the per-epoch losses of the course's NumPy code,
//     generated once with Debian's python3-numpy and committed: from the same
//     initial weights and permutations (testdata/golden.py, an adapted copy
//     that records them), and from the seed alone through NumPy's generator
//     (testdata/course/make.sh, which runs the unmodified reference). Both
//     must agree within 1e-9 relative (6e-16 seen on the CPU).
//   - Learns: learning xor, moons, circles and blobs to a held-out accuracy;
//     Float32TracksFloat64: float32 stays close to float64.
//   - Cancel and NonFinite: a cancelled fit keeps the parameters reached and
//     returns a *StopError saying where it stopped; a
//     loss that becomes NaN or Inf stops the fit with an error naming the
//     epoch and step.
//   - Optimizers: the optimizers and schedules against torch.optim.
//     testdata/optim.py, run once with Debian's python3-torch 1.13, trains a
//     small network from fixed weights in a recorded order with SGD
//     (momentum, Nesterov, weight decay), Adam and AdamW, per example and in
//     mini-batches, with and without step and cosine schedules and warm-up,
//     and records every step's loss and learning rate, the final parameters
//     and the optimizer's state; the backend must match them within 1e-10 in
//     float64.
//   - Plateau: fits of 8 epochs with a plateau schedule watching the
//     validation loss (SGD with momentum, per example) or accuracy (Adam,
//     batches of 4, with cooldown and a min lr) against torch's
//     ReduceLROnPlateau stepped once an epoch (testdata/clip.py, on
//     optim.py's network): each epoch's learning rate, loss and validation
//     figures, the final parameters and state, within 1e-10 in float64.
//   - Weights: the weighted loss, Σ w_i·l_i / B over a batch of B,
//     against torch. testdata/weights.py, run once with Debian's
//     python3-torch 1.13, trains small networks from fixed weights in a
//     recorded order with class weights (ce, through
//     nn.CrossEntropyLoss(weight=…, reduction='none')) and per-example
//     weights, some 0 (bce through nn.BCELoss(weight=…, reduction='none'),
//     and mse), per example and in mini-batches, with SGD, momentum and
//     Adam; the backend must match each epoch's weighted loss, the final
//     parameters and Evaluate's weighted loss within 1e-10 in float64, and
//     the loss within 1e-4 in float32. Weights of 1 train bit for bit as no
//     weights; the mini-batch fits on 2 processes end as one process's; a
//     NaN weight, or weights not one per example, are refused.
//   - Resume: fits of each optimizer, stopped at an epoch boundary and within
//     an epoch, resume from their checkpoints to the same parameters and
//     history, bit for bit, and so do fits with a plateau schedule on either
//     monitor, whose rate falls within the fit; ResumeRefusesAnotherFit: a
//     checkpoint of another fit (another monitor, clipping or schedule
//     among them) is refused, naming what differs; EarlyStop: early stopping leaves
//     the parameters of a fit of just the best epoch's length.
//   - DataParallel: fits on 2 and 3 goroutines joined by
//     distributed.RunLocal, for every optimizer in both dtypes with
//     validation and early stopping, with all-reduce buckets holding
//     everything, one value, and parts of layers, end with the same parameters on every
//     process, bit for bit, within 1e-12 (float64) or 1e-5 (float32) of one
//     process's; a fit stopped on one process's signal resumes on 3 processes
//     and on 1; a NaN on one process's shard stops all at the same step,
//     with the verdict in a bucket of its own too; a
//     process with other data, other settings or bad input fails all with
//     its cause (each setting that differs, with both values).
//   - Codes: a set held as codes (dataset.Codes, as MNIST's pixels are)
//     trains, validates and evaluates exactly as its values held as float64,
//     in both dtypes, per example and in mini-batches, on a set of more than
//     a million values too (which Evaluate and an upload convert in
//     pieces); a data-parallel fit on codes ends as one on the float64
//     values, and processes holding the data in different ways are refused
//     (the checksum is of the bytes held).
//   - Dropout (run by backends that train it, not by Run): the gradient of a
//     step with the masks fixed (replayed from the generator's seed) against
//     finite differences of the loss of the network with those masks folded
//     into the next layer's weights, per example and on a mini-batch, for
//     every hidden activation; a fit with dropout resumed at an epoch's end
//     and within one, bit for bit; the same seed giving the same fit and
//     another seed, or no dropout, another; prediction the identity on
//     dropout; data-parallel fits on 2 and 3 processes within 1e-12 of one.
//
// Outside Run, for the backends that clip gradients (the CPU's and the GPU's):
//
//   - Clipping: steps clipped by torch.nn.utils.clip_grad_norm_ (bounds
//     near the median norm, so that some steps clip and some do not) and
//     clip_grad_value_, per example and in batches of 4, with SGD,
//     momentum, Adam and AdamW (testdata/clip.py): every step's loss, the
//     epochs' losses, the final parameters and state within 1e-10 in
//     float64.
//   - DataParallelClipping: a fit clipped by norm on 2 and 3 processes ends
//     as one process's, so the norm clipped is the summed gradient's, and
//     differs from the fit unclipped.
//   - ResumeClipping: Resume for fits clipped by norm and by value, per
//     example and in mini-batches, with SGD and Adam.
//
// # Testing
//
// The package has no tests of its own: it runs in the packages of the
// backends (go test ./cpu, and go test -tags cudaemu ./gpu without a GPU).
// Its goldens are regenerated by the scripts above, which need Debian's
// python3-numpy and python3-torch; the tests themselves need no Python.
package backendtest
