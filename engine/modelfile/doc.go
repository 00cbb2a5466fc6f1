// Package modelfile saves and loads networks as safetensors files.
//
// The tensors are named as the state_dict of the equivalent PyTorch
// nn.Sequential (Linear layers and activation modules interleaved):
// "0.weight" [out, in], "0.bias" [out], "2.weight", ... in F32 or F64, and
// the architecture goes in __metadata__, so that in Python
//
//	state = safetensors.torch.load_file("model.safetensors")
//	model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=-1))
//	model.load_state_dict(state)
//
// reads it (the metadata key "torch" spells out that nn.Sequential; a layer
// with dropout adds an nn.Dropout(p=P) module after its activation, which
// shifts the indices after it, and PyTorch predicts with it in eval mode,
// where it is the identity). Files are written atomically (WriteAtomic,
// through package fsys: a temporary file beside the path, synced, renamed
// over it, and the folder synced so that a power cut cannot undo the
// rename); a write that fails is one error naming the path and its cause in
// plain words (a full disk, no inodes, a read-only or immutable file or
// folder, a removed folder), the file at the path is left byte for byte as
// it was, and the temporary file is removed (or, in a folder made read-only
// meanwhile, emptied where it can be and named in the error). Loading validates the header and reports the first
// thing wrong, and a save → load round trip is bit-exact.
//
// Loading refuses anything but a regular file and checks the header before it
// allocates the tensors: its length; JSON whose keys are exactly the
// format's, each once; the metadata, its "torch" against its layers, its
// scaler's kind and nonzero scales, or its preprocessing (key
// "preprocessing": a dataset.Preprocessor's JSON, its fields exactly (a
// date-time input's "parts" too, each with exactly its part, fill, offset
// and scale; inputs of other kinds have no "parts", as before), valid,
// making as many features as the network has inputs and as many classes as
// it has outputs), or its target's (key "target": the standardisation of a
// regression's labels, dataset.FitTargets; kind standard, one finite
// offset and scale above 0 per output of a linear output layer); the data
// the metadata implies against the
// file's size; each tensor's dtype, shape and offsets; that the tensors tile
// the data; and that every parameter is finite. A checkpoint (Checkpoint) is
// a model file with more tensors and metadata, so Load reads its model. A
// checkpoint records the checksums of its fit's data (engine.DataChecksums)
// and, in __metadata__ "checksum", the CRC-32C of its contents (the
// metadata but that key, in sorted order, then the tensors' data), checked
// after every field so that a field out of range is named and a value
// valid as read but changed is still refused: any byte changed fails it.
// Checkpoints without them (of an earlier perceptron) are read unchecked.
//
// A regression trained on standardised targets is stored folded
// (FoldTarget): its output layer maps the outputs back to the labels'
// units, so that a model file needs nothing applied after the network, in
// perceptron or in PyTorch; the target's JSON records the standardisation
// for a warm start (UnfoldTarget). A checkpoint of such a fit stores its
// model folded too, and the fit's own output layer beside it
// ("standardised.K.weight", ".bias"), which must fold to the model's bit
// for bit: the fit resumes from it exactly.
//
// # Testing
//
// go test ./engine/modelfile checks save → load round trips bit for bit, of
// models and of checkpoints (NaN in their history, +Inf as a best loss
// included, with a scaler or a preprocessing); each error of a stored
// preprocessing (keys, kinds, unsorted or repeated categories, a zero scale,
// repeated names, classes or features that do not fit the network, a scaler
// beside it; TestDatePreprocessing: a date-time's parts round trip, and a
// part with an unknown or missing field, parts not a list or not objects,
// an unknown part, a part's zero scale, parts too few for the network and
// parts on a numeric input are refused); the tensor names against nn.Sequential's, with the nn.Dropout
// modules of layers with dropout shifting them; every header error;
// that decoding allocates only what the file holds; that Load refuses special
// files and names the file in its errors; and that WriteAtomic keeps the old
// file when a write fails, refuses to replace what is not a regular file, and
// removes the temporary files of ended processes, not those of live ones.
// Targets (target_test.go): the folded network outputs σ·y + μ where the
// fit's output y, UnfoldTarget undoes it, a model file keeps both exactly;
// a checkpoint gives back the fit's network bit for bit and, read as a
// model, the folded one; a fit's output layer that does not fold to the
// model's is refused, and so is each bad target (kind, outputs, a scale of
// 0 or below, an unknown field, a softmax output). The fuzz targets are
// seeded with such a checkpoint.
// TestWriteAtomicUnderEveryFault fails, through fsystest.Faulty, each call
// of each operation (open, each of the three writes, sync, close, rename,
// the folder's sync) with ENOSPC, EDQUOT, EROFS, EIO or EPERM, once or for
// good: the error names the path (never the temporary file) and carries the
// errno, the old file is byte-identical (the new one once renamed, with the
// error saying a power cut could still undo it) and no temporary file is
// left. As root, TestWriteAtomicOnRealFaults has the kernel refuse: a full
// 64 KiB tmpfs, one without inodes left, chattr +i on the file and on the
// folder, a read-only mount, and a mount made read-only between the
// temporary file and the rename (whose temporary file cannot be removed:
// the error says so, and the next write removes it); it skips, saying why,
// when not root or without mount or chattr.
//
// Hostile checkpoints (hostile_test.go): every prefix of a checkpoint,
// decoded and loaded from a file (left unchanged), and every byte of it
// changed three ways (all bits, the lowest, the highest) are refused with
// an error naming the header, a field, a tensor, the sizes or the
// checksum; the checksum's definition is checked against one computed by
// the test; a parameter changed to another finite value is caught only by
// it. FuzzDecodeCheckpoint restamps the checksum of what the fuzzer makes,
// so that it reaches every field's checks; what it accepts must survive
// EncodeCheckpoint → DecodeCheckpoint.
//
// FuzzDecode feeds Decode arbitrary files: whatever it accepts must be a
// whole, finite network whose tensors are exactly the file's data (or a
// checkpoint that survives EncodeCheckpoint → DecodeCheckpoint), and must
// survive an Encode → Decode round trip unchanged (its seeds include a model
// with a preprocessing, which must make the network's inputs); testdata/fuzz/FuzzDecode
// keeps the files that crashed earlier versions. CI runs it for a fixed count
// in a 4 GiB address space. Run on the development machine (2026-11-27) under
// the same limit for 13,000,000 executions (3,000,000 of them with
// checkpoints among the seeds): no crash, no failed property. Where python3
// with torch is installed, the command's tests load a trained model into
// nn.Sequential and compare its outputs.
//
// The examples (Example: a model saved, its header, and loaded back;
// ExampleFoldTarget: a regression trained on standardised targets, saved
// folded) run as tests.
package modelfile
