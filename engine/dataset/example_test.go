package dataset_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// Seeded synthetic sets of two features, split into training and test
// examples: the same seeds give the same sets everywhere.
func ExampleSynthetic() {
	fmt.Println(dataset.SyntheticNames())
	all, err := dataset.Synthetic("blobs", 1000, -1, 42) // -1: the set's default noise
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := all.Split(0.2, 42)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(all.Features, "features,", all.Classes, "classes")
	fmt.Println(train.N, "training examples,", test.N, "test examples")
	// Output:
	// [blobs circles moons spirals xor]
	// 2 features, 3 classes
	// 800 training examples, 200 test examples
}

// A scaling is fitted on the training examples only, then applied to the
// training and the test examples alike.
func ExampleFitScaler() {
	train := dataset.New([]float64{
		0, 100,
		5, 300,
		10, 200,
	}, []float64{0, 1, 0}, 2)
	test := dataset.New([]float64{20, 250}, []float64{1}, 2)

	sc := dataset.FitScaler(dataset.MinMax, train) // each feature's training range onto [0, 1]
	sc.Apply(train.X)
	sc.Apply(test.X)
	fmt.Println(train.X)
	fmt.Println(test.X)
	// Output:
	// [0 0 0.5 1 1 0.5]
	// [2 0.75]
}

// A CSV file as people have them: a semicolon for a separator, a quoted
// field, missing cells and text. The preprocessor is fitted on the training
// rows (here all of them), then turns a row of a service's request into
// features.
func ExampleFitPreprocessor() {
	const csv = `age;plan;city;churned
34;basic;"Lyon; FR";no
;pro;Paris;yes
51;basic;;no
28;NA;Paris;yes
`
	table, err := dataset.ReadTable(strings.NewReader(csv), "customers.csv", dataset.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	prep, err := dataset.FitPreprocessor(table, nil, dataset.PrepOptions{Labels: []string{"churned"}, Scale: dataset.Standardise})
	if err != nil {
		log.Fatal(err)
	}
	set, notes, err := prep.Transform(table, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(prep.FeatureNames())
	fmt.Printf("row 1: %.3g, class %s\n", set.Row(1, nil), set.ClassNames[int(set.Labels[1])])
	fmt.Println("notes:", notes)

	x := make([]float64, prep.Features())
	if err := prep.TransformRow(map[string]string{"age": "40", "plan": "enterprise", "city": "Paris"}, x); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("a request: %.3g\n", x)
	// Output:
	// [age plan=<missing> plan=basic plan=pro city=<missing> city=Lyon; FR city=Paris]
	// row 1: [-0.32 0 0 1 0 0 1], class yes
	// notes: []
	// a request: [0.379 0 0 0 0 0 1]
}
