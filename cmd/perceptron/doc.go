// Command perceptron trains, evaluates and runs multilayer perceptrons on the
// CPU, or on an NVIDIA GPU in a build with -tags cuda.
//
//	perceptron train   [flags]   train a network and write the model, history and curves
//	perceptron sweep   [flags]   train every combination of lists of train's flags, side by side
//	perceptron eval    --model PATH --data SPEC
//	perceptron predict --model PATH --input CSV
//	perceptron export  --model PATH --format onnx --out PATH [--opset 13]
//	perceptron serve   --model PATH [--addr HOST:PORT]
//	perceptron info
//	perceptron bench   [--workload W1,W2,W2s,W3,W2a,W2d]
//	perceptron bench   --fits 1,8,64,512 --backend cpu,cuda [--workload W1|W2]
//
// perceptron -h, and perceptron COMMAND -h, print the flags; the README is
// the user's guide.
//
// # Sweeps and the learning-rate finder
//
// sweep (sweep.go, sweepdata.go, sweepreport.go) reads train's flags through train's own
// flag set (trainFlags.register and complete), once per combination of its
// lists (--lr, --batch, --seed, --layers separated by ";", --optimizer,
// --weight-decay, --dropout; --lr log:MIN:MAX:N), and runs each fit through
// train's steps on a fitRunner: cpuPool, --threads goroutines with
// GOMAXPROCS at --threads, a fit on one from its data to its test; and,
// where two fits or more ask for --backend cuda in a binary with the CUDA
// backend, gpuGroup (sweepgpu.go): those fits all at once, each through
// its seat of one gpu.Group, whose per-example fits of one block or one
// cluster (W1's plain SGD in sgd_fits, a block a fit; a plan of
// sparse_steps in sparse_fits; W2's cluster_steps on Hopper in
// cluster_fits, a cluster a fit) train in shared launches, one per kernel
// a round, bit for bit train --backend cuda's; a seated fit that cannot
// join (a mini-batch, or a network sgd_steps distributes) trains alone on
// the GPU and the sweep says why. --backend auto, where a GPU is found, seats the
// fits of --batch 1 too, and each, once its network is known, trains in
// the group where the model says that the group's fits at once beat the
// CPU pool of --threads cores (gpu.Model.Fits: 16 W1 fits on 2 cores, not
// 8), else on the CPU, its seat left; --backend auto's mini-batch fits,
// and any fit where no GPU is found, pick as train does. The
// fits share their data (dataSets): each distinct data set (keyed on the
// flags that feed loadTraining, the seed but for mnist) is read once, by
// the first fit that needs it, each fit training on copies of its parts
// (it shuffles, scales and weighs them in place), and dropped when the
// last fit that reads it ends. A fit that did not learn (its last epoch's
// training loss above 0.9 times its first's, or above 0.95 times the loss
// of the best constant output, engine.ConstantLoss) is "stalled", ranked
// after the fits that learnt and before those that diverged or failed.
// train --lr find (lrfind.go) runs engine.FindRate on a copy of the network with
// a generator of its own before the fit.
//
// # Memory
//
// A data set is held once (see package engine/dataset): MNIST's pixels as
// their bytes, splits sharing the set's memory, the backend's one copy in
// its own layout. The program runs its garbage collector at GOGC=50 unless
// the environment sets GOGC (gcPercent): the heap is mostly data held for
// the whole fit. The default job peaks at about 240 MB resident, measured
// in benchmarks/results/2026-12-05-memory.md.
//
// # Testing
//
// The tests build the binary and run it, as a user would, in a temporary
// folder:
//
//   - train, eval and predict end to end (both through the model's
//     engine.Predictor, so the scaler always applies); info and the help;
//     bench, and bench --predict's JSON (TestBenchPredict), on a model
//     file and rows of raw float32s, with its errors for rows that are
//     not whole rows, --model with --workload, and --inputs alone
//     (TestBenchPredictModel); bench --fits (benchfits.go), 1 and 3 W1
//     fits at once on the CPU as the sweep trains them, its JSON's seconds
//     at least the sweep's own and its fits a second, and its errors
//     (TestBenchFits); a
//     regression evaluated on integer labels; the course replayed from the
//     command line against the committed runs of its NumPy code, and the
//     course preset
//   - the default perceptron train, the README's first command, reaching
//     at least 97% test accuracy on MNIST with 54,000 training, 6,000
//     validation and 10,000 test images (skipped with -short)
//   - a CSV as people have them (TestMessyCSV): a semicolon, a quoted
//     separator, missing cells of every spelling, a text column, text
//     labels and a weight column trained on (the announcement naming the
//     label column and its classes; TestDefaultLabelHint: a missing label
//     in the last column, the label by default, hinted at with
//     --label-col, not once it is given; TestDropUnlabelled: rows without
//     a label refused with the advice, which followed leaves them out of
//     train, with or without a test part, and of eval, with a note naming
//     their lines, and resumes); the model file's
//     preprocessing (its features by name, standard scaling by default);
//     eval on a file of reordered columns, a column more and a category
//     not seen in training (both noted), its per-class table and confusion
//     matrix by class name, and the class names in its JSON; predict
//     --class printing names; eval refusing a file without the label; the
//     CSV flags (TestCSVFlags: --na-values, --categorical, --sep, --impute,
//     --decimal , (a note without it, numbers with it, in train and predict),
//     --encoding (a Windows-1252 file refused with the advice, which
//     followed stores its categories as written, which eval then finds),
//     --label-col by name, and refused for other data); --weight-col
//     (TestWeightColumn: weights of 0 make the training and validation
//     losses 0, not the test's); the note to scale a feature whose
//     range dwarfs the others' (TestScaleHint), for a CSV and NumPy arrays;
//     and --drop (TestDrop): an identifier refused as a category with the
//     advice --drop ticket, a column that copies the label noted (with
//     --drop alive) until it is dropped too, the model's inputs without
//     them, eval on the same file noting both as ignored, predict from rows
//     without them, and each refusal (the label, an unknown column, every
//     feature, a column both dropped and categorical, data not a CSV);
//     sweep takes --drop, which is part of the key of the data fits share
//     (TestSweepDrop), and a resume keeps it (TestResumeKeepsTheCSVFlags)
//   - a CSV of date-times (TestDates): the pickup of taxi rides, late ones
//     told by the hour alone, becomes the features pickup:year … pickup:hour
//     in the model file; eval on a file of reordered columns reaches over
//     90% accuracy; predict and serve read the same requests (a zone not
//     applied, a missing date) to the same classes; serve answers 400 to a
//     cell that is not a date, and predict refuses one naming the file,
//     line, column and cell
//   - the data edge cases (TestDataEdgeCases): one row, one class and a
//     header only refused with their message; 10,000 columns, CRLF line
//     ends, an empty validation split and a batch of every training row
//     trained on; float labels regressed, labels such as 2.0 classified,
//     and float labels under a softmax refused at their line
//   - every hint and piece of advice followed literally, the command then
//     training (TestHintsWork, 30 cases): the values it gives (--batch N or
//     less, --val-split X or more, --impute zero, --max-categories N with
//     the column's count, --drop COL for a column of too many categories
//     or every cell missing, the --layers that fit the labels for a syntax
//     error, a one-unit softmax, too many or too few outputs and several
//     label columns, --test-split 0 and --val-split 0 for a rare class held
//     out, --early-stop 5 for a lone --monitor, --backend cpu, the --data
//     forms), the flags it drops (--loss, --val-split 0, --monitor, --sep,
//     --class-weight, mnist's --test-split), and the data it asks to mend
//     (labels from 1 or with a gap relabelled 0 to K-1, one class made
//     two); the largest --samples that fits a memory limit
//     (TestMostThatFit)
//   - beside the test's accuracy, what always answering the training
//     part's most common class scores, and the note when a classifier does
//     no better (TestMajority; the test line in
//     TestValidationComesFromTrainingData)
//   - validation held out of the training data by default, mnist included
//     (a folder of 300 noisy 4×4 digits: 270 training, 30 validation, 100
//     test); its figures in the table, the history CSV and the JSON, and
//     none with --val-split 0 (an empty column, null, no table column), never
//     the test set's; test labels scrambled changing no epoch's figure, nor
//     the epoch early stopping keeps, but the test's accuracy
//   - a classifier's output that does not fit the classes, either way (a
//     4-unit softmax or 3-unit sigmoid on two classes, a 2-unit softmax or
//     one sigmoid on three, 11 units on MNIST), and a class with no training
//     examples (CSV labels 1 to 3; MNIST without a 9), each with its hint;
//     a regression on the same labels trains
//   - a regression's targets standardised (target_test.go): prices in the
//     thousands learnt with the defaults (R² above 0.95; not so with
//     --scale-target none), the note, the model file's standardisation,
//     eval's figures and predict's outputs in the labels' units; a
//     checkpointed fit resumed to the same model file, byte for byte; a
//     warm start from such a model predicting what it did at a rate too
//     small to move it; a sweep's best model and each fit's under
//     --out-dir folded too (TestScaleTargetSweep); and the refusals (an
//     unknown choice, standard for a sigmoid output, none for a warm start
//     whose model was standardised)
//   - export: its errors (missing flags, an unknown format, an opset out
//     of range, a model or folder that is not there: no file written); and,
//     where python3-onnx, node and onnxruntime-node are installed, models
//     of every activation, dtype and preprocessing exported, passing ONNX's
//     checker and giving predict's outputs within 1e-5 in ONNX Runtime
//     (see engine/onnx)
//   - where python3 with torch is installed (Debian: python3-torch), a
//     trained model loaded into torch.nn.Sequential with
//     load_state_dict(strict=True), giving perceptron predict's outputs
//     (both models scaled with --scale minmax, which the script applies
//     from the metadata as the README's snippet does)
//   - Adam, a schedule and early stopping; a fit resumed after a Ctrl-C
//     within an epoch, and at an epoch's end with more epochs asked for,
//     giving the same model file, byte for byte, and the same history as
//     the fit never stopped; a checkpoint of another fit refused; a
//     checkpoint of an earlier perceptron (--val-split -1) resuming, with
//     and without early stopping, as today's same fit; every optimizer
//     flag's error, --early-stop with --val-split 0 among them
//   - hostile checkpoints (resume_test.go): a data file rewritten with as
//     many rows and other values refused by its checksum, with the hint,
//     and resuming once restored; a checkpoint cut short or with a byte
//     inverted at offsets across its header and tensors refused with one
//     error naming it; each refusal leaving every file (the checkpoint, the
//     model at --out) byte-identical; a checkpoint without data checksums
//     resuming with a note
//   - --init-from (initfrom_test.go): the model file of a warm start equals,
//     bit for bit, engine.Fit with Adam on the loaded model's Network
//     (TestInitFromIsFitFromTheModel), and its first loss is under half a
//     fresh fit's; the model's scaler and a CSV model's preprocessing
//     (columns in another order) kept, not fitted on the new data; a warm
//     start resumed from its checkpoint equal, byte for byte, to the fit
//     never stopped; each error (other layers, inputs, classes, --scale,
//     a numbers model on a CSV and a CSV model on numbers, --init,
//     --resume, a missing file), with both shapes and a hint
//   - --tensorboard (TestTensorBoardFlag): an event file of a record per
//     epoch after the version record, in the JSON's wrote; a resumed fit's
//     file of its own with its epochs; a path that is not a folder refused
//   - write faults (TestTrainUnderEveryWriteFault): train run in the test's
//     process with each call of each file-system operation (package fsys's
//     seam: mkdir, open, write, sync, close, rename, folder sync; 58 fault
//     points: the checks before the fit, three checkpoints, the TensorBoard
//     log, the model, history and plot) failing in turn with ENOSPC,
//     EDQUOT, EROFS, EIO, EPERM, EACCES or ENOENT, once or for good: status
//     1, one error naming the file and the cause, every output its old
//     bytes or a whole file, no temporary file left, and the model written
//     when only the TensorBoard log failed; as root
//     (TestFoldersFailingDuringTheFit), the checkpoint's folder removed, and
//     its tmpfs remounted read-only, during a fit: status 1, one error
//     naming the checkpoint and the cause, the last checkpoint whole
//   - two fits of the binary writing one --out and one --checkpoint at once
//     (TestTwoFitsWritingOnePath): each file left loads and holds one fit's
//     parameters, never a mix, and no temporary file is left
//   - a plateau schedule watching val_accuracy with --clip-grad-norm,
//     resumed from a checkpoint after epoch 2, giving the same model file
//     and history as the fit never stopped, its rate lowered within the
//     fit (TestResumePlateauClipping); the errors of --lr-schedule plateau
//     (its spelling, its factor, a warm-up, no validation data), --monitor
//     (an unknown figure, nothing to watch) and the clipping flags
//   - --class-weight (TestClassWeight): weights of 1 train bit for bit as
//     none; weights of 0 make the training and validation losses 0 while
//     the test loss, on the same examples, stays unweighted; balanced
//     weights in the JSON summary, replayed by --resume, which refuses
//     other ones; and its errors: a regression, an unknown class, a
//     negative weight, a class absent from the training part
//   - SIGINT and SIGTERM during the epochs and after the last one: the model
//     saved beside, over, or not at all, and no temporary file left
//   - the kill-9-and-resume loop (crash_test.go, TestKillAndResume; Linux,
//     for inotify): 24 seeded trials (6 with -short), each a fit drawn
//     over batch 1 and mini-batches, every optimizer, schedule and warm-up,
//     early stopping, a monitor, dropout, clipping, class weights, dtype,
//     generator, --checkpoint-every and --on-interrupt, on synthetic data
//     or a CSV with a draw of its flags; struck by one to three faults:
//     SIGKILL at a random moment, or when a temporary file appears or is
//     written to (inside a checkpoint's or the model's write), SIGINT or
//     SIGTERM, once or twice in a row, or followed by SIGKILL during the
//     save it starts; each followed by --resume (or a new start when no
//     checkpoint was written yet). After every fault the checkpoint, the
//     models and the histories on disk load and the checkpoint never goes
//     back; the exit status is 128 + a signal sent; the chain ends with the
//     model file, byte for byte, the history and the JSON summary (timings
//     aside) of the fit never stopped, and no temporary file.
//     PERCEPTRON_CRASH_SEED, PERCEPTRON_CRASH_TRIALS (a soak) and
//     PERCEPTRON_CRASH_TRIAL (a replay) steer it; a failure prints its
//     plan and the line that replays it
//   - a resume with --resume alone on a CSV read with every CSV flag
//     (TestResumeKeepsTheCSVFlags): the checkpoint's CSV flags apply, the
//     model and history are the fit never stopped's, and another value of
//     one is refused
//   - a signal in every phase of train (TestSignalInEveryPhase), SIGINT,
//     SIGTERM and SIGHUP each, held there by PERCEPTRON_TEST_PAUSE (see
//     signals.pause): loading the data, within epoch 1, at its end (after
//     its validation), before its checkpoint, the test, writing the outputs
//     and after everything: the message says what finished and what was
//     cut, a test result is printed only when the test finished, files are
//     written only when the message says so, the status is 128 + the
//     signal's number, and the checkpoint of a cut fit resumes to the
//     uninterrupted model bit for bit; repeated signals (SIGINT twice,
//     SIGINT then SIGTERM, SIGTERM then SIGHUP) chained with two resumes,
//     the first signal deciding, and nohup's SIGHUP staying ignored
//     (TestRepeatedSignals)
//   - serve (package internal/serve has the server's own tests): its
//     outputs equal perceptron predict's for scaled rows and for a tabular
//     model's BYTES columns and class names; its flag errors; SIGHUP
//     reloading the file, a bad one keeping the model with one line; SIGTERM
//     letting a request in flight finish, then exit status 0
//   - training and evaluating on NumPy arrays (TestTrainOnNumPyArrays): an
//     .npz file's own test arrays (eval reads them), the split of one
//     without them, two .npy files, and --scale's default for each kind of
//     data (standard for csv, npy and npz, none for synthetic); and their
//     errors (TestNumPyDataErrors): --test-split given for an .npz file
//     with a test set, a spec missing a path or a file, a bad header, an
//     object array, a file that is not a zip, one-hot labels, --out onto
//     an input, and an unknown kind of data
//   - sweep (sweep_test.go): a fit's model in --out-dir equal, byte for
//     byte, to train's with its --lr and --seed (TestSweepFitIsTrainFit);
//     the table best first and labelled by what differs, --out the best
//     fit's model, the CSV and the PNG; a log range of rates, networks
//     separated by ";" with a --dropout list, and a fit whose loss becomes
//     NaN marked diverged and ranked last (TestSweepLists); six fits of
//     three rates and two seeds sharing their data, each train's fit byte
//     for byte though each shuffles, scales and weighs it in place
//     (TestSweepSharedDataIsTrainData); one data set per distinct data
//     (mnist's once for all seeds, a synthetic set per seed), copies a fit
//     may change, each set dropped after its last fit (TestSweepDataSets);
//     on the CUDA emulator (go test -tags cudaemu), a sweep --backend cuda
//     of W1 over three rates, two seeds and batches 1 and 16: each fit's
//     model byte for byte, and its history's losses and accuracies, train
//     --backend cuda's, the six of batch 16 saying why they trained alone
//     (TestSweepGPUGroupIsTrainFit);
//     the fits that take a seat of the GPU's group: --backend cuda's
//     always, auto's at --batch 1 where a GPU is found (TestSweepGroupable);
//     auto's choice of the group over the CPU pool, by the model: 512 and
//     16 W1 fits on 2 cores, not 8, not a fit that does not train per
//     example, not on a model whose launch takes a second
//     (TestSweepAutoPicksGroup);
//     on the emulator, sweep --backend auto of W1 over 16 seeds gives train
//     --backend cuda's models, over 8 train --backend cpu's (whose bits
//     differ from cuda's) (TestSweepAutoGroupIsTheModels);
//     the moons at --lr 1 and 3 stalled, in the JSON and the CSV, ranked after the
//     fits that learnt (TestSweepStalled); learnt, stalled, then diverged
//     or failed (TestSweepRanking); every error,
//     nothing written (TestSweepErrors). train --lr find (TestTrainLRFind):
//     the suggestion and curve in the JSON, a sane rate for the moons, the
//     plot; the fit equal, byte for byte, to train --lr with the rate
//     suggested, and to sweep --lr find's; a checkpoint recording the rate
//     found and resuming, and refusing --lr find
//   - every error path, each one error line naming the cause and at most one
//     hint, with exit status 1. TestHostileInputs runs 37 inputs a hostile
//     user would try: model files that promise 9·10¹² parameters in 139
//     bytes or overflow, NaN weights, a mis-cased key, /dev/zero and a folder
//     as a model; MNIST labels of 10 and 200, an IDX header promising 2 GiB,
//     a bad gzip checksum, test images of another size; NaN, Inf and empty
//     cells in CSVs; sizes that cannot fit; flags that used to be coerced;
//     outputs onto an input, onto each other, /dev/null, a symbolic link, a
//     folder or a missing folder — and checks that every file in the folder
//     is unchanged. Sizes that fit the machine but not a 4 GiB ulimit -v are
//     refused with the figures (TestHostileSizesUnderAMemoryLimit).
//   - a data-parallel command's ends on two in-process processes
//     (TestGroupClose): process 0 prints the first failure once, naming the
//     process; and, without the mpi tag, --distributed mpi or a launch by
//     mpirun failing with one error saying how to build it.
//
// In the mpi build, go test -tags mpi -run MPI ./cmd/perceptron (Open MPI
// installed; CI runs it) trains under mpirun on 2 and 3 processes and
// compares with one process, for every optimizer; gives process 1 a missing
// file, a NaN or other data (mpirun's A : B form) and checks that process 0
// alone prints one error naming it; resumes on 3 processes a checkpoint
// written on 2; runs bench; trains an emulator build's --backend cuda on
// 3 processes against one; and signals either process of 2 during the fit
// (TestMPISignalToAnyProcess): SIGTERM, SIGINT and SIGHUP end mpirun with
// the signal's status and one message from process 0 naming the process,
// the signal and how far the fit came, whose checkpoint resumes bit for bit
// on 2 processes (within rounding on 1 and 3); SIGKILL ends the job within
// seconds, mpirun naming the process, perceptron adding nothing. As root,
// with iproute2 (and nftables), it also trains on two hosts made of network
// namespaces joined by a veth pair (.ci/two-hosts; TestMPITwoHosts): the
// one-process model to 1e-12; a link cut mid-fit ending every process
// within --collective-timeout 3s and its grace (3 s), process 0 naming
// process 1 as the one that did not answer, and the last checkpoint
// resuming across the hosts to the model of the fit that never stopped; and
// a link losing 5% of the packets each way and delaying the others
// (.ci/two-hosts lossy: tc netem, loss 5% and delay 20 ms, where the kernel
// has it; otherwise an nftables rule dropping 5% at random and a 1 Mbit/s
// tbf qdisc) giving the same model, with packets lost.
//
// In the cuda build, go test -tags cuda ./cmd/perceptron builds the cuda
// perceptron and checks, without a GPU, that it links no libcuda and exports
// no driver symbol, and that with the driver library missing, or finding no
// GPU, info says why, --backend auto trains on the CPU and --backend cuda
// fails with one error line and a hint (TestCUDABuildRunsEverywhere).
//
// train's --backend auto asks the GPU's cost model (gpu.H100, a model, not
// a measurement) whether the GPU is faster for the fit: W1's 2-6-6-1 per
// example stays on the CPU; W2 per example on mostly zero inputs (in
// cluster_steps on Hopper, in the model) and W3 per example and at batch 64
// go to the GPU (TestAutoPicksByModel).
package main
