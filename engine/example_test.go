package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/perceptron-go/perceptron/cpu"
	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/dataset"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// The README's tour, "From Go": the course's network on seeded moons,
// per-example SGD on the CPU, evaluated and run on the held-out examples.
// The README shows this function's body as a program's main.
func ExampleFit() {
	all, err := dataset.Synthetic("moons", 1000, -1, 42) // or dataset.LoadTable, dataset.LoadNPZ, dataset.LoadMNIST
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := all.Split(0.2, 42)
	if err != nil {
		log.Fatal(err)
	}

	layers, err := engine.ParseLayers("6:relu,6:relu,1:sigmoid")
	if err != nil {
		log.Fatal(err)
	}
	spec := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.BCE, DType: engine.Float64}
	rng := engine.NewRNG(10)
	net, err := engine.NewNetwork(spec, engine.InitUniform, rng) // W then b per layer, U(-1, 1)
	if err != nil {
		log.Fatal(err)
	}

	be := cpu.New()
	hist, err := engine.Fit(context.Background(), net, train, engine.Config{
		Epochs: 10, LearningRate: 0.01, BatchSize: 1, RNG: rng, Backend: be,
	})
	if err != nil {
		log.Fatal(err)
	}
	metrics, err := engine.Evaluate(be, net, test) // loss, accuracy, per-class P/R/F1, confusion
	if err != nil {
		log.Fatal(err)
	}
	outputs, err := engine.Predict(be, net, test.X, test.N) // test.N rows of spec.Outputs() values
	if err != nil {
		log.Fatal(err)
	}

	fmt.Printf("epoch 1 loss %.2f, epoch %d loss %.2f\n", hist[0].Loss, len(hist), hist[len(hist)-1].Loss)
	fmt.Printf("test accuracy %.1f%%\n", 100*metrics.Accuracy)
	for i := range 3 {
		fmt.Printf("example %d: output %.2f, class %d, label %g\n",
			i, outputs[i], engine.PredictedClass(outputs[i:i+1]), test.Labels[i])
	}
	// Output:
	// epoch 1 loss 0.46, epoch 10 loss 0.04
	// test accuracy 99.5%
	// example 0: output 0.00, class 0, label 0
	// example 1: output 1.00, class 1, label 1
	// example 2: output 1.00, class 1, label 1
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

// Adam on a cosine schedule after a warm-up, early stopping, and a
// checkpoint after every epoch: a fit stopped after its third epoch (as by
// Ctrl-C) goes on from its checkpoint and ends as the fit never stopped.
func ExampleFit_resume() {
	all, err := dataset.Synthetic("moons", 1000, -1, 42)
	if err != nil {
		log.Fatal(err)
	}
	train, val, err := all.Split(0.2, 42)
	if err != nil {
		log.Fatal(err)
	}
	layers, err := engine.ParseLayers("16:relu,16:relu,1:sigmoid")
	if err != nil {
		log.Fatal(err)
	}
	spec := engine.Spec{Inputs: 2, Layers: layers, Loss: engine.BCE, DType: engine.Float64}
	dir, err := os.MkdirTemp("", "perceptron-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "run.ckpt")

	// fit trains a network from seed 1, as cfg says but for its RNG.
	fit := func(ctx context.Context, cfg engine.Config) (*engine.Network, engine.History, error) {
		rng := engine.NewRNG(1)
		net, err := engine.NewNetwork(spec, engine.InitAuto, rng)
		if err != nil {
			return nil, nil, err
		}
		cfg.RNG = rng
		hist, err := engine.Fit(ctx, net, train, cfg)
		return net, hist, err
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	cfg := engine.Config{
		Epochs: 30, LearningRate: 0.001, BatchSize: 32, Backend: cpu.New(), Validation: val,
		Optimizer: engine.DefaultOptimizer(engine.Adam),                  // or AdamW, or SGD{Momentum, Nesterov}
		Schedule:  engine.Schedule{Kind: engine.Cosine, WarmupEpochs: 1}, // or StepDecay; per step
		EarlyStop: &engine.EarlyStopping{Patience: 3},                    // keeps the best epoch's parameters
		Checkpoint: func(ck *engine.Checkpoint) error {
			return modelfile.SaveCheckpoint(path, modelfile.Checkpoint{Fit: ck})
		},
	}
	cfg.EpochDone = func(s engine.EpochStats) {
		if s.Epoch == 3 {
			stop() // as Ctrl-C would
		}
	}
	_, hist, err := fit(ctx, cfg)
	fmt.Printf("%d epochs in the history; %v\n", len(hist), err) // a *StopError

	ck, err := modelfile.LoadCheckpoint(path)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Resume = ck.Fit
	cfg.EpochDone = nil
	resumed, hist, err := fit(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("resumed from epoch %d, ended after epoch %d\n", ck.Fit.Epoch, len(hist))

	cfg.Resume, cfg.Checkpoint = nil, nil
	whole, _, err := fit(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the same parameters as a fit never stopped:", reflect.DeepEqual(resumed.Layers, whole.Layers))
	// Output:
	// 3 epochs in the history; the fit stopped after 3 full epochs and 0 examples of the next: context canceled
	// resumed from epoch 3, ended after epoch 30
	// the same parameters as a fit never stopped: true
}

// The course's NumPy code, replayed: NumPy's generator seeded as
// np.random.seed(10) draws the same weights and the same order of the
// examples, and the fit prints the course's lines.
func ExampleNewNumPyRNG_course() {
	data, err := dataset.Synthetic("moons", 1000, -1, 10)
	if err != nil {
		log.Fatal(err)
	}

	rng := engine.NewNumPyRNG(10) // np.random.seed(10)
	layers, err := engine.ParseLayers("6:relu,6:relu,1:sigmoid")
	if err != nil {
		log.Fatal(err)
	}
	net, err := engine.NewNetwork(engine.Spec{Inputs: 2, Layers: layers, Loss: engine.BCE, DType: engine.Float64},
		engine.InitUniform, rng) // W, b = uniform(-1, 1) per layer
	if err != nil {
		log.Fatal(err)
	}
	hist, err := engine.Fit(context.Background(), net, data, engine.Config{Epochs: 10, LearningRate: 0.01, BatchSize: 1,
		RNG: rng, Backend: cpu.New()}) // permutation(N) every epoch
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hist {
		fmt.Printf("Loss at epoch %d: %.3f\n", h.Epoch, h.Loss)
	}
	// Output:
	// Loss at epoch 1: 0.298
	// Loss at epoch 2: 0.199
	// Loss at epoch 3: 0.148
	// Loss at epoch 4: 0.109
	// Loss at epoch 5: 0.076
	// Loss at epoch 6: 0.052
	// Loss at epoch 7: 0.038
	// Loss at epoch 8: 0.030
	// Loss at epoch 9: 0.021
	// Loss at epoch 10: 0.018
}

// The README's "Your own data" in Go: a messy CSV (a semicolon for a
// separator, text columns, missing cells, text labels) turned into features
// by a preprocessor fitted on the training rows only, a network trained on
// them, both saved in one model file, and a service's request, raw strings
// by column name, predicted with what the file holds.
func ExampleFit_yourOwnData() {
	var csv strings.Builder // a file as people have them; dataset.LoadTable reads one from disk
	csv.WriteString("age;plan;city;churned\n")
	plans, cities := []string{"basic", "pro", "NA"}, []string{"Paris", "Lyon", ""}
	for i := range 200 {
		age, plan := 20+(i*37)%50, plans[i%3]
		churned := "no"
		if (plan == "basic") != (age > 45) {
			churned = "yes"
		}
		fmt.Fprintf(&csv, "%d;%s;%s;%s\n", age, plan, cities[(i/3)%3], churned)
	}
	table, err := dataset.ReadTable(strings.NewReader(csv.String()), "customers.csv", dataset.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	trainRows, testRows, err := dataset.SplitRows(table.Rows, 0.2, 42)
	if err != nil {
		log.Fatal(err)
	}
	prep, err := dataset.FitPreprocessor(table, trainRows, dataset.PrepOptions{Labels: []string{"churned"}, Scale: dataset.Standardise})
	if err != nil {
		log.Fatal(err)
	}
	train, _, err := prep.Transform(table, trainRows)
	if err != nil {
		log.Fatal(err)
	}
	test, _, err := prep.Transform(table, testRows)
	if err != nil {
		log.Fatal(err)
	}

	layers, err := engine.ParseLayers("16:relu,1:sigmoid")
	if err != nil {
		log.Fatal(err)
	}
	spec := engine.Spec{Inputs: prep.Features(), Layers: layers, Loss: engine.BCE, DType: engine.Float64}
	rng := engine.NewRNG(1)
	net, err := engine.NewNetwork(spec, engine.InitHe, rng)
	if err != nil {
		log.Fatal(err)
	}
	be := cpu.New()
	opt := engine.DefaultOptimizer(engine.Adam)
	if _, err := engine.Fit(context.Background(), net, train, engine.Config{
		Epochs: 100, LearningRate: 0.01, BatchSize: 8, Optimizer: opt, RNG: rng, Backend: be,
	}); err != nil {
		log.Fatal(err)
	}
	metrics, err := engine.Evaluate(be, net, test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d features %v\ntest accuracy above 90%%: %v\n", prep.Features(), prep.FeatureNames(), metrics.Accuracy > 0.9)

	path := filepath.Join(os.TempDir(), "churn.safetensors")
	if err := modelfile.Save(path, modelfile.Model{Network: net, Prep: prep}); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(path)
	m, err := modelfile.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	x := make([]float64, m.Prep.Features())
	if err := m.Prep.TransformRow(map[string]string{"age": "60", "plan": "basic", "city": "Nice"}, x); err != nil {
		log.Fatal(err)
	}
	out, err := engine.Predict(be, m.Network, x, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("a 60-year-old on basic: %s\n", m.Prep.ClassNames[engine.PredictedClass(out)])
	// Output:
	// 7 features [age plan=<missing> plan=basic plan=pro city=<missing> city=Lyon city=Paris]
	// test accuracy above 90%: true
	// a 60-year-old on basic: no
}
