package tensorboard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/fsys"
)

// FileVersion is the file_version of the first Event of every file.
const FileVersion = "brain.Event:2"

// Tags of the figures Writer.Epoch writes.
const (
	TagTrainLoss          = "loss/train"
	TagValidationLoss     = "loss/validation"
	TagTrainAccuracy      = "accuracy/train"
	TagValidationAccuracy = "accuracy/validation"
	TagLearningRate       = "learning_rate"
	TagExamplesPerSecond  = "examples_per_second"
)

// Field numbers of event.proto's Event and summary.proto's Summary and
// Summary.Value.
const (
	eventWallTime    protowire.Number = 1
	eventStep        protowire.Number = 2
	eventFileVersion protowire.Number = 3
	eventSummary     protowire.Number = 5
	summaryValue     protowire.Number = 1
	valueTag         protowire.Number = 1
	valueSimple      protowire.Number = 2
)

// Scalar is one named figure of an Event.
type Scalar struct {
	Tag   string
	Value float64 // written as a float32, simple_value's type
}

// Writer appends Events to one event file, through package fsys.
type Writer struct {
	file fsys.File
	size int64 // the bytes of the whole records written
	now  func() time.Time
}

// Create makes the folder dir if it does not exist and a new event file in
// it, and writes the file's version Event. Errors name the path.
func Create(dir string) (*Writer, error) {
	return create(dir, time.Now)
}

// create is Create with a clock.
func create(dir string, now func() time.Time) (*Writer, error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", fsys.Explain(filepath.Join(dir, "events.out.tfevents"), err))
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	start := now()
	base := filepath.Join(dir, "events.out.tfevents."+strconv.FormatInt(start.Unix(), 10)+"."+host)
	path := base
	for n := 1; ; n++ {
		file, err := fsys.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			path = base + "." + strconv.Itoa(n)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tensorboard: %w", fsys.Explain(path, err))
		}
		w := &Writer{file: file, now: now}
		if err := w.write(event(start, 0, protowire.AppendString(protowire.AppendTag(nil, eventFileVersion, protowire.BytesType), FileVersion))); err != nil {
			file.Close()
			fsys.Remove(path) // holds no whole record
			return nil, err
		}
		return w, nil
	}
}

// Path returns the event file's path.
func (w *Writer) Path() string { return w.file.Name() }

// Scalars appends an Event at step and wall with the values.
func (w *Writer) Scalars(step int64, wall time.Time, values []Scalar) error {
	var summary []byte
	for _, v := range values {
		var value []byte
		value = protowire.AppendTag(value, valueTag, protowire.BytesType)
		value = protowire.AppendString(value, v.Tag)
		value = protowire.AppendTag(value, valueSimple, protowire.Fixed32Type)
		value = protowire.AppendFixed32(value, math.Float32bits(float32(v.Value)))
		summary = protowire.AppendTag(summary, summaryValue, protowire.BytesType)
		summary = protowire.AppendBytes(summary, value)
	}
	return w.write(event(wall, step, protowire.AppendBytes(protowire.AppendTag(nil, eventSummary, protowire.BytesType), summary)))
}

// Epoch appends an Event of the epoch's figures, at step s.Epoch and the
// current time, under Tags; NaN figures are left out.
func (w *Writer) Epoch(s engine.EpochStats) error {
	var values []Scalar
	for _, v := range []Scalar{{TagTrainLoss, s.Loss}, {TagValidationLoss, s.ValLoss}, {TagTrainAccuracy, s.TrainAccuracy},
		{TagValidationAccuracy, s.ValAccuracy}, {TagLearningRate, s.LearningRate}, {TagExamplesPerSecond, s.ExamplesPerSec}} {
		if !math.IsNaN(v.Value) {
			values = append(values, v)
		}
	}
	return w.Scalars(int64(s.Epoch), w.now(), values)
}

// Close syncs the file, where a file system that defers its writes may
// only now say that it failed them, and closes it.
func (w *Writer) Close() error {
	err := w.file.Sync()
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("tensorboard: %w", fsys.Explain(w.Path(), err))
	}
	return nil
}

// event returns an Event at wall and step with the fields what.
func event(wall time.Time, step int64, what []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, math.Float64bits(float64(wall.UnixNano())/1e9))
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	return append(b, what...)
}

// castagnoli is CRC32C's table.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC returns the masked CRC32C of b, as TFRecords hold it.
func maskedCRC(b []byte) uint32 {
	crc := crc32.Checksum(b, castagnoli)
	return (crc>>15 | crc<<17) + 0xa282ead8
}

// write appends data as one TFRecord, in one write. A write that fails is
// undone (the file cut back to its whole records) where the file system
// lets it, and so is one that lands in a file no longer at its path (the
// file or its folder removed): either is an error.
func (w *Writer) write(data []byte) error {
	record := make([]byte, 12, 16+len(data))
	binary.LittleEndian.PutUint64(record, uint64(len(data)))
	binary.LittleEndian.PutUint32(record[8:], maskedCRC(record[:8]))
	record = append(record, data...)
	record = binary.LittleEndian.AppendUint32(record, maskedCRC(data))
	_, err := w.file.Write(record)
	if err == nil && !w.inPlace() {
		err = &fs.PathError{Op: "write", Path: w.Path(), Err: syscall.ENOENT}
	}
	if err != nil {
		w.file.Truncate(w.size)
		return fmt.Errorf("tensorboard: %w", fsys.Explain(w.Path(), err))
	}
	w.size += int64(len(record))
	return nil
}

// inPlace reports whether the file written is still the one at its path.
func (w *Writer) inPlace() bool {
	at, err := os.Stat(w.Path())
	if err != nil {
		return false
	}
	open, err := w.file.Stat()
	return err == nil && os.SameFile(at, open)
}
