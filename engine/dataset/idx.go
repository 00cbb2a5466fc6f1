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
)

// readIDX reads an IDX file of unsigned bytes (gzipped or not) and returns
// its dimensions and data. Errors name the file and what was expected.
func readIDX(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, nil, fmt.Errorf("%s: truncated: no IDX header", path)
	}
	if head[0] != 0 || head[1] != 0 || head[2] != 0x08 {
		return nil, nil, fmt.Errorf("%s: not an IDX file of unsigned bytes: magic % x, expected 00 00 08 0N", path, head)
	}
	nd := int(head[3])
	if nd < 1 || nd > 4 {
		return nil, nil, fmt.Errorf("%s: IDX header gives %d dimensions, expected 1 to 4", path, nd)
	}
	dims = make([]int, nd)
	size := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: truncated in the header's dimension %d", path, i+1)
		}
		dims[i] = int(d)
		size *= int(d)
		if size > 1<<31 {
			return nil, nil, fmt.Errorf("%s: IDX header gives dimensions %v, too large", path, dims[:i+1])
		}
	}
	data = make([]byte, size)
	n, err := io.ReadFull(r, data)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("%s: truncated: header %v needs %d bytes of data, found %d", path, dims, size, n)
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, data, nil
}

// LoadIDX reads an image file and a label file in the IDX format of MNIST
// (gzipped or not) and returns the images as rows of pixels scaled to [0, 1].
func LoadIDX(imagesPath, labelsPath string) (*Set, error) {
	dims, pix, err := readIDX(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(dims) < 2 || dims[0] == 0 {
		return nil, fmt.Errorf("%s: expected images (N×rows×cols, N ≥ 1), found dimensions %v", imagesPath, dims)
	}
	ldims, lab, err := readIDX(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(ldims) != 1 || ldims[0] != dims[0] {
		return nil, fmt.Errorf("%s: expected %d labels to match %s, found dimensions %v", labelsPath, dims[0], filepath.Base(imagesPath), ldims)
	}
	var scaled [256]float64
	for p := range scaled {
		scaled[p] = float64(p) / 255
	}
	x := make([]float64, len(pix))
	for i, p := range pix {
		x[i] = scaled[p]
	}
	labels := make([]float64, len(lab))
	for i, l := range lab {
		labels[i] = float64(l)
	}
	return New(x, labels, len(pix)/dims[0]), nil
}
