package modelfile_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// encodedCheckpoint returns the bytes of the test checkpoint, with its data's checksums.
func encodedCheckpoint(t testing.TB) []byte {
	ck := checkpoint(t, false)
	ck.Fit.Data = &engine.DataChecksums{Train: 0x1a2b3c4d, Validation: 0x5e6f7a8b, ValidationExamples: 3}
	var buf bytes.Buffer
	require.NoError(t, modelfile.EncodeCheckpoint(&buf, ck))
	return buf.Bytes()
}

// refusal matches the errors a damaged checkpoint may get: each names what
// is wrong (the header, a field, a tensor, the sizes, or the checksum).
var refusal = regexp.MustCompile(`^(not a safetensors file: |header[: ]|__metadata__|tensor |the metadata describes |` +
	`the contents do not match the checksum the file records \(crc32c [0-9a-f]{8}, the contents' [0-9a-f]{8}\): the file is damaged$)`)

// TestCheckpointTruncatedAnywhere decodes and loads every prefix of a
// checkpoint: each is refused with an error naming what is missing, and
// the file loaded is left as it was.
func TestCheckpointTruncatedAnywhere(t *testing.T) {
	good := encodedCheckpoint(t)
	dir := t.TempDir()
	for n := range len(good) {
		_, err := modelfile.DecodeCheckpoint(good[:n])
		require.Error(t, err, "%d bytes of %d", n, len(good))
		assert.Regexp(t, refusal, err.Error(), "%d bytes of %d", n, len(good))
		path := filepath.Join(dir, fmt.Sprint(n))
		require.NoError(t, os.WriteFile(path, good[:n], 0o644))
		_, err = modelfile.LoadCheckpoint(path)
		require.Error(t, err, "%d bytes of %d", n, len(good))
		assert.Regexp(t, "^"+regexp.QuoteMeta(path)+": ", err.Error())
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(good[:n], after), "%d bytes: the file is unchanged", n)
	}
	_, err := modelfile.DecodeCheckpoint(good)
	require.NoError(t, err, "the whole file decodes")
}

// TestCheckpointFlippedAnywhere changes each byte of a checkpoint in turn,
// in three ways (all bits, the lowest bit, the highest): the header's
// length, its JSON (keys, metadata, tensor entries, padding) and every
// tensor's data. Each is refused with an error naming what is wrong; a
// value that is valid as read is caught by the checksum of the contents.
func TestCheckpointFlippedAnywhere(t *testing.T) {
	good := encodedCheckpoint(t)
	bad := slices.Clone(good)
	for i := range good {
		for _, mask := range []byte{0xff, 0x01, 0x80} {
			bad[i] = good[i] ^ mask
			_, err := modelfile.DecodeCheckpoint(bad)
			require.Error(t, err, "byte %d ^ %#x", i, mask)
			assert.Regexp(t, refusal, err.Error(), "byte %d ^ %#x", i, mask)
		}
		bad[i] = good[i]
	}
}

// restamp returns the file with the checksum the contents have, as a
// hostile file written by hand would: the CRC-32C of the metadata but the
// checksum, keys sorted, each key and value followed by a zero byte, then
// the data. A file whose header does not parse, or records no checksum,
// is an error.
func restamp(data []byte) ([]byte, error) {
	if len(data) < 8 || binary.LittleEndian.Uint64(data) > uint64(len(data)-8) {
		return nil, fmt.Errorf("no header")
	}
	n := binary.LittleEndian.Uint64(data)
	var h map[string]json.RawMessage
	var meta map[string]string
	if err := json.Unmarshal(data[8:8+n], &h); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(h["__metadata__"], &meta); err != nil || meta["checksum"] == "" {
		return nil, fmt.Errorf("no checksum")
	}
	sum := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if k != "checksum" {
			sum.Write(append(append(append([]byte(k), 0), meta[k]...), 0))
		}
	}
	sum.Write(data[8+n:])
	meta["checksum"] = fmt.Sprintf("%08x", sum.Sum32())
	js, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	h["__metadata__"] = js
	if js, err = json.Marshal(h); err != nil {
		return nil, err
	}
	return append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(js))), js...), data[8+n:]...), nil
}

// restamped is restamp in a test.
func restamped(t *testing.T, data []byte) []byte {
	out, err := restamp(data)
	require.NoError(t, err)
	return out
}

func TestCheckpointChecksum(t *testing.T) {
	good := encodedCheckpoint(t)
	h, body := header(t, good)
	meta := h["__metadata__"].(map[string]any)
	assert.Regexp(t, "^[0-9a-f]{8}$", meta["checksum"], "a checkpoint records the checksum of its contents")
	_, err := modelfile.DecodeCheckpoint(restamped(t, good))
	require.NoError(t, err, "the checksum is that of the metadata and the data")

	// A parameter changed to another finite value: only the checksum tells.
	hh, _ := header(t, good)
	at := int(hh["0.weight"].(map[string]any)["data_offsets"].([]any)[0].(float64))
	changed := slices.Clone(good)
	changed[len(good)-len(body)+at] ^= 0x01
	_, err = modelfile.DecodeCheckpoint(changed)
	assert.ErrorContains(t, err, "the contents do not match the checksum the file records (crc32c "+meta["checksum"].(string))
	ck, err := modelfile.DecodeCheckpoint(restamped(t, changed))
	require.NoError(t, err, "restamped, the changed file is a valid checkpoint")
	assert.NotEqual(t, checkpoint(t, false).Fit.Network, ck.Fit.Network)

	for _, c := range []struct{ sum, want string }{
		{"1234567", `__metadata__ checksum is "1234567", expected 8 hex digits`},
		{"xyzxyzxy", `__metadata__ checksum is "xyzxyzxy", expected 8 hex digits`},
		{"00000000", "the contents do not match the checksum the file records (crc32c 00000000, the contents' "},
	} {
		meta["checksum"] = c.sum
		_, err := modelfile.DecodeCheckpoint(encode(t, h, body))
		assert.ErrorContains(t, err, c.want)
	}
	delete(meta, "checksum")
	_, err = modelfile.DecodeCheckpoint(encode(t, h, body))
	require.NoError(t, err, "a checkpoint of an earlier perceptron, without a checksum, decodes")

	got, err := modelfile.DecodeCheckpoint(good)
	require.NoError(t, err)
	assert.Equal(t, &engine.DataChecksums{Train: 0x1a2b3c4d, Validation: 0x5e6f7a8b, ValidationExamples: 3}, got.Fit.Data, "the data's checksums go round")
}

// FuzzDecodeCheckpoint feeds DecodeCheckpoint arbitrary files, stamped
// with the checksum of their contents where their header parses, so that
// the fuzzer reaches the checks of every field. Whatever it accepts must
// survive EncodeCheckpoint → DecodeCheckpoint unchanged.
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(encodedCheckpoint(f))
	fresh := checkpoint(f, true)
	var buf bytes.Buffer
	require.NoError(f, modelfile.EncodeCheckpoint(&buf, fresh))
	f.Add(buf.Bytes())
	buf.Reset()
	require.NoError(f, modelfile.EncodeCheckpoint(&buf, regressionCheckpoint(f))) // standardised targets
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		if stamped, err := restamp(data); err == nil {
			data = stamped
		}
		ck, err := modelfile.DecodeCheckpoint(data)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		var out bytes.Buffer
		require.NoError(t, modelfile.EncodeCheckpoint(&out, ck))
		again, err := modelfile.DecodeCheckpoint(out.Bytes())
		require.NoError(t, err, "what DecodeCheckpoint accepts, EncodeCheckpoint writes readably")
		sameCheckpoints(t, ck, again)
	})
}
