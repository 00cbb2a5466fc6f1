package tensorboard

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/perceptron-go/perceptron/engine"
)

// The reader below is the test's own: it shares no code with the writer.

// tfMask masks a CRC32C as TensorFlow's lib/hash/crc32c.h Mask does:
// rotate right by 15 bits and add kMaskDelta.
func tfMask(crc uint32) uint32 { return ((crc >> 15) | (crc << 17)) + 0xa282ead8 }

func crc32c(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// readRecords splits a TFRecord file into its records, checking both CRCs.
func readRecords(b []byte) ([][]byte, error) {
	var records [][]byte
	for at := 0; at < len(b); {
		if len(b)-at < 12 {
			return nil, fmt.Errorf("record at byte %d: %d bytes left, a header needs 12", at, len(b)-at)
		}
		n := binary.LittleEndian.Uint64(b[at:])
		if got, want := binary.LittleEndian.Uint32(b[at+8:]), tfMask(crc32c(b[at:at+8])); got != want {
			return nil, fmt.Errorf("record at byte %d: length CRC %#x, expected %#x", at, got, want)
		}
		at += 12
		if uint64(len(b)-at) < n+4 {
			return nil, fmt.Errorf("record at byte %d: cut short", at-12)
		}
		data := b[at : at+int(n)]
		if got, want := binary.LittleEndian.Uint32(b[at+int(n):]), tfMask(crc32c(data)); got != want {
			return nil, fmt.Errorf("record at byte %d: data CRC %#x, expected %#x", at-12, got, want)
		}
		records = append(records, data)
		at += int(n) + 4
	}
	return records, nil
}

// decodedEvent is an Event's fields that the writer sets.
type decodedEvent struct {
	wallTime    float64
	step        int64
	fileVersion string
	values      map[string]float32 // the summary's simple values by tag
	tags        []string           // in order
}

// fields calls field for each field of a protocol buffer message.
func fields(t *testing.T, b []byte, field func(num protowire.Number, typ protowire.Type, b []byte) int) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		require.GreaterOrEqual(t, n, 0, "tag: %v", protowire.ParseError(n))
		b = b[n:]
		n = field(num, typ, b)
		if n == 0 { // a field the test does not expect
			t.Fatalf("unexpected field %d of wire type %d", num, typ)
		}
		require.GreaterOrEqual(t, n, 0, "field %d: %v", num, protowire.ParseError(n))
		b = b[n:]
	}
}

func decodeEvent(t *testing.T, b []byte) decodedEvent {
	t.Helper()
	e := decodedEvent{values: map[string]float32{}}
	fields(t, b, func(num protowire.Number, typ protowire.Type, b []byte) int {
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			e.wallTime = math.Float64frombits(v)
			return n
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			e.step = int64(v)
			return n
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeString(b)
			e.fileVersion = v
			return n
		case num == 5 && typ == protowire.BytesType:
			summary, n := protowire.ConsumeBytes(b)
			fields(t, summary, func(num protowire.Number, typ protowire.Type, b []byte) int {
				require.Equal(t, protowire.Number(1), num, "Summary.value")
				value, n := protowire.ConsumeBytes(b)
				var tag string
				var simple float32
				fields(t, value, func(num protowire.Number, typ protowire.Type, b []byte) int {
					switch {
					case num == 1 && typ == protowire.BytesType:
						s, n := protowire.ConsumeString(b)
						tag = s
						return n
					case num == 2 && typ == protowire.Fixed32Type:
						v, n := protowire.ConsumeFixed32(b)
						simple = math.Float32frombits(v)
						return n
					}
					return 0
				})
				e.values[tag] = simple
				e.tags = append(e.tags, tag)
				return n
			})
			return n
		}
		return 0
	})
	return e
}

// readEvents reads and decodes an event file.
func readEvents(t *testing.T, path string) []decodedEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	records, err := readRecords(b)
	require.NoError(t, err)
	var events []decodedEvent
	for _, r := range records {
		events = append(events, decodeEvent(t, r))
	}
	return events
}

func TestMaskedCRC(t *testing.T) {
	// CRC32C's check value (RFC 3720), and its mask worked out by hand:
	// 0xe3069283 rotated right by 15 is 0x2507c60d, plus 0xa282ead8.
	require.Equal(t, uint32(0xe3069283), crc32c([]byte("123456789")))
	assert.Equal(t, uint32(0xc78ab0e5), maskedCRC([]byte("123456789")))
	assert.Equal(t, tfMask(crc32c([]byte("perceptron"))), maskedCRC([]byte("perceptron")))
}

func TestEpochEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "runs", "a") // made by Create
	before := time.Now()
	w, err := Create(dir)
	require.NoError(t, err)
	host, _ := os.Hostname()
	name := filepath.Base(w.Path())
	assert.Regexp(t, `^events\.out\.tfevents\.\d{10}\.`+strings.ReplaceAll(host, ".", `\.`)+`$`, name)
	nan := math.NaN()
	stats := []engine.EpochStats{
		{Epoch: 1, Loss: 0.693, TrainAccuracy: 0.5, ValLoss: 0.61, ValAccuracy: 0.75, LearningRate: 0.01, ExamplesPerSec: 12345.5},
		{Epoch: 2, Loss: 0.25, TrainAccuracy: 0.875, ValLoss: 0.3, ValAccuracy: 0.8125, LearningRate: 0.005, ExamplesPerSec: 23456},
		{Epoch: 3, Loss: 1.5e-3, TrainAccuracy: nan, ValLoss: nan, ValAccuracy: nan, LearningRate: 1e-4, ExamplesPerSec: 1e6},
	}
	for _, s := range stats {
		require.NoError(t, w.Epoch(s))
		// Each epoch is in the file once written: TensorBoard tails it.
		assert.Len(t, readEvents(t, w.Path()), s.Epoch+1)
	}
	require.NoError(t, w.Close())
	after := time.Now()

	events := readEvents(t, w.Path())
	require.Len(t, events, 4)
	assert.Equal(t, "brain.Event:2", events[0].fileVersion)
	assert.Empty(t, events[0].values)
	wantTags := []string{"loss/train", "loss/validation", "accuracy/train", "accuracy/validation", "learning_rate", "examples_per_second"}
	for i, s := range stats {
		e := events[i+1]
		assert.Equal(t, int64(s.Epoch), e.step, "event %d", i+1)
		assert.Empty(t, e.fileVersion)
		assert.GreaterOrEqual(t, e.wallTime, float64(before.UnixNano())/1e9-1e-6)
		assert.LessOrEqual(t, e.wallTime, float64(after.UnixNano())/1e9+1e-6)
		assert.GreaterOrEqual(t, e.wallTime, events[i].wallTime)
		want := map[string]float32{"loss/train": float32(s.Loss), "loss/validation": float32(s.ValLoss), "accuracy/train": float32(s.TrainAccuracy),
			"accuracy/validation": float32(s.ValAccuracy), "learning_rate": float32(s.LearningRate), "examples_per_second": float32(s.ExamplesPerSec)}
		var tags []string
		for _, tag := range wantTags {
			if math.IsNaN(float64(want[tag])) {
				delete(want, tag)
			} else {
				tags = append(tags, tag)
			}
		}
		assert.Equal(t, tags, e.tags, "epoch %d", s.Epoch)
		assert.Equal(t, want, e.values, "epoch %d", s.Epoch)
	}
	assert.Equal(t, []string{"loss/train", "learning_rate", "examples_per_second"}, events[3].tags)
}

func TestSecondWriterNewFile(t *testing.T) {
	dir := t.TempDir()
	clock := func() time.Time { return time.Unix(1_800_000_000, 0) }
	first, err := create(dir, clock)
	require.NoError(t, err)
	require.NoError(t, first.Epoch(engine.EpochStats{Epoch: 1, Loss: 1, TrainAccuracy: math.NaN(), ValLoss: math.NaN(), ValAccuracy: math.NaN()}))
	second, err := create(dir, clock) // a resumed fit in the same second
	require.NoError(t, err)
	require.NoError(t, second.Epoch(engine.EpochStats{Epoch: 2, Loss: 0.5, TrainAccuracy: math.NaN(), ValLoss: math.NaN(), ValAccuracy: math.NaN()}))
	require.NoError(t, first.Close())
	require.NoError(t, second.Close())
	assert.Equal(t, first.Path()+".1", second.Path())
	assert.Contains(t, first.Path(), "events.out.tfevents.1800000000.")
	for i, w := range []*Writer{first, second} {
		events := readEvents(t, w.Path())
		require.Len(t, events, 2)
		assert.Equal(t, "brain.Event:2", events[0].fileVersion)
		assert.Equal(t, 1.8e9, events[0].wallTime)
		assert.Equal(t, int64(i+1), events[1].step)
		assert.Equal(t, map[string]float32{"loss/train": float32(1 / float64(i+1)), "learning_rate": 0, "examples_per_second": 0}, events[1].values)
	}
}

// TestReaderRefusesDamage checks that the test's reader can fail: a record
// cut short and a flipped bit in a length or in the data are refused.
func TestReaderRefusesDamage(t *testing.T) {
	w, err := Create(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, w.Scalars(7, time.Now(), []Scalar{{"loss/train", 0.5}}))
	require.NoError(t, w.Close())
	good, err := os.ReadFile(w.Path())
	require.NoError(t, err)
	_, err = readRecords(good)
	require.NoError(t, err)
	for _, c := range []struct {
		name    string
		damage  func(b []byte) []byte
		message string
	}{
		{"cut short", func(b []byte) []byte { return b[:len(b)-3] }, "cut short"},
		{"length", func(b []byte) []byte { b[0] ^= 1; return b }, "length CRC"},
		{"data", func(b []byte) []byte { b[len(b)-6] ^= 0x10; return b }, "data CRC"},
	} {
		_, err := readRecords(c.damage(bytes.Clone(good)))
		assert.ErrorContains(t, err, c.message, c.name)
	}
}

func TestCreateErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := Create(file)
	require.Error(t, err)
	assert.Contains(t, err.Error(), file)
	assert.ErrorContains(t, err, file+" is not a folder")
	_, err = Create(filepath.Join(file, "sub"))
	require.ErrorContains(t, err, filepath.Join(file, "sub"))
}

// TestProtobufReadsEvents reads a file with Google's protobuf runtime
// (testdata/read_events.py, which checks the CRCs too), where
// /usr/bin/python3 has it.
func TestProtobufReadsEvents(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import google.protobuf").Run() != nil {
		t.Skip("/usr/bin/python3 with google.protobuf is not installed")
	}
	w, err := create(t.TempDir(), func() time.Time { return time.Unix(1_800_000_000, 500_000_000) })
	require.NoError(t, err)
	require.NoError(t, w.Epoch(engine.EpochStats{Epoch: 1, Loss: 0.75, TrainAccuracy: 0.5, ValLoss: math.NaN(), ValAccuracy: math.NaN(), LearningRate: 0.125, ExamplesPerSec: 1000}))
	require.NoError(t, w.Epoch(engine.EpochStats{Epoch: 2, Loss: 0.25, TrainAccuracy: 0.875, ValLoss: 0.5, ValAccuracy: 0.625, LearningRate: 0.0625, ExamplesPerSec: 2000}))
	require.NoError(t, w.Close())
	out, err := exec.Command("/usr/bin/python3", filepath.Join("testdata", "read_events.py"), w.Path()).CombinedOutput()
	require.NoError(t, err, "%s", out)
	want := `{"wall_time": 1800000000.5, "step": 0, "file_version": "brain.Event:2", "values": {}}
{"wall_time": 1800000000.5, "step": 1, "file_version": "", "values": {"loss/train": 0.75, "accuracy/train": 0.5, "learning_rate": 0.125, "examples_per_second": 1000.0}}
{"wall_time": 1800000000.5, "step": 2, "file_version": "", "values": {"loss/train": 0.25, "loss/validation": 0.5, "accuracy/train": 0.875, "accuracy/validation": 0.625, "learning_rate": 0.0625, "examples_per_second": 2000.0}}
`
	assert.Equal(t, want, string(out))
}
