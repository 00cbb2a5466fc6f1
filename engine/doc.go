// Package engine holds the multilayer perceptron and its training algorithm,
// written once for every backend.
//
// A Network is a stack of dense layers. Layer l holds a weight matrix W of
// Units×Inputs (row i is neuron i, stored row-major) and a bias b of Units
// entries, and computes
//
//	z = W·x + b
//	a = f(z)
//
// Fit trains it by stochastic gradient descent as the course's NumPy
// Perceptron does: every epoch shuffles the examples, and each step runs the
// forward pass, the output gradient, and the backward pass through the layers
// in reverse, where each layer computes
//
//	dz      = da ⊙ f'(z)
//	da_prev = Wᵀ·dz          (with the weights before this step's update)
//	W      -= lr·dz·xᵀ
//	b      -= lr·dz
//
// With a batch size B > 1 the gradients of B examples are averaged before one
// update (mini-batch SGD). A hidden layer with dropout (LayerSpec.Dropout)
// multiplies its activations in training by a mask drawn each step from the
// fit's generator (DropoutMask: 0, or 1/(1−p) for a kept output) and its
// da by the same mask; evaluation and prediction leave them as they are.
// A training set with weights (dataset.Set.Weights,
// from class weights or a column) scales each example's loss and gradient by
// its weight; a batch's mean still divides by B, so that the loss of a batch
// is Σ w_i·l_i / B (Keras' sample_weight convention: torch's weighted mean,
// Σ w_i·l_i / Σ w_i, would cancel the weight of per-example SGD). Evaluate
// reports the weighted mean loss Σ w_i·l_i / N of a set with weights, and
// its other figures unweighted. With Config.Comm, several processes share each
// batch (data parallelism, over package distributed): each computes the
// gradients of its shard, they are summed over the processes, and every
// process applies the same update.
//
// The engine owns the algorithm; a Backend owns memory and arithmetic. The
// engine imports no backend: the CPU backend, the reference, lives in
// package cpu and the CUDA one in package gpu.
//
// A data set is held once: Fit hands the backend the set's own storage
// (Examples.X, or Examples.Codes for a set held one byte a value, such as
// MNIST), which a backend converts once to its own layout, and Evaluate
// converts a coded set's rows for Backend.Predict in pieces of 1,024
// examples, never the whole set. A data-parallel fit's data checksum is of
// the float64 values, however each process holds them.
//
// # Choosing the learning rate
//
// FindRate is the range test of fastai's lr_find and Lightning's finder: a
// copy of the network trained at rates growing exponentially (RangeTest),
// the loss smoothed with bias correction, stopped when it explodes, and the
// rate at the steepest descent of the smoothed curve suggested. It leaves
// the network and the fit's generator as they were, so that a fit at the
// rate found is the fit at that rate given.
//
// # Warm starts
//
// Fit trains the parameters net holds, whatever drew them: a warm start
// (scikit-learn's warm_start, the command's --init-from) is Fit on the
// Network of a loaded model (modelfile.Load), with a fresh optimizer state,
// on data prepared as the model's was (its Scaler applied to the features,
// or its tabular Preprocessor transforming the table). Only Config.Resume
// carries an optimizer's state over.
//
// # Predicting
//
// A Predictor (NewPredictor, or modelfile.Model.Predictor) is the way to
// run a trained model: Backend.NewInference lays the parameters out once,
// and the Predictor applies the model's Preprocessing, a scaler of raw
// numeric features (PredictInto, PredictInto32) or a tabular preprocessor
// of raw cells by column name (PredictRow; PredictFeatures takes the
// features its Transform made, and a tabular model refuses PredictInto,
// whose numbers would skip its preprocessing), from any number of goroutines,
// allocating nothing per call on the CPU. EvaluatePredictor evaluates raw
// data through one, as the command's eval does. Predict and Evaluate stay
// for networks without preprocessing: they take the network's inputs as
// they are (prepared), lay the parameters out anew on every call, and say
// so in their doc; the decision was to keep them, not to make them take a
// scaler, so that a caller with prepared rows is not made to build a
// Predictor, while every path from a model file (predict, eval, the
// README's Go snippet) goes through the Predictor and cannot skip the
// scaling.
//
// # Testing
//
// Fit itself is tested where a backend is: package engine/backendtest holds
// the suite every backend passes (the gradient checks, the course's goldens,
// torch.optim's, resuming, data parallelism), and the cpu and gpu packages
// run it. go test ./engine checks what needs no backend:
//
//   - parsing and formatting layers, activations, losses and the other names
//     (a layer's :dropout=P round trips; a dropout outside [0, 1) or on the
//     output layer is refused); DropoutMask's values, its keep rate within
//     5 standard deviations of 1−p, and the same draws from the same state;
//     a Spec's validation, its parameter count and its targets; the
//     initialisers; Fit refusing a bad Config, and a training set whose
//     classes a classifier's output does not fit exactly (TrainingTargets:
//     softmax or sigmoid units for another number of classes, one sigmoid
//     unit for more than two, a class with no examples), while a set to
//     evaluate on may lack classes and a regression is not held to them
//   - the activations and losses (Weigh, the weighting of an example's loss
//     and gradient): softmax stable on large inputs, gradients
//     finite at saturated outputs, each example's loss, and bce's loss, which
//     multiplies the factors of 0 and 1 targets before it takes their log,
//     against the sum of each term's log
//   - Evaluate's metrics: per-class precision, recall, F1 and confusion, one
//     sigmoid's threshold, and regressions (a linear output is one whatever
//     its labels); a set of other features than the network's inputs
//     refused, held as float64 values or as codes
//   - the Predictor on the CPU backend: its scaler against Predict of rows
//     scaled by Scaler.Apply, in float64 and float32, over batches that span
//     its chunks, the caller's rows left as they were (TestPredictorScales);
//     no allocation per call at batch 1 and 300 rows, with and without a
//     scaler (TestPredictorAllocatesNothing, skipped under -race, where
//     sync.Pool drops at random); 32 goroutines on one Predictor against
//     the serial outputs (TestPredictorConcurrent, run with -race); every
//     error: both preprocessings, a scaler or preprocessor of other
//     features, misshapen parameters, rows that are not whole, dst of the
//     wrong size, PredictRow without columns (TestPredictorErrors);
//     EvaluatePredictor's figures equal Evaluate's (TestEvaluateMetrics).
//     backendtest.Inference checks each backend's Inference against its
//     Predict, and modelfile's tests the tabular PredictRow and
//     PredictFeatures, and each model refusing the other kind's method
//   - the learning-rate range test (FindRate, RangeTest.Curve): two loss
//     curves smoothed, stopped and suggested as testdata/lrfind.py does in
//     NumPy (fastai's smoothing, Lightning's suggestion); on a quadratic
//     whose rates are known (full-batch descent diverging above 2/18) the
//     suggestion between 0.1/18 and 2/18 and the test stopped after the
//     divergence, the network given unchanged; on the moons the rates'
//     geometric growth, the smoothing recomputed, the same curve from the
//     same generator; and its errors
//   - NumPy's generator (NewNumPyRNG) against committed draws of np.random
//     for six seeds (testdata/numpy_rng.py), and the generators' state round
//     trip
//   - each optimizer's step against values worked out from torch.optim's
//     formulas (TestUpdateByHand), and the learning-rate schedules
//   - Clip by hand (a norm of 5 scaled to 1 by 1/(5+1e-6), a norm within
//     the bound left bit for bit, components clamped by value, the zero
//     Clipping doing nothing) and Clipping's validation; the plateau
//     schedule's spelling and validation, and PlateauState against torch's
//     ReduceLROnPlateau stepped on series of losses and accuracies
//     (testdata/plateau.py: thresholds, ties, cooldown, a min lr, the 1e-8
//     below which torch makes no reduction): the rate after every epoch and
//     the final state; Fit refusing a plateau schedule or early stopping
//     without validation data, val_accuracy for a regression, and both
//     clippings at once
//   - the history thinned to every 2nd, 4th, … epoch past MaxHistory
//   - resuming checks the data (TestResumeChecksData): a checkpoint records
//     DataChecksums; a training feature, a label, weights or a validation
//     feature changed, as many examples, gets a *DataError naming the set,
//     its examples and both checksums; the same data resumes, and a
//     checkpoint without checksums resumes unchecked. A state no fit
//     reaches is refused naming its part (TestResumeRefusesBadState): NaN
//     or Inf parameters or optimizer state, a negative exp_avg_sq, partial
//     totals that do not fit the examples done, early stopping's wait other
//     than the epochs since its best, plateau counters or rate out of range,
//     an order that is not a permutation
//   - FuzzParseLayers: what ParseLayers accepts formats back to text that
//     parses to the same layers, of at most 2³¹−1 parameters. CI runs it for
//     a fixed count in a 4 GiB address space; run on the development machine
//     (2026-11-27) for 10,000,000 executions under the same limit: no crash,
//     no failed property.
//
// The examples run as tests: ExampleFit (the README's tour),
// ExampleFit_resume (Adam, a schedule, early stopping and a checkpoint that
// resumes as the fit never stopped), and NumPy's generator replaying the
// course.
package engine
