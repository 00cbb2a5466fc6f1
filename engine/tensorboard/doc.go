// Package tensorboard writes a fit's figures as TensorBoard event files, so
// that
//
//	tensorboard --logdir DIR
//
// plots them while the fit runs.
//
// An event file (events.out.tfevents.<unix time>.<host>) is a sequence of
// TFRecords, each
//
//	uint64 length (little-endian)
//	uint32 masked CRC32C of the length's 8 bytes
//	length bytes of data: one Event, a protocol buffer
//	uint32 masked CRC32C of the data
//
// where a CRC is masked as ((crc >> 15) | (crc << 17)) + 0xa282ead8. The
// Events are those of tensorflow/core/util/event.proto (wall_time = 1,
// step = 2, file_version = 3, summary = 5) carrying Summary values of
// tensorflow/core/framework/summary.proto (value = 1; a Value's tag = 1,
// simple_value = 2), encoded by hand with protowire: the first Event of a
// file says file_version "brain.Event:2", the others hold scalars.
//
// Writer.Epoch writes one Event per epoch, at step = the epoch's number,
// with the tags of Tags: loss/train, loss/validation, accuracy/train,
// accuracy/validation, learning_rate and examples_per_second (a figure that
// is NaN, such as a regression's accuracy or the validation figures of a fit
// without validation, is left out). TensorBoard groups the tags by their
// prefix: the training and validation losses share the "loss" section.
//
// The file is not written atomically: TensorBoard tails it, so each Event
// is appended by one write as its epoch ends, and a reader sees whole
// records or a record cut short at the end, which TensorBoard's reader
// takes up again once it is whole. Each Writer makes a new file (a second
// one in the same second gets a suffix .1, .2, …), so that a resumed fit
// writing to the same folder appends its epochs, which carry on from the
// checkpoint's, in a file of its own, which TensorBoard reads as the same
// run.
//
// Every call that writes goes through package fsys. A write that fails (a
// full disk, no quota left, an I/O error) is an error naming the file and
// the cause in plain words, and the file is cut back to its whole records,
// so that the Events before the fault stay readable and no torn record is
// left; if even the cut fails, the record cut short is last in the file,
// where TensorBoard's reader takes it for one not yet written (it logs a
// truncated record and reads every Event before it). A record written into
// a file no longer at its path (the file or its folder removed during the
// fit) is an error too, and Close syncs the file, where a file system that
// defers its writes reports what it could not write. A file whose first
// record (the version) fails is removed.
//
// # Testing
//
// go test ./engine/tensorboard decodes the files written with a reader of
// its own, independent of the writer: it checks both masked CRC32Cs of
// every record (hash/crc32's Castagnoli table and the mask written out
// again), decodes the protocol buffers with protowire's Consume functions,
// field by field, and checks the version record, each epoch's step, wall
// time, tags and float32 values, the tags left out for NaN figures, a
// second writer in the same folder making a file of its own, a record cut
// short or with a wrong CRC refused by the reader (so that its checks can
// fail), and Create's errors. Each call of each operation (mkdir, open,
// each record's write, the sync and close) is failed in turn through
// fsystest.Faulty: the error names the file and its cause and the file
// decodes as whole records, the version's and the epochs' before the fault;
// a folder removed between two epochs is an error naming it; as root, a
// tmpfs of one page fills up with an error saying so and whole records. The masked CRC of CRC32C's check input is
// checked against the value worked out by hand. Where /usr/bin/python3 has
// Google's protobuf runtime, testdata/read_events.py declares Event and
// Summary with event.proto's field numbers and parses a file with it,
// checking the CRCs with its own CRC32C (TensorBoard itself is not
// installed on the development machine, so it has not read them here).
package tensorboard
