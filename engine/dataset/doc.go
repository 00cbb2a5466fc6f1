// Package dataset loads and prepares the examples a network learns from:
// MNIST from IDX files, numeric CSV files, and seeded synthetic sets, with
// train/test splits and feature scaling fitted on the training part.
//
// Labels are class indices 0..Classes-1 for a classification set, any number
// for a regression set; Targets turns them into what a network of so many
// outputs learns (the label for one output, one-hot rows for more). LoadMNIST
// reads MNIST's four IDX files, named as MNISTTrainImages and the others
// (their contents gzipped or not), from a folder; finding that folder is the
// caller's business.
//
// # Holding a set once, compactly
//
// A Set holds its features as float64 values (X: CSV files, synthetic sets)
// or as codes (Codes: one byte a value, the value being Levels[byte]). IDX
// images are held as the file's bytes, byte p standing for p/255: MNIST's
// 70,000 images take 55 MB instead of 439 MB of float64, and every reader
// (Row, Rows, Values) gives exactly the float64 value p/255, or that value
// rounded once to float32. Float64s turns a coded set into float64 values
// for a caller that changes them (a Scaler). Split shuffles the set in place
// and returns two sets that share its memory, so that splitting holds no
// second copy; Subset copies.
//
// # Testing
//
// go test ./engine/dataset checks CSV files (headers, a byte order mark, the
// label column, and each error with its line and column: NaN, Inf, empty
// cells, ragged rows, a first line mixing numbers and text, no rows), IDX
// files (each error: truncated data or header, the wrong type, sizes of 0,
// bytes past the data, a bad gzip checksum, a header that promises more than
// MaxIDXBytes), that reading an IDX file allocates only what arrives, MNIST's
// labels above 9 and test images of another size than the training ones, the
// real MNIST files (skipped with -short), targets, splits, scalers and the
// synthetic sets. Codes: pixels read as exactly float64(p)/255 and, as
// float32, that value rounded once (TestPixelValuesAreThoseOfFloat64Division);
// a set held as codes splits, subsets and fits scalers as the same values
// held as float64; Split shuffles in place, its parts share the set's memory
// and appending to one does not reach the other; loading 1.6 MB of pixels
// allocates under 3 bytes a pixel, where float64 features took 8
// (TestLoadIDXHoldsBytes, counting the bytes allocated).
//
// Two fuzz targets check properties, not only the absence of a panic:
// FuzzReadCSV (what is accepted has rows of one width, a header as wide or
// none, only finite values, and labels from the label column) and FuzzReadIDX
// (what is accepted has 1 to 4 dimensions and exactly as many bytes as they
// multiply to; testdata/fuzz/FuzzReadIDX keeps the files that made earlier
// versions allocate what the header claimed). CI runs each for a fixed count
// in a 4 GiB address space. Run on the development machine (2026-11-27) under
// the same limit, FuzzReadCSV for 3,000,000 executions and FuzzReadIDX for
// 16,300,000: no crash, no failed property. FuzzReadIDX stalled once, on a
// few kilobytes of gzip that expand to the 2 GiB a header promised (16 GiB of
// features once converted), which is why IDX files now hold at most 128 MiB
// (MaxIDXBytes).
//
// The examples (ExampleReadCSV, ExampleSynthetic, ExampleFitScaler) run as
// tests.
package dataset
