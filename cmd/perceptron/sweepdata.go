package main

import (
	"slices"
	"strings"
	"sync"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// dataKey is what a fit's data is read from: the flags that feed
// dataFlags.loadTraining. Fits with equal keys read equal data.
type dataKey struct {
	data     dataFlags // every data flag: --data, --mnist-dir, the CSV flags, --samples, --noise, --test-split, --scale
	seed     uint64    // the synthetic draw's and the test split's; 0 for mnist, which uses neither
	task     dataset.Task
	initFrom string // a warm start's preprocessing
}

// keyOf returns the key of the data that the fit with flags f reads.
func keyOf(f *trainFlags) dataKey {
	k := dataKey{data: f.data, seed: f.seed, task: taskOf(f.layers), initFrom: f.initFrom}
	k.data.testSplitGiven = f.given["test-split"]
	if kind, _, _ := strings.Cut(f.data.spec, ":"); kind == "mnist" {
		k.seed = 0
	}
	return k
}

// sharedData is a data set that a sweep read once for the fits that read
// it, held until the last of them has taken its copy.
type sharedData struct {
	once  sync.Once
	data  prepared
	err   error
	users int // the fits that have not yet ended; under dataSets.mu
}

// dataSets are the data sets of a sweep, one per distinct key. Each is read
// by the first fit that needs it and dropped when no fit left needs it.
type dataSets struct {
	mu   sync.Mutex
	sets map[dataKey]*sharedData
}

// newDataSets counts, for each key, the fits that read it.
func newDataSets(fits []*sweepFit) *dataSets {
	d := &dataSets{sets: map[dataKey]*sharedData{}}
	for _, f := range fits {
		k := keyOf(f.flags)
		if d.sets[k] == nil {
			d.sets[k] = &sharedData{}
		}
		d.sets[k].users++
	}
	return d
}

// loader returns the fit's training.load: the shared data set of its key,
// read on first use, as parts of the fit's own. The shared sets are never
// changed: a fit shuffles its training part in place (the validation
// split), weighs it and scales every part in place, so it gets copies of
// both parts; the notes are copied too, as loadData appends to them.
func (d *dataSets) loader(f *trainFlags) func(uint64, dataset.Scaling, dataset.Task, *dataset.Preprocessor) (prepared, error) {
	s := d.of(f)
	return func(seed uint64, scaling dataset.Scaling, task dataset.Task, prep *dataset.Preprocessor) (prepared, error) {
		s.once.Do(func() { s.data, s.err = f.data.loadTraining(seed, scaling, task, prep) })
		if s.err != nil {
			return prepared{}, s.err
		}
		return prepared{train: clone(s.data.train), test: clone(s.data.test), prep: s.data.prep, notes: slices.Clone(s.data.notes)}, nil
	}
}

// done releases the fit's hold on its data set: the last fit to end drops it.
func (d *dataSets) done(f *trainFlags) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := keyOf(f)
	if s := d.sets[k]; s != nil {
		if s.users--; s.users == 0 {
			delete(d.sets, k)
			s.data = prepared{}
		}
	}
}

// of returns the shared data set of the fit's key.
func (d *dataSets) of(f *trainFlags) *sharedData {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sets[keyOf(f)]
}

// clone returns a copy of s that shares none of its memory.
func clone(s *dataset.Set) *dataset.Set {
	all := make([]int, s.N)
	for i := range all {
		all[i] = i
	}
	return s.Subset(all)
}
