package cpu_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// From data to predictions on the CPU: three classes of points, scaled,
// learnt by mini-batch SGD in float32, saved with their scaling, and the
// model loaded back to classify new points.
func Example() {
	all, err := dataset.Synthetic("blobs", 600, -1, 7)
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := all.Split(0.25, 7)
	if err != nil {
		log.Fatal(err)
	}
	scaler := dataset.FitScaler(dataset.Standardise, train) // fitted on the training part only
	scaler.Apply(train.X)
	scaler.Apply(test.X)

	layers, err := engine.ParseLayers("16:relu,3:softmax")
	if err != nil {
		log.Fatal(err)
	}
	spec := engine.Spec{Inputs: train.Features, Layers: layers, Loss: engine.CE, DType: engine.Float32}
	rng := engine.NewRNG(7)
	net, err := engine.NewNetwork(spec, engine.InitAuto, rng) // he for relu, xavier for softmax
	if err != nil {
		log.Fatal(err)
	}
	be := cpu.New()
	if _, err := engine.Fit(context.Background(), net, train, engine.Config{
		Epochs: 20, LearningRate: 0.1, BatchSize: 16, RNG: rng, Backend: be,
	}); err != nil {
		log.Fatal(err)
	}
	metrics, err := engine.Evaluate(be, net, test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test accuracy %.2f\n", metrics.Accuracy)

	dir, err := os.MkdirTemp("", "cpu-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := modelfile.Save(path, modelfile.Model{Network: net, Scaler: scaler}); err != nil {
		log.Fatal(err)
	}

	m, err := modelfile.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	x := []float64{ // three new points, one near each blob's centre
		2, 0,
		-1, 1.7,
		-1, -1.7,
	}
	m.Scaler.Apply(x) // as the training data was
	out, err := engine.Predict(be, m.Network, x, 3)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		row := out[3*i : 3*i+3]
		fmt.Printf("point %d: class %d\n", i, engine.PredictedClass(row))
	}
	// Output:
	// test accuracy 1.00
	// point 0: class 0
	// point 1: class 1
	// point 2: class 2
}
