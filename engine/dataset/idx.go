package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// MaxIDXBytes bounds the data an IDX file may hold: 128 MiB, 171,000
// images of 28×28 (MNIST has 70,000), which a float32 network's trainer
// holds as 512 MiB of features. A small gzip file can expand to any size, so the bound is on
// what its header promises, checked before anything is read.
const MaxIDXBytes = 1 << 27

// ReadIDX reads an IDX file of unsigned bytes, gzipped or not, from r and
// returns its dimensions and data. Memory grows with the data that actually
// arrives, never past what the header promises, so a header that claims
// more than the file holds costs nothing. It reads to the end, so that a
// gzip file's checksum is verified, and refuses bytes past the data.
func ReadIDX(r io.Reader) (dims []int, data []byte, err error) {
	br := bufio.NewReader(r)
	r = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		defer gz.Close()
		r = gz
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, nil, readError(err, "truncated: no IDX header")
	}
	if head[0] != 0 || head[1] != 0 || head[2] != 0x08 {
		return nil, nil, fmt.Errorf("not an IDX file of unsigned bytes: magic % x, expected 00 00 08 0N", head)
	}
	nd := int(head[3])
	if nd < 1 || nd > 4 {
		return nil, nil, fmt.Errorf("IDX header gives %d dimensions, expected 1 to 4", nd)
	}
	dims = make([]int, nd)
	size := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, nil, readError(err, fmt.Sprintf("truncated in the header's dimension %d", i+1))
		}
		dims[i] = int(d)
		size *= int(d)
		if size > MaxIDXBytes {
			return nil, nil, fmt.Errorf("IDX header gives dimensions %v: more than %d bytes", dims[:i+1], MaxIDXBytes)
		}
	}
	if data, err = readGrowing(r, size); err != nil {
		return nil, nil, readError(err, fmt.Sprintf("truncated: header %v needs %d bytes of data, found %d", dims, size, len(data)))
	}
	var past [1]byte
	if n, err := io.ReadFull(r, past[:]); n > 0 {
		return nil, nil, fmt.Errorf("the file goes on past the %d bytes of data its header %v gives", size, dims)
	} else if err != io.EOF {
		return nil, nil, err // a gzip stream's checksum or length that does not match, or a read error
	}
	return dims, data, nil
}

// readGrowing reads size bytes from r into a slice that grows with what
// arrives, so that a header promising more than the input holds costs
// nothing. Ending early, it returns what arrived and the error.
func readGrowing(r io.Reader, size int) ([]byte, error) {
	data := make([]byte, 0, min(size, 1<<20))
	for len(data) < size {
		if len(data) == cap(data) {
			data = slices.Grow(data, min(size-len(data), len(data)))
		}
		n, err := r.Read(data[len(data):min(cap(data), size)])
		data = data[:len(data)+n]
		if err != nil && len(data) < size {
			return data, err
		}
	}
	return data, nil
}

// readError returns truncated for an input that ended early, and err itself otherwise.
func readError(err error, truncated string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New(truncated)
	}
	return err
}

// readIDXFile reads the IDX file at path (see ReadIDX); errors name the file.
func readIDXFile(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if dims, data, err = ReadIDX(f); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, data, nil
}

// LoadIDX reads an image file and a label file in the IDX format of MNIST
// (gzipped or not) and returns the images as rows of pixels scaled to [0, 1]:
// a set held as the file's bytes (Codes), byte p standing for p/255.
func LoadIDX(imagesPath, labelsPath string) (*Set, error) {
	dims, pix, err := readIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(dims) < 2 || slices.Contains(dims, 0) {
		return nil, fmt.Errorf("%s: expected images (N×rows×cols, every size at least 1), found dimensions %v", imagesPath, dims)
	}
	ldims, lab, err := readIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(ldims) != 1 || ldims[0] != dims[0] {
		return nil, fmt.Errorf("%s: expected %d labels to match %s, found dimensions %v", labelsPath, dims[0], filepath.Base(imagesPath), ldims)
	}
	labels := make([]float64, len(lab))
	for i, l := range lab {
		labels[i] = float64(l)
	}
	return NewCoded(pix, &pixelLevels, labels, len(pix)/dims[0]), nil
}

// pixelLevels are the values of an image's bytes: byte p is p/255.
var pixelLevels = func() (levels [256]float64) {
	for p := range levels {
		levels[p] = float64(p) / 255
	}
	return levels
}()
