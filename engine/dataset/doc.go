// Package dataset loads and prepares the examples a network learns from:
// MNIST from IDX files, numeric CSV files, and seeded synthetic sets, with
// train/test splits and feature scaling fitted on the training part.
package dataset
