// Package benchmarks defines the benchmark workloads of WORKLOADS.md (W1, W2,
// W2s, W3, and W2a, W2d beside them) once, runs them on any backend for
// `perceptron bench`, and holds the Go benchmarks of the ops and of one epoch
// of each workload (go test -bench . ./benchmarks). compare.sh measures the
// CPU backend against PyTorch and the plain C loop as WORKLOADS.md asks
// (interleaved rounds, medians, the peer at its best); sweep.sh measures
// `perceptron sweep`'s fits a second against `perceptron train` once per fit
// (interleaved rounds too); results/ holds dated, measured tables.
//
// data-parallel.sh measures data-parallel training on one machine in one
// sitting (interleaved rounds): two independent processes pinned to a core
// each against 2 ranks of one fit, over shared memory and over TCP between
// two network namespaces (.ci/two-hosts), per all-reduce bucket size and
// Open MPI setting (the ring, Open MPI's own MPI_Iallreduce algorithm, no
// single copy between processes; W3, float32, one thread a process, batches
// 256 and 1024), and prints the ratios with the 2-rank runs' shares of
// computing, all-reduce and waiting (Result; Run tells them apart per step
// without holding the steps back). steptrace.patch makes bench write each
// rank's steps' events (all-reduces started, tested, waited for), and
// steptrace.py merges two ranks' into per-step computation, MPI time and
// skew (usage in its header). allreduce/ holds two C programs (usage in
// their headers): tcpfloor.c, the least a 2-process all-reduce costs over
// plain TCP sockets (the ring's two exchanges, both directions at once, on
// one or more connections), and arbench.c, Open MPI's MPI_Iallreduce or
// MPI_Allreduce measured the same way.
//
// BenchmarkPredictor runs a Predictor of W2 and W3 in float32 at batch 1
// (ns/row) and on a batch of PredictBatch (10,000) rows (rows/s); run it as
// GOMAXPROCS=1 go test -run '^$' -bench Predictor ./benchmarks. The same
// measure, MeasurePredictor, is `perceptron bench --predict`, which prints
// JSON (batch1_us_per_row, rows_per_s) for a script comparing it with
// another runtime in the same sitting: batch 1 over the first Batch1Rows
// (1,000) rows in turn, and the median of at least 5 runs of the whole
// batch. The networks' weights are drawn (their values do not change the
// work) and the rows dense (uniform in (0, 1), no zeros); with --model and
// --inputs (MeasureRows, ReadRows) it measures a model file's Predictor on
// rows of raw float32s, as compare-onnx.sh does.
//
// tabular/ measures perceptron against scikit-learn on data as people have
// it (issue 22). tabular/make_tabular.py writes a seeded, adult-census-like
// set: 40,000 training and 10,000 test rows of numeric and text columns with
// missing cells and a text label, the test file with its columns in another
// order, an extra column and categories never seen in training.
// tabular/sklearn_tabular.py is the peer: scikit-learn's ColumnTransformer
// (median imputation and standard scaling of numeric columns, one-hot text
// columns with a missing cell as a category of its own) and MLPClassifier,
// 64 relu units, Adam, lr 0.001, batch 32, 20 epochs, no L2 and no early
// stop, the network and preprocessing that `perceptron train --data csv:…
// --layers 64:relu,1:sigmoid --optimizer adam` builds. From the repository
// root,
//
//	sh benchmarks/tabular/compare-tabular.sh -r 3
//
// times both as whole processes (ours: train, then eval), 1 thread each,
// interleaved, and writes the median seconds, accuracies and their ratio
// (tabular/summarize.py) into tabular-DATE/summary.md; -s sklearn measures
// scikit-learn alone. tabular/regress_targets.py compares test R² on
// regression files (seaborn's, not committed) with the labels standardised
// (--scale-target standard) or not, beside scikit-learn's MLPRegressor with
// and without TransformedTargetRegressor: accuracy, not speed.
//
// onnx/ runs exported models in ONNX Runtime (npm onnxruntime-node 1.30,
// installed by `npm ci --ignore-scripts` there; it bundles
// libonnxruntime.so.1): run.js prints a model's outputs for the rows of a
// CSV (the export's tests compare them with perceptron predict's);
// bench.js times batch-1 calls and a 10,000-row batch on 1 thread, as
// bench --predict does; rows.js writes the rows both sides predict (MNIST's
// test images and dense rows, raw float32s); identity.onnx (identity.py)
// measures the binding's own cost; and
//
//	sh benchmarks/onnx/compare-onnx.sh -r 3
//
// trains and exports W2 and W3, runs ours (bench --predict --model
// --inputs, or OURS_CMD) and ORT on the same weights and rows, interleaved,
// and writes medians, min–max and the ratios of the medians into
// compare-onnx-DATE/summary.md.
//
// serve/ is a load test of perceptron serve (issue 29), loopback only and
// bounded in time and count: go run ./benchmarks/serve -duration 3s builds
// the command, serves a random-initialised W2 model, and prints rows/s and
// p50/p99 latency of one-row requests at concurrency 1, 16 and 64, with
// batching and without, then the answers to hostile requests (malformed
// JSON, a wrong shape, a body over the limit, a client that stalls) and
// whether the server is alive after them.
//
// # Testing
//
// TestMakeTabular runs make_tabular.py (skipped where /usr/bin/python3 has no
// NumPy) and checks what the comparison relies on: the same bytes for the same
// seed; numeric and text columns with missing cells written as "", "?" and
// "NA"; a heavy-tailed capital_gain; about 40 countries; a quoted category; a
// two-class text label, about a quarter positive; and a test file with its
// columns reordered, one extra column and categories unseen in training.
package benchmarks
