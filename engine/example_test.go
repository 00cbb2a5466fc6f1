package engine_test

import (
	"context"
	"fmt"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
)

// The README's tour: the course's network on seeded moons, per-example SGD on the CPU.
func ExampleFit() {
	all, _ := dataset.Synthetic("moons", 1000, -1, 42)
	train, test, _ := all.Split(0.2, 42)

	layers, _ := engine.ParseLayers("6:relu,6:relu,1:sigmoid")
	spec := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.BCE, DType: engine.Float64}
	rng := engine.NewRNG(10)
	net, _ := engine.NewNetwork(spec, engine.InitUniform, rng)

	be := cpu.New()
	hist, err := engine.Fit(context.Background(), net, train, engine.Config{
		Epochs: 30, LearningRate: 0.01, BatchSize: 1, RNG: rng, Backend: be, Validation: test,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	metrics, _ := engine.Evaluate(be, net, test)
	fmt.Println("epochs:", len(hist))
	fmt.Println("loss fell:", hist[len(hist)-1].Loss < hist[0].Loss/2)
	fmt.Println("test accuracy above 95%:", metrics.Accuracy > 0.95)
	// Output:
	// epochs: 30
	// loss fell: true
	// test accuracy above 95%: true
}

// NumPy's generator replays the course's np.random draws.
func ExampleNewNumPyRNG() {
	rng := engine.NewNumPyRNG(0)        // np.random.seed(0)
	fmt.Printf("%.8f\n", rng.Float64()) // np.random.random_sample()
	fmt.Println(rng.Permutation(5))     // np.random.permutation(5)
	// Output:
	// 0.54881350
	// [4 2 1 3 0]
}
