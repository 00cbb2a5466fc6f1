package dataset

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// npzKeys are the arrays an .npz data set holds, as keras.datasets' mnist.npz.
var npzKeys = []string{"x_train", "y_train", "x_test", "y_test"}

// LoadNPZ reads a data set from an .npz file (numpy.savez or
// numpy.savez_compressed) holding the arrays x_train and y_train and,
// optionally, x_test and y_test, as keras.datasets' mnist.npz does; each as
// LoadNPY reads x and y. test is nil when the file has no test arrays; its
// examples have the shape of the training ones. Other arrays are refused.
// Each entry's uncompressed size, as the zip directory claims it, is checked
// against MaxNPYBytes before it is read, and what it expands to must be
// exactly that size.
func LoadNPZ(path string) (train, test *Set, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (an .npz file is a zip archive, as numpy.savez writes it)", path, err)
	}
	defer zr.Close()
	arrays := map[string]*Array{}
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if !slices.Contains(npzKeys, key) {
			return nil, nil, fmt.Errorf("%s: holds %q: expected only the arrays %s", path, f.Name, strings.Join(npzKeys, ", "))
		}
		if arrays[key] != nil {
			return nil, nil, fmt.Errorf("%s: holds %q twice", path, f.Name)
		}
		if arrays[key], err = readNPZEntry(f); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
	}
	for _, key := range npzKeys[:2] {
		if arrays[key] == nil {
			return nil, nil, fmt.Errorf("%s: no array %s: expected x_train and y_train, and optionally x_test and y_test", path, key)
		}
	}
	name := func(key string) string { return path + ": " + key }
	if train, err = arraysToSet(arrays["x_train"], arrays["y_train"], name("x_train"), name("y_train")); err != nil {
		return nil, nil, err
	}
	xTest, yTest := arrays["x_test"], arrays["y_test"]
	switch {
	case xTest == nil && yTest == nil:
		return train, nil, nil
	case xTest == nil || yTest == nil:
		return nil, nil, fmt.Errorf("%s: holds only one of x_test and y_test: give both, or neither to split the training arrays", path)
	}
	if test, err = arraysToSet(xTest, yTest, name("x_test"), name("y_test")); err != nil {
		return nil, nil, err
	}
	xTrain := arrays["x_train"]
	if shapeString(xTest.Shape[1:]) != shapeString(xTrain.Shape[1:]) {
		return nil, nil, fmt.Errorf("%s: x_test has shape %s: its examples must have the shape %s of x_train's %s",
			path, shapeString(xTest.Shape), shapeString(xTrain.Shape[1:]), shapeString(xTrain.Shape))
	}
	return train, test, nil
}

// readNPZEntry reads one array of an .npz file, refusing an entry whose
// claimed size passes the bound before anything is decompressed.
func readNPZEntry(f *zip.File) (*Array, error) {
	if f.UncompressedSize64 > MaxNPYBytes+maxNPYHeader {
		return nil, fmt.Errorf("the zip entry claims %d bytes: more than %d of data", f.UncompressedSize64, MaxNPYBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadNPY(entryReader{rc, f.UncompressedSize64}, int64(f.UncompressedSize64))
}

// entryReader reads a zip entry, saying what archive/zip's errors mean:
// it checks what the entry expands to against the size it claims, and the
// checksum.
type entryReader struct {
	r    io.Reader
	size uint64
}

func (e entryReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("the zip entry expands to fewer than the %d bytes it claims", e.size)
	case errors.Is(err, zip.ErrFormat):
		err = fmt.Errorf("the zip entry expands to more than the %d bytes it claims", e.size)
	case errors.Is(err, zip.ErrChecksum):
		err = fmt.Errorf("the zip entry fails its checksum: %w", err)
	}
	return n, err
}
