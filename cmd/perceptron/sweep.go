package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perceptron-go/perceptron/engine"
	"github.com/perceptron-go/perceptron/engine/modelfile"
)

// listFlags are the flags sweep takes lists of: train's, and --dropout,
// which sets the dropout of every hidden layer of --layers.
var listFlags = []string{"lr", "batch", "seed", "layers", "optimizer", "weight-decay", "dropout"}

// layersSeparator separates the networks of a --layers list, whose layers
// are separated by commas.
const layersSeparator = ";"

const sweepSynopsis = `[train's flags] [--lr A,B,…|log:MIN:MAX:N|find] [--batch …] [--seed …] [--layers "L1;L2;…"] [--optimizer …] [--weight-decay …] [--dropout …] [--threads N] [--out-dir DIR] [--csv PATH]

Trains every combination of the lists, each fit the one perceptron train gives with those flags,
--threads fits at a time (one per core). Lists are comma-separated, but --layers's networks, which
are separated by semicolons; a flag given twice adds to its list. --lr log:MIN:MAX:N is N rates
evenly spaced in log from MIN to MAX. Writes --plot (default sweep.png: every fit's losses), --csv
(the table), and the best fit's model to --out; --out-dir keeps every fit's model and history.`

// sweepFlags are sweep's own flags.
type sweepFlags struct {
	threads     int
	outDir, csv string
}

func (s *sweepFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&s.threads, "threads", runtime.NumCPU(), "fits trained at once, each on one core (the sweep's GOMAXPROCS)")
	fs.StringVar(&s.outDir, "out-dir", "", "folder to keep every fit's model, history and curves in, as fit-NNN.* (empty: only the best fit's model, at --out)")
	fs.StringVar(&s.csv, "csv", "sweep.csv", "CSV of the table to write (empty: none)")
	fs.Lookup("dropout").Usage = "dropout of every hidden layer of --layers (a list, like --lr)"
}

// sweep is perceptron sweep.
func sweep(args []string, stdout, stderr io.Writer) error {
	lists, rest, err := takeLists(args)
	if err != nil {
		return err
	}
	var base trainFlags
	var s sweepFlags
	fs, parse := newFlags("sweep", sweepSynopsis, stderr)
	base.register(fs)
	fs.String("dropout", "", "")
	s.register(fs)
	if err := parse(rest); err != nil {
		return err
	}
	given := givenFlags(fs)
	if err := s.check(fs, given); err != nil {
		return err
	}
	fits, err := sweepFits(lists, rest, stderr)
	if err != nil {
		return err
	}
	outs := []output{{"--out", base.out, false}, {"--plot", s.plot(fs), false}, {"--csv", s.csv, false}}
	if err := checkOutputs(slices.DeleteFunc(outs, func(o output) bool { return o.path == "" }), base.data.inputs(), false); err != nil {
		return err
	}
	if s.outDir != "" {
		if err := os.MkdirAll(s.outDir, 0o755); err != nil {
			return fmt.Errorf("--out-dir: %w", err)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(s.threads))
	sig := catchSignals()
	defer sig.stop()
	runner, closeGroup, err := seatFits(fits, s.threads)
	if err != nil {
		return err
	}
	r := &sweepRun{sweepFlags: s, fits: fits, sig: sig, data: newDataSets(fits)}
	if g, ok := runner.(gpuGroup); ok {
		r.group = &g
	}
	start := time.Now()
	runner.run(len(fits), r.train)
	secs := time.Since(start).Seconds()
	if closeGroup != nil {
		if err := closeGroup(); err != nil {
			return err
		}
	}
	if g, ok := runner.(gpuGroup); ok && !base.quiet {
		g.sayAlone(fits, stderr)
	}
	if sig, _ := sig.caught(); sig != nil {
		fmt.Fprintf(stderr, "perceptron: %v during the sweep; its table, picture and best model are not written\n", interrupted{sig})
		return interrupted{sig}
	}
	if !base.quiet {
		fmt.Fprintf(stderr, "perceptron: %d fits in %.2f s on %d threads (%.1f fits/s)\n", len(fits), secs, s.threads, float64(len(fits))/secs)
	}
	return r.report(base.out, s.plot(fs), base.json, stdout, stderr)
}

// check refuses the flags a sweep cannot take, with the reason.
func (s *sweepFlags) check(fs *flag.FlagSet, given map[string]bool) error {
	for _, name := range []string{"resume", "checkpoint", "tensorboard", "history"} {
		if given[name] {
			return withHint(fmt.Errorf("sweep: --%s is for one fit", name), "train a fit of the sweep with perceptron train and its flags; --out-dir keeps every fit's model and history")
		}
	}
	if d := fs.Lookup("distributed").Value.String(); d == "mpi" {
		return errors.New("sweep: --distributed mpi: a sweep trains its fits side by side in one process")
	}
	if s.threads < 1 {
		return fmt.Errorf("--threads must be at least 1, found %d", s.threads)
	}
	return nil
}

// plot is --plot: the picture's path, sweep.png unless given.
func (s *sweepFlags) plot(fs *flag.FlagSet) string {
	if givenFlags(fs)["plot"] {
		return fs.Lookup("plot").Value.String()
	}
	return "sweep.png"
}

// takeLists takes the list flags out of args, as --name LIST or
// --name=LIST, and returns their values, one list per flag in the order
// given, and the other arguments.
func takeLists(args []string) (map[string][]string, []string, error) {
	lists := map[string][]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !slices.Contains(listFlags, name) {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, nil, withHint(fmt.Errorf("sweep: flag needs an argument: -%s", name), "run perceptron sweep -h for its flags")
			}
			i++
			value = args[i]
		}
		values, err := listValues(name, value)
		if err != nil {
			return nil, nil, err
		}
		lists[name] = append(lists[name], values...)
	}
	return lists, rest, nil
}

// listValues splits a list flag's value into its values: at semicolons for
// --layers, at commas for the others, and --lr log:MIN:MAX:N into N rates
// evenly spaced in log from MIN to MAX.
func listValues(name, value string) ([]string, error) {
	if name == "lr" && strings.HasPrefix(value, "log:") {
		return logRates(value)
	}
	sep := ","
	if name == "layers" {
		sep = layersSeparator
	}
	var values []string
	for v := range strings.SplitSeq(value, sep) {
		if v = strings.TrimSpace(v); v == "" {
			hint := fmt.Sprintf("separate the values with %q, as --lr 0.001,0.01,0.1", sep)
			if name == "layers" {
				hint = `separate networks with ";" (their layers with ","), as --layers "16:relu,1:sigmoid;32:relu,1:sigmoid"`
			}
			return nil, withHint(fmt.Errorf("--%s %q: an empty value in the list", name, value), hint)
		}
		values = append(values, v)
	}
	if name == "layers" && len(values) == 1 && strings.Count(value, ",") > 0 && !strings.Contains(value, ":") {
		return nil, fmt.Errorf("--layers %q: expected networks of UNITS:ACTIVATION layers", value)
	}
	return values, nil
}

// logRates expands --lr log:MIN:MAX:N.
func logRates(value string) ([]string, error) {
	bad := withHint(fmt.Errorf("--lr %q: expected log:MIN:MAX:N, rates 0 < MIN < MAX and N ≥ 2 of them", value), "such as --lr log:1e-4:1:9 (1e-4, 3.2e-4, 1e-3, … 1)")
	parts := strings.Split(value, ":")
	if len(parts) != 4 {
		return nil, bad
	}
	lo, err1 := strconv.ParseFloat(parts[1], 64)
	hi, err2 := strconv.ParseFloat(parts[2], 64)
	n, err3 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || !(lo > 0 && hi > lo) || math.IsInf(hi, 0) || n < 2 {
		return nil, bad
	}
	rates := make([]string, n)
	for i := range rates {
		rates[i] = strconv.FormatFloat(lo*math.Pow(hi/lo, float64(i)/float64(n-1)), 'g', 6, 64)
	}
	return rates, nil
}

// sweepFit is one fit of a sweep: its flags, what differs from the other
// fits, and once trained what it gave.
type sweepFit struct {
	n       int               // from 1, in the order of the combinations
	flags   *trainFlags       // train's flags for this fit
	values  map[string]string // the list flags' values
	label   string            // the values that differ between fits
	hist    engine.History
	sum     summary
	err     error
	seconds float64 // the whole fit's: data, build, range test, fit and test
	// baseline is the training loss of the best constant output
	// (engine.ConstantLoss), which a fit that learnt must beat; NaN where
	// the fit did not get as far as its network.
	baseline float64
	model    string // the model file kept in --out-dir
}

// sweepFits parses, for every combination of the lists, train's flags:
// the arguments rest and the combination's values, as train would read
// them. Every combination is checked before any is trained.
func sweepFits(lists map[string][]string, rest []string, stderr io.Writer) ([]*sweepFit, error) {
	var names []string
	for _, name := range listFlags {
		if len(lists[name]) > 0 {
			names = append(names, name)
		}
	}
	var fits []*sweepFit
	combo := make([]int, len(names))
	for {
		f := &sweepFit{n: len(fits) + 1, values: map[string]string{}}
		for i, name := range names {
			f.values[name] = lists[name][combo[i]]
		}
		if err := f.parse(rest, stderr); err != nil {
			return nil, err
		}
		fits = append(fits, f)
		i := len(names) - 1
		for ; i >= 0; i-- { // the last list turns fastest
			if combo[i]++; combo[i] < len(lists[names[i]]) {
				break
			}
			combo[i] = 0
		}
		if i < 0 {
			break
		}
	}
	for _, f := range fits {
		var parts []string
		for _, name := range names {
			if len(slices.Compact(slices.Sorted(slices.Values(lists[name])))) > 1 {
				parts = append(parts, name+"="+f.values[name])
			}
		}
		if f.label = strings.Join(parts, " "); f.label == "" {
			f.label = "fit"
		}
	}
	return fits, nil
}

// parse reads the fit's flags through train's flag set: rest, then the
// list flags' values, then what train completes them with.
func (f *sweepFit) parse(rest []string, stderr io.Writer) error {
	f.flags = &trainFlags{group: &group{stderr: stderr}}
	fs, parse := newFlags("sweep", sweepSynopsis, stderr)
	f.flags.register(fs)
	dropout := fs.String("dropout", "", "")
	var s sweepFlags
	s.register(fs)
	if err := parse(rest); err != nil {
		return err
	}
	for _, name := range listFlags {
		if v, ok := f.values[name]; ok {
			if err := fs.Set(name, v); err != nil {
				return withHint(fmt.Errorf("--%s %s: %w", name, v, err), "run perceptron sweep -h for its flags")
			}
		}
	}
	if *dropout != "" {
		layers, err := withDropout(f.flags.layers, *dropout)
		if err != nil {
			return err
		}
		if err := fs.Set("layers", layers); err != nil {
			return err
		}
	}
	return f.flags.complete(fs)
}

// withDropout returns the layers of spec with dropout p on every hidden
// layer (in place of any they had).
func withDropout(spec, p string) (string, error) {
	if spec == "" {
		return "", withHint(errors.New("--dropout needs --layers: it sets the dropout of their hidden layers"), `give the layers, as --layers 16:relu,16:relu,1:sigmoid --dropout 0,0.2`)
	}
	if v, err := strconv.ParseFloat(p, 64); err != nil || !(v >= 0 && v < 1) {
		return "", fmt.Errorf("--dropout %s: expected a probability in [0, 1)", p)
	}
	layers := strings.Split(spec, ",")
	for i, l := range layers[:len(layers)-1] {
		var kept []string
		for _, part := range strings.Split(l, ":") {
			if !strings.HasPrefix(part, "dropout=") {
				kept = append(kept, part)
			}
		}
		layers[i] = strings.Join(kept, ":") + ":dropout=" + p
	}
	return strings.Join(layers, ","), nil
}

// fitRunner runs n fits, calling train(i) for each i in [0, n): a CPU pool
// of goroutines (cpuPool), or with it the fits of one GPU's group, all at
// once (gpuGroup).
type fitRunner interface {
	run(n int, train func(i int))
}

// cpuPool runs the fits on threads goroutines, each fit on one of them
// from its start to its end (GOMAXPROCS is threads: a core each).
type cpuPool struct{ threads int }

var _ fitRunner = cpuPool{}

func (p cpuPool) run(n int, train func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(p.threads, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				train(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// sweepRun is a sweep in progress: its fits and the best model so far.
type sweepRun struct {
	sweepFlags
	fits  []*sweepFit
	sig   *signals
	data  *dataSets // read once, shared by the fits that read them
	group *gpuGroup // the GPU's group of fits, or nil

	mu     sync.Mutex
	best   *modelfile.Model // the best fit's, so far
	bestAt int
}

// train trains fit i as train would, silently, on a copy of its shared
// data set, keeping its files in --out-dir and its model if it is the best
// so far.
func (r *sweepRun) train(i int) {
	f := r.fits[i]
	defer r.data.done(f.flags)
	t := &training{trainFlags: f.flags, sig: r.sig, stdout: io.Discard, stderr: io.Discard, load: r.data.loader(f.flags)}
	t.quiet, t.json = true, true
	if r.group != nil && r.group.seats[i] != nil {
		t.seat = r.group.backendOf(i, f.flags.backend)
	}
	t.out, t.history, t.plot, t.findPlot = "", "", "", ""
	if r.outDir != "" {
		name := filepath.Join(r.outDir, fmt.Sprintf("fit-%03d", f.n))
		t.out, t.history, t.plot, t.findPlot = name+".safetensors", name+".history.csv", name+".png", name+".lr-find.png"
		f.model = t.out
	}
	start := time.Now()
	for _, step := range []func() error{t.configure, t.loadData, t.build, t.weighClasses, t.findRate, t.fit, t.foldTarget, t.evaluate} {
		if f.err = step(); f.err != nil {
			break
		}
	}
	f.seconds, f.hist, f.sum = time.Since(start).Seconds(), t.hist, t.sum
	f.baseline = math.NaN()
	if t.net != nil {
		if y, err := t.spec.Targets(t.trainSet); err == nil {
			f.baseline = engine.ConstantLoss(t.spec.Loss, y, t.spec.Outputs())
		}
	}
	if f.err == nil && r.outDir != "" {
		f.err = t.write()
	}
	if f.err != nil || t.net == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.best == nil || better(f, r.fits[r.bestAt]) {
		m := t.model()
		r.best, r.bestAt = &m, i
	}
}

// score is what ranks a fit: its best validation loss, or its best
// training loss without validation data, and the epoch of it; NaN for a
// fit that failed or diverged.
func (f *sweepFit) score() (loss float64, epoch int) {
	loss = math.NaN()
	if f.err != nil || f.diverged() {
		return loss, 0
	}
	for _, s := range f.hist {
		v := s.ValLoss
		if math.IsNaN(v) {
			v = s.Loss
		}
		if !math.IsNaN(v) && !(v >= loss) {
			loss, epoch = v, s.Epoch
		}
	}
	return loss, epoch
}

// diverged reports a fit whose loss became NaN or Inf, or whose last
// epoch's training loss is above its first's.
func (f *sweepFit) diverged() bool {
	var nf *engine.NonFiniteError
	if errors.As(f.err, &nf) {
		return true
	}
	return len(f.hist) > 1 && f.hist[len(f.hist)-1].Loss > f.hist[0].Loss
}

// stallRatio is the most a fit's last epoch's training loss may be of its
// first's for the fit to count as learning; stallBaseline the most it may
// be of the loss of the best constant output (sweepFit.baseline).
const (
	stallRatio    = 0.9
	stallBaseline = 0.95
)

// stalled reports a fit that trained without diverging but did not learn:
// its last epoch's training loss above stallRatio times its first's, or
// above stallBaseline times the loss of outputting the targets' mean (such
// as the course's moons at --lr 1 and 3: relu units dead, the loss stuck
// near log 2 or above it, though the first epoch's jump makes the later
// ones look like a fall). The training loss, not the validation loss, which
// on a small validation part moves too much from epoch to epoch.
func (f *sweepFit) stalled() bool {
	if f.err != nil || f.diverged() || len(f.hist) < 2 {
		return false
	}
	last := f.hist[len(f.hist)-1].Loss
	return last > stallRatio*f.hist[0].Loss || last > stallBaseline*f.baseline
}

// rank is a fit's class in the ranking: 0 for a fit that learnt, 1 for
// one that stalled, 2 for one that diverged or failed.
func (f *sweepFit) rank() int {
	switch loss, _ := f.score(); {
	case math.IsNaN(loss):
		return 2
	case f.stalled():
		return 1
	}
	return 0
}

// better reports whether a ranks before b: the fits that learnt, then
// those that stalled, then those that diverged or failed; within each, a
// lower score, then the earlier fit.
func better(a, b *sweepFit) bool {
	sa, _ := a.score()
	sb, _ := b.score()
	switch ra, rb := a.rank(), b.rank(); {
	case ra != rb:
		return ra < rb
	case sa != sb && !math.IsNaN(sa):
		return sa < sb
	}
	return a.n < b.n
}
