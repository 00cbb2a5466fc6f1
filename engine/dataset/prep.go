package dataset

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Notes are things to tell the user about data that was accepted: columns
// ignored, categories not seen in training, a hint to scale.
type Notes []string

// Task says what a preprocessor makes of the label columns.
type Task string

const (
	// TaskAuto classifies text labels and integer labels (at most
	// MaxClasses of them), and regresses on any other numbers.
	TaskAuto Task = "auto"
	// Classify reads the labels as class names.
	Classify Task = "classify"
	// Regress reads the labels as numbers to predict.
	Regress Task = "regress"
)

// ParseTask parses "auto", "classify" or "regress".
func ParseTask(s string) (Task, error) {
	return parseChoice(s, "task", TaskAuto, Classify, Regress)
}

// Impute is how a missing cell of a numeric feature is filled.
type Impute string

const (
	// ImputeMedian fills with the median of the training rows (the mean of
	// the two middle values for an even count, as NumPy's).
	ImputeMedian Impute = "median"
	// ImputeMean fills with the mean of the training rows.
	ImputeMean Impute = "mean"
	// ImputeZero fills with 0.
	ImputeZero Impute = "zero"
)

// ParseImpute parses "median", "mean" or "zero".
func ParseImpute(s string) (Impute, error) {
	return parseChoice(s, "imputation", ImputeMedian, ImputeMean, ImputeZero)
}

// DefaultMaxCategories is PrepOptions.MaxCategories when it is 0.
const DefaultMaxCategories = 1000

// PrepOptions says how FitPreprocessor turns a table into features and
// labels. The zero value is usable: the last column is the label.
type PrepOptions struct {
	// Labels are the label columns, by name or 1-based number; none means
	// the last column. Several make a regression of several outputs.
	Labels []string
	// Categorical are numeric columns to one-hot encode as categories
	// (text columns always are).
	Categorical []string
	// Drop are columns, by name or 1-based number, left out of the
	// features: an identifier, free text, or a copy of the label. A label,
	// the weights or a categorical column cannot be dropped, nor every
	// feature column.
	Drop []string
	// Impute fills the missing cells of numeric features; "" is median.
	Impute Impute
	// MaxCategories bounds the distinct values of a categorical feature in
	// the training rows; 0 is DefaultMaxCategories.
	MaxCategories int
	// Scale scales the numeric features (one-hot features stay 0 or 1);
	// "" is none.
	Scale Scaling
	// Task says what the labels are; "" is TaskAuto.
	Task Task
	// WeightCol is an optional numeric column of per-example weights of 0
	// or more, which is not a feature.
	WeightCol string
}

// InputKind is how a preprocessor encodes a feature column.
type InputKind string

const (
	// NumericInput is a number: missing cells filled, then scaled.
	NumericInput InputKind = "numeric"
	// CategoricalInput is text, one-hot encoded over its categories.
	CategoricalInput InputKind = "categorical"
	// CodeInput is numbers one-hot encoded as categories, each named by
	// its shortest form ("3", "2.5").
	CodeInput InputKind = "codes"
	// DateTimeInput is text of ISO 8601 dates or date-times (DateLayouts),
	// one numeric feature per part (Input.Parts).
	DateTimeInput InputKind = "datetime"
)

// Input is a feature column as a preprocessor encodes it.
type Input struct {
	// Name is the column's name.
	Name string `json:"name"`
	// Kind is how the column is encoded.
	Kind InputKind `json:"kind"`
	// Fill replaces a missing number, before scaling (numeric only).
	Fill float64 `json:"fill"`
	// Offset and Scale give the feature (x - Offset)·Scale (numeric only;
	// 0 and 1 otherwise).
	Offset float64 `json:"offset"`
	Scale  float64 `json:"scale"`
	// Categories are the sorted values seen in the training rows, "" for
	// a missing cell, one feature each (categorical and codes only).
	Categories []string `json:"categories"`
	// Parts are a date-time input's features, in the order of the part
	// constants (PartYear, …); absent for other kinds.
	Parts []DatePart `json:"parts,omitempty"`
}

// DatePart is one numeric feature of a date-time input: the part of each
// cell's date read as written (the wall-clock fields; a zone, if any, is
// not applied; a date without a time is midnight), filled where missing
// and scaled as a numeric input is.
type DatePart struct {
	// Part is PartYear, PartMonth, PartDay, PartWeekday or PartHour.
	Part string `json:"part"`
	// Fill replaces a missing cell's part, before scaling.
	Fill float64 `json:"fill"`
	// Offset and Scale give the feature (part - Offset)·Scale.
	Offset float64 `json:"offset"`
	Scale  float64 `json:"scale"`

	index int // the part's index in dateParts, set by Validate
}

// Preprocessor turns the rows of a table into a Set, as fitted on
// training rows by FitPreprocessor; it is stored as JSON in a model file.
//
// Feature columns come in the order of the training file, less the label
// and weight columns: a numeric column is one feature, its missing cells
// filled and then scaled; a categorical one is one 0/1 feature per category
// seen in training, a missing cell being the category "" and a category
// not seen in training all zeros; a date-time one is a numeric feature per
// part (year, month, day, weekday, and hour where training had times).
type Preprocessor struct {
	// Inputs are the feature columns, in order.
	Inputs []Input `json:"inputs"`
	// Labels name the label columns.
	Labels []string `json:"labels"`
	// Task is Classify or Regress.
	Task Task `json:"task"`
	// ClassNames are the classes in class-index order (Classify only):
	// sorted, numerically when the labels were numbers.
	ClassNames []string `json:"class_names"`
	// Weight names the weight column, "" when there is none.
	Weight string `json:"weight"`
	// Impute and Scale are the options the numeric inputs were fitted with.
	Impute Impute  `json:"impute"`
	Scale  Scaling `json:"scale"`

	features   int
	names      []string           // FeatureNames
	at         []int              // each input's first feature
	byName     map[string]int     // inputs by column name
	categories []map[string]int32 // each categorical input's category index
	codes      []map[float64]int32
	classes    map[string]int
	fitNotes   Notes
	dropped    []string // the columns the fit dropped, which Transform does not note as ignored
}

// FitPreprocessor fits a preprocessor on rows of t (nil: all of them):
// the vocabularies, fills, scales and class names come from those rows
// only. Errors name the column, and the line where a cell is the cause.
func FitPreprocessor(t *Table, rows []int, opt PrepOptions) (*Preprocessor, error) {
	if opt.Impute == "" {
		opt.Impute = ImputeMedian
	}
	if opt.Scale == "" {
		opt.Scale = NoScaling
	}
	if opt.Task == "" {
		opt.Task = TaskAuto
	}
	if opt.MaxCategories == 0 {
		opt.MaxCategories = DefaultMaxCategories
	}
	if _, err := ParseImpute(string(opt.Impute)); err != nil {
		return nil, err
	}
	if _, err := ParseScaling(string(opt.Scale)); err != nil {
		return nil, err
	}
	if _, err := ParseTask(string(opt.Task)); err != nil {
		return nil, err
	}
	if opt.MaxCategories < 1 {
		return nil, fmt.Errorf("max categories %d: expected 1 or more", opt.MaxCategories)
	}
	rows, err := t.rowSet(rows)
	if err != nil {
		return nil, err
	}
	p := &Preprocessor{Impute: opt.Impute, Scale: opt.Scale}
	role := make([]string, len(t.Columns)) // "label", "weight", "categorical", "dropped" or "" (numeric unless text)
	refs := opt.Labels
	if len(refs) == 0 {
		refs = []string{strconv.Itoa(len(t.Columns))}
	}
	var labels []int
	for _, ref := range refs {
		j, err := t.Column(ref)
		if err != nil {
			return nil, fmt.Errorf("label column: %w", err)
		}
		if role[j] != "" {
			return nil, fmt.Errorf("%s: column %s is given twice as a label", t.Name, t.Columns[j].Name)
		}
		role[j] = "label"
		labels = append(labels, j)
		p.Labels = append(p.Labels, t.Columns[j].Name)
	}
	weight := -1
	if opt.WeightCol != "" {
		if weight, err = t.Column(opt.WeightCol); err != nil {
			return nil, fmt.Errorf("weight column: %w", err)
		}
		if role[weight] != "" {
			return nil, fmt.Errorf("%s: column %s cannot be both the weights and a label", t.Name, t.Columns[weight].Name)
		}
		role[weight] = "weight"
		p.Weight = t.Columns[weight].Name
	}
	for _, ref := range opt.Categorical {
		j, err := t.Column(ref)
		if err != nil {
			return nil, fmt.Errorf("categorical column: %w", err)
		}
		if role[j] == "label" || role[j] == "weight" {
			return nil, fmt.Errorf("%s: column %s is the %s, not a feature: it cannot be categorical", t.Name, t.Columns[j].Name, role[j])
		}
		role[j] = "categorical"
	}
	for _, ref := range opt.Drop {
		j, err := t.Column(ref)
		if err != nil {
			return nil, fmt.Errorf("dropped column: %w", err)
		}
		switch role[j] {
		case "label":
			return nil, fmt.Errorf("%s: cannot drop the label: column %s is the label, not a feature", t.Name, t.Columns[j].Name)
		case "weight":
			return nil, fmt.Errorf("%s: cannot drop the weights: column %s is the weights, not a feature", t.Name, t.Columns[j].Name)
		case "categorical":
			return nil, fmt.Errorf("%s: column %s is both dropped and categorical: give it to one of them", t.Name, t.Columns[j].Name)
		case "":
			role[j] = "dropped"
			p.dropped = append(p.dropped, t.Columns[j].Name)
		}
	}
	var cols []int // each input's column
	for j, c := range t.Columns {
		var in Input
		var err error
		switch {
		case role[j] == "label" || role[j] == "weight" || role[j] == "dropped":
			continue
		case c.IsText() && role[j] != "categorical":
			var isDate bool
			var notDate string
			in, isDate, notDate, err = fitDateTime(c, rows, opt.Impute, opt.Scale, dropFlag(t, j))
			if !isDate {
				in, err = fitCategories(c, rows, opt.MaxCategories, dropFlag(t, j), notDate)
			}
		case role[j] == "categorical":
			in, err = fitCategories(c, rows, opt.MaxCategories, dropFlag(t, j), "")
		default:
			in, err = fitNumber(c, rows, opt.Impute, opt.Scale, dropFlag(t, j))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", t.Name, c.Name, err)
		}
		p.Inputs = append(p.Inputs, in)
		cols = append(cols, j)
	}
	if len(p.Inputs) == 0 && len(p.dropped) > 0 {
		return nil, fmt.Errorf("%s: no feature columns: every column is a label, the weights or dropped (%s)", t.Name, strings.Join(p.dropped, ", "))
	}
	if len(p.Inputs) == 0 {
		return nil, fmt.Errorf("%s: no feature columns: every column is a label or the weights", t.Name)
	}
	if weight >= 0 {
		if _, err := t.weights(weight, rows); err != nil {
			return nil, err
		}
	}
	if err := p.fitLabels(t, labels, rows, opt.Task); err != nil {
		return nil, &LabelError{Columns: p.Labels, Err: err}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", t.Name, err) // not expected: the fit makes valid inputs
	}
	if p.Task == Classify {
		p.fitNotes = append(p.fitNotes, p.leakNotes(t, labels[0], cols, rows)...)
	}
	p.fitNotes = append(p.fitNotes, p.identifierNotes(t, cols, rows)...)
	return p, nil
}

// dropFlag returns the flag that drops column j of t: by name where the
// name is a plain word (letters, digits, _ - .), which reads back as the
// column (names come first, and are unique) in a comma-separated list and
// in a shell, and by 1-based number otherwise.
func dropFlag(t *Table, j int) string {
	name := t.Columns[j].Name
	odd := strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	})
	if name == "" || odd {
		return "--drop " + strconv.Itoa(j+1)
	}
	return "--drop " + name
}

// rowSet checks rows against the table (nil: all rows).
func (t *Table) rowSet(rows []int) ([]int, error) {
	if rows == nil {
		rows = make([]int, t.Rows)
		for i := range rows {
			rows[i] = i
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows to fit on", t.Name)
	}
	for _, i := range rows {
		if i < 0 || i >= t.Rows {
			return nil, fmt.Errorf("%s: row %d does not exist: the table has %d rows", t.Name, i, t.Rows)
		}
	}
	return rows, nil
}

// fitCategories fits a categorical input on column c's rows; drop is the
// flag that drops the column, and notDate the first cell that was not an
// ISO date, for the error of too many categories.
func fitCategories(c *Column, rows []int, limit int, drop, notDate string) (Input, error) {
	in := Input{Name: c.Name, Kind: CategoricalInput, Scale: 1}
	if !c.IsText() {
		in.Kind = CodeInput
	}
	seen := map[string]bool{}
	for _, i := range rows {
		s, _ := c.Text(i)
		if !seen[s] {
			if len(seen) == limit {
				n := distinctValues(c, rows)
				hint := ""
				if looksLikeDate(notDate) {
					hint = fmt.Sprintf("; %q looks like a date, but only ISO 8601 dates and date-times (2006-01-02, 2006-01-02 15:04:05) are read as dates", notDate)
				}
				return in, fmt.Errorf("%d distinct values in the training rows, more than the %d categories allowed (an identifier or free text is no category): "+
					"drop the column (%s), or allow them (--max-categories %d)%s", n, limit, drop, n, hint)
			}
			seen[s] = true
		}
	}
	for s := range seen {
		in.Categories = append(in.Categories, s)
	}
	slices.Sort(in.Categories)
	return in, nil
}

// distinctValues counts the distinct cells of column c's rows as
// fitCategories tells them apart (a missing cell is one value of its own).
func distinctValues(c *Column, rows []int) int {
	n := 0
	if c.IsText() {
		seen := make([]bool, len(c.Values)+1) // code -1, missing, at 0
		for _, i := range rows {
			if k := c.Codes[i] + 1; !seen[k] {
				seen[k], n = true, n+1
			}
		}
		return n
	}
	seen := map[uint64]bool{}
	for _, i := range rows {
		v := c.Numbers[i]
		if math.IsNaN(v) {
			v = math.NaN() // every missing cell alike
		}
		if b := math.Float64bits(v); !seen[b] {
			seen[b], n = true, n+1
		}
	}
	return n
}

// fitNumber fits a numeric input on column c's rows; drop is the flag
// that drops the column, for the error of a column without numbers.
func fitNumber(c *Column, rows []int, impute Impute, scale Scaling, drop string) (Input, error) {
	in := Input{Name: c.Name, Kind: NumericInput}
	var err error
	in.Fill, in.Offset, in.Scale, err = fitFill(len(rows), func(r int) float64 { return c.Numbers[rows[r]] }, impute, scale, drop)
	return in, err
}

// fitFill fits the fill, offset and scale of a numeric feature on the n
// values value(0) … value(n-1) of the training rows, NaN where missing;
// drop is the flag that drops its column, for the error of a feature
// without values.
func fitFill(n int, value func(r int) float64, impute Impute, scale Scaling, drop string) (fill, offset, factor float64, err error) {
	present := make([]float64, 0, n)
	for r := range n {
		if v := value(r); !math.IsNaN(v) {
			present = append(present, v)
		}
	}
	switch {
	case impute == ImputeZero:
	case len(present) == 0:
		return 0, 0, 1, fmt.Errorf("every cell is missing in the training rows: drop the column (%s), or fill missing numbers with zero (--impute zero)", drop)
	case impute == ImputeMean:
		fill = mean(present)
	default:
		slices.Sort(present)
		n := len(present)
		fill = present[n/2]
		if n%2 == 0 {
			fill = (present[n/2-1] + present[n/2]) / 2
		}
	}
	offset, factor = fitSpread(scale, n, func(r int) float64 {
		if v := value(r); !math.IsNaN(v) {
			return v
		}
		return fill
	})
	return fill, offset, factor, nil
}

func mean(v []float64) float64 {
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// LabelError is the error of FitPreprocessor and of the transforms for
// label columns that cannot be read as the task asks (a missing label,
// text to regress, a single class, a class not seen in training, …):
// a caller that chose the label columns for the user (the last column, by
// default) can say so beside it.
type LabelError struct {
	Columns []string // the label columns' names
	Err     error
}

func (e *LabelError) Error() string { return e.Err.Error() }

// Unwrap returns the error the label columns gave.
func (e *LabelError) Unwrap() error { return e.Err }

// fitLabels finds the task and the class names of the label columns.
func (p *Preprocessor) fitLabels(t *Table, labels []int, rows []int, task Task) error {
	for _, j := range labels {
		c := t.Columns[j]
		for _, i := range rows {
			if _, ok := c.Text(i); !ok {
				return fmt.Errorf("%s:%d: column %d (%s): the label is missing: drop the rows without one (--drop-unlabelled)", t.Name, t.Line(i), j+1, c.Name)
			}
		}
	}
	if len(labels) > 1 || task == Regress {
		if task == Classify {
			return fmt.Errorf("%s: %d label columns: several labels make a regression, not a classification", t.Name, len(labels))
		}
		for _, j := range labels {
			c := t.Columns[j]
			if !c.IsText() {
				continue
			}
			for _, i := range rows {
				if text, _ := c.Text(i); kindOf(text, nil, false) != numberCell {
					return fmt.Errorf("%s:%d: column %d (%s): label %q is not a number, which a regression needs (a text label makes a classification)",
						t.Name, t.Line(i), j+1, c.Name, text)
				}
			}
		}
		p.Task = Regress
		return nil
	}
	j := labels[0]
	c := t.Columns[j]
	if !c.IsText() {
		distinct := map[float64]bool{}
		for _, i := range rows {
			v := c.Numbers[i]
			if v != math.Trunc(v) {
				if task == Classify {
					return fmt.Errorf("%s:%d: column %d (%s): label %s is not an integer, which a class needs (or regress on it)", t.Name, t.Line(i), j+1, c.Name, numberName(v))
				}
				p.Task = Regress
				return nil
			}
			distinct[v] = true
		}
		if len(distinct) > MaxClasses && task == TaskAuto {
			p.Task = Regress
			return nil
		}
		values := slices.Sorted(func(yield func(float64) bool) {
			for v := range distinct {
				if !yield(v) {
					return
				}
			}
		})
		for _, v := range values {
			p.ClassNames = append(p.ClassNames, numberName(v))
		}
		if task == TaskAuto && len(values) > 2 {
			p.fitNotes = append(p.fitNotes, fmt.Sprintf("label column %s: %d integer values read as %d classes (for a regression of these numbers, ask for one: a linear output layer, or Task Regress)", c.Name, len(values), len(values)))
		}
	} else {
		seen := map[int32]bool{}
		for _, i := range rows {
			if !seen[c.Codes[i]] {
				seen[c.Codes[i]] = true
				p.ClassNames = append(p.ClassNames, c.Values[c.Codes[i]])
			}
		}
		slices.Sort(p.ClassNames)
	}
	p.Task = Classify
	if len(p.ClassNames) < 2 {
		return fmt.Errorf("%s: label column %s has one class, %q, in the training rows: nothing to tell apart", t.Name, c.Name, p.ClassNames[0])
	}
	if len(p.ClassNames) > MaxClasses {
		return fmt.Errorf("%s: label column %s has %d classes, more than %d", t.Name, c.Name, len(p.ClassNames), MaxClasses)
	}
	return nil
}

// weights reads column j of rows as weights: numbers of 0 or more.
func (t *Table) weights(j int, rows []int) ([]float64, error) {
	c := t.Columns[j]
	w := make([]float64, len(rows))
	for k, i := range rows {
		s, ok := c.Text(i)
		v, err := strconv.ParseFloat(s, 64)
		if !c.IsText() {
			v, err = c.Numbers[i], nil
		}
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: column %d (%s): the weight is missing: give every row a weight of 0 or more", t.Name, t.Line(i), j+1, c.Name)
		case err != nil || !(v >= 0) || math.IsInf(v, 0):
			return nil, fmt.Errorf("%s:%d: column %d (%s): weight %q, expected a finite number of 0 or more", t.Name, t.Line(i), j+1, c.Name, s)
		}
		w[k] = v
	}
	return w, nil
}

// FitNotes returns what the fit noticed that the user should know (labels
// read as classes); nil for a preprocessor read from a file.
func (p *Preprocessor) FitNotes() Notes { return p.fitNotes }

// Features returns the number of features a row becomes.
func (p *Preprocessor) Features() int { return p.features }

// FeatureNames returns the name of each feature: the column's name for a
// number, "column=category" for a category ("column=<missing>" for ""),
// "column:part" for a part of a date-time ("pickup:hour").
func (p *Preprocessor) FeatureNames() []string { return slices.Clone(p.names) }

// InputNames returns the names of the feature columns, in order: the
// fields TransformFields takes.
func (p *Preprocessor) InputNames() []string {
	names := make([]string, len(p.Inputs))
	for k, in := range p.Inputs {
		names[k] = in.Name
	}
	return names
}

// Validate checks a preprocessor (one read from JSON, say) and readies it
// for use: known kinds and options, unique column names, finite fills and
// offsets, nonzero finite scales, categories sorted and unique, a date-time's
// parts known, each once, in order, class names unique and at least two
// for a classification, none for a regression.
func (p *Preprocessor) Validate() error {
	if _, err := ParseImpute(string(p.Impute)); err != nil {
		return err
	}
	if _, err := ParseScaling(string(p.Scale)); err != nil {
		return err
	}
	if len(p.Inputs) == 0 || len(p.Labels) == 0 {
		return fmt.Errorf("%d inputs and %d labels: expected at least one of each", len(p.Inputs), len(p.Labels))
	}
	seen := map[string]bool{}
	for _, name := range append(p.InputNames(), p.Labels...) {
		if name == "" || seen[name] {
			return fmt.Errorf("column %q: inputs and labels need names, each once", name)
		}
		seen[name] = true
	}
	if seen[p.Weight] {
		return fmt.Errorf("weight column %q is also an input or a label", p.Weight)
	}
	p.features, p.names, p.at = 0, nil, make([]int, len(p.Inputs))
	p.byName = map[string]int{}
	p.categories, p.codes = make([]map[string]int32, len(p.Inputs)), make([]map[float64]int32, len(p.Inputs))
	for k, in := range p.Inputs {
		if err := in.check(); err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
		p.byName[in.Name], p.at[k] = k, p.features
		switch in.Kind {
		case NumericInput:
			p.names = append(p.names, in.Name)
			p.features++
			continue
		case DateTimeInput:
			for i := range in.Parts {
				p.names = append(p.names, in.Name+":"+in.Parts[i].Part)
			}
			p.features += len(in.Parts)
			continue
		}
		p.categories[k] = map[string]int32{}
		if in.Kind == CodeInput {
			p.codes[k] = map[float64]int32{}
		}
		for c, s := range in.Categories {
			p.categories[k][s] = int32(c)
			if v, err := strconv.ParseFloat(s, 64); err == nil && in.Kind == CodeInput {
				p.codes[k][v] = int32(c)
			}
			if s == "" {
				s = "<missing>"
			}
			p.names = append(p.names, in.Name+"="+s)
		}
		p.features += len(in.Categories)
	}
	switch p.Task {
	case Classify:
		p.classes = map[string]int{}
		for c, name := range p.ClassNames {
			if _, dup := p.classes[name]; dup {
				return fmt.Errorf("class %q is named twice", name)
			}
			p.classes[name] = c
		}
		if len(p.ClassNames) < 2 || len(p.ClassNames) > MaxClasses || len(p.Labels) != 1 {
			return fmt.Errorf("%d classes of %d label columns: a classification has 2 to %d classes of one label column", len(p.ClassNames), len(p.Labels), MaxClasses)
		}
	case Regress:
		if p.ClassNames != nil {
			return fmt.Errorf("a regression has no class names, found %d", len(p.ClassNames))
		}
	default:
		return fmt.Errorf("task %q, expected %q or %q", p.Task, Classify, Regress)
	}
	return nil
}

// check checks one input as Validate says, and readies a date-time's parts.
func (in *Input) check() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if in.Kind != DateTimeInput && in.Parts != nil {
		return fmt.Errorf("%d parts: only a date-time input has parts", len(in.Parts))
	}
	switch in.Kind {
	case DateTimeInput:
		if in.Fill != 0 || in.Offset != 0 || in.Scale != 1 || in.Categories != nil || len(in.Parts) == 0 {
			return fmt.Errorf("fill %g, offset %g, scale %g, %d categories and %d parts: a date-time input has 0, 0, 1, no categories and some parts (each its own fill, offset and scale)",
				in.Fill, in.Offset, in.Scale, len(in.Categories), len(in.Parts))
		}
		last := -1
		for i := range in.Parts {
			part := &in.Parts[i]
			index := slices.Index(dateParts[:], part.Part)
			switch {
			case index < 0:
				return fmt.Errorf("part %q, expected %s", part.Part, quoteAll(dateParts[:]))
			case index <= last:
				return fmt.Errorf("part %q after %q: expected the parts in the order %s, each once", part.Part, dateParts[last], quoteAll(dateParts[:]))
			case !finite(part.Fill) || !finite(part.Offset) || !finite(part.Scale) || part.Scale == 0:
				return fmt.Errorf("part %s: fill %g, offset %g and scale %g: expected finite ones and a scale other than 0", part.Part, part.Fill, part.Offset, part.Scale)
			}
			part.index, last = index, index
		}
	case NumericInput:
		if !finite(in.Fill) || !finite(in.Offset) || !finite(in.Scale) || in.Scale == 0 || in.Categories != nil {
			return fmt.Errorf("fill %g, offset %g, scale %g and %d categories: a numeric input has finite ones, a scale other than 0, and no categories",
				in.Fill, in.Offset, in.Scale, len(in.Categories))
		}
	case CategoricalInput, CodeInput:
		if in.Fill != 0 || in.Offset != 0 || in.Scale != 1 || len(in.Categories) == 0 {
			return fmt.Errorf("fill %g, offset %g, scale %g and %d categories: a categorical input has 0, 0, 1 and some categories", in.Fill, in.Offset, in.Scale, len(in.Categories))
		}
		for c, s := range in.Categories {
			if c > 0 && s <= in.Categories[c-1] {
				return fmt.Errorf("categories %q then %q: expected them sorted, each once", in.Categories[c-1], s)
			}
			if v, err := strconv.ParseFloat(s, 64); in.Kind == CodeInput && s != "" && (err != nil || numberName(v) != s) {
				return fmt.Errorf("category %q is not a number in its shortest form, as codes are", s)
			}
		}
	default:
		return fmt.Errorf("kind %q, expected %q, %q, %q or %q", in.Kind, NumericInput, CategoricalInput, CodeInput, DateTimeInput)
	}
	return nil
}

// UnmarshalJSON reads a preprocessor and validates it (see Validate).
func (p *Preprocessor) UnmarshalJSON(data []byte) error {
	type plain Preprocessor // without this method
	var q plain
	if err := json.Unmarshal(data, &q); err != nil {
		return err
	}
	*p = Preprocessor(q)
	return p.Validate()
}

// Transform turns rows of t (nil: all) into a Set as the preprocessor was
// fitted. Columns are matched by name, in any order; a feature column that
// t lacks is an error, and columns the preprocessor does not use are
// ignored (the notes name them). A table without the label columns (data
// to predict) gives a set without labels: Labels is nil. The weight column,
// where t has it, gives Set.Weights. Errors name the line and column.
func (p *Preprocessor) Transform(t *Table, rows []int) (*Set, Notes, error) {
	rows, err := t.rowSet(rows)
	if err != nil {
		return nil, nil, err
	}
	m, err := p.match(t)
	if err != nil {
		return nil, nil, err
	}
	s := &Set{N: len(rows), Features: p.features, X: make([]float64, len(rows)*p.features), Outputs: len(p.Labels)}
	notes, err := p.features64(t, m, rows, s.X)
	if err != nil {
		return nil, nil, err
	}
	if err := p.labelSet(t, m, rows, s); err != nil {
		return nil, nil, err
	}
	notes = append(m.notes, notes...)
	if p.Scale == NoScaling {
		if hint := p.scaleHint(s); hint != "" {
			notes = append(notes, hint)
		}
	}
	return s, notes, nil
}

// TransformParts turns the rows of t in each part into a set, as Transform
// turns them, with each set's notes. A row may be in one part only. It
// takes t's memory for the sets' features where every feature is a numeric
// column that t holds in its one array (see ReadTable), which it then
// rewrites in place: the file's numbers and the features they become are
// never held twice. The sets' features are then parts of one array, each
// capped so that appending to one set does not reach another. Afterwards t
// has no rows, whether its memory was taken or not.
func (p *Preprocessor) TransformParts(t *Table, parts ...[]int) ([]*Set, []Notes, error) {
	defer t.empty()
	sets, notes := make([]*Set, len(parts)), make([]Notes, len(parts))
	m, err := p.match(t)
	if err != nil {
		return nil, nil, err
	}
	for k := range parts {
		if parts[k], err = t.rowSet(parts[k]); err != nil {
			return nil, nil, err
		}
	}
	seen := newBits(t.Rows)
	for _, rows := range parts {
		for _, i := range rows {
			if seen.get(i) {
				return nil, nil, fmt.Errorf("%s: row %d (line %d) is in two parts", t.Name, i, t.Line(i))
			}
			seen.set(i)
		}
	}
	if !p.inPlace(t, m) {
		for k, rows := range parts {
			if sets[k], notes[k], err = p.Transform(t, rows); err != nil {
				return nil, nil, err
			}
		}
		return sets, notes, nil
	}
	for k, rows := range parts {
		sets[k] = &Set{N: len(rows), Features: p.features, Outputs: len(p.Labels)}
		if err := p.labelSet(t, m, rows, sets[k]); err != nil {
			return nil, nil, err
		}
	}
	for k, in := range p.Inputs {
		col := t.Columns[m.cols[k]].Numbers
		for i, v := range col {
			col[i] = in.scaled(v)
		}
	}
	offsets := make([]int, len(m.cols))
	for k, j := range m.cols {
		offsets[k] = j * t.stride
	}
	gather(t.cells, p.features, parts, offsets)
	at := 0
	for k, s := range sets {
		end := at + s.N*p.features
		s.X = t.cells[at:end:end]
		at = end
		notes[k] = slices.Clone(m.notes)
		if p.Scale == NoScaling {
			if hint := p.scaleHint(s); hint != "" {
				notes[k] = append(notes[k], hint)
			}
		}
	}
	return sets, notes, nil
}

// inPlace reports whether TransformParts can make t's array the features:
// every input numeric, from a column held in it.
func (p *Preprocessor) inPlace(t *Table, m matched) bool {
	for k, in := range p.Inputs {
		if in.Kind != NumericInput || !t.held(m.cols[k]) {
			return false
		}
	}
	return true
}

// gather rewrites a in place so that its first rows·features values are
// the rows of parts, one after another, row-major: feature k of a row i
// is a[offsets[k]+i] before. It follows each chain of values that move
// into one another's place, from a place whose value nothing needs, then
// turns the cycles left with one value held aside; a bit a value of a, and
// one a value moved, mark what it has done. No row may be in two parts.
func gather(a []float64, features int, parts [][]int, offsets []int) {
	var rows []int
	if len(parts) == 1 {
		rows = parts[0]
	} else {
		rows = slices.Concat(parts...)
	}
	n := len(rows) * features
	from := func(d int) int { return offsets[d%features] + rows[d/features] }
	source := newBits(len(a))
	for d := range n {
		source.set(from(d))
	}
	done := newBits(n)
	for d := range n {
		if source.get(d) || done.get(d) {
			continue
		}
		for cur := d; ; {
			src := from(cur)
			a[cur] = a[src]
			done.set(cur)
			if src >= n {
				break
			}
			cur = src
		}
	}
	for d := range n {
		if done.get(d) {
			continue
		}
		held := a[d]
		for cur := d; ; {
			done.set(cur)
			src := from(cur)
			if src == d {
				a[cur] = held
				break
			}
			a[cur] = a[src]
			cur = src
		}
	}
}

// bits is a set of small integers, a bit each.
type bits []uint64

func newBits(n int) bits      { return make(bits, (n+63)/64) }
func (b bits) get(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bits) set(i int)      { b[i/64] |= 1 << (i % 64) }

// matched is how the columns of a table meet a preprocessor's: the column
// of each input, of each label (none: a table to predict) and of the
// weights (-1: none), and the note naming the columns it ignores.
type matched struct {
	cols, labels []int
	weight       int
	notes        Notes
}

// match finds the preprocessor's columns in t, by name.
func (p *Preprocessor) match(t *Table) (matched, error) {
	m := matched{cols: make([]int, len(p.Inputs)), weight: -1}
	used := make([]bool, len(t.Columns))
	find := func(name string) int {
		j := slices.IndexFunc(t.Columns, func(c *Column) bool { return c.Name == name })
		if j >= 0 {
			used[j] = true
		}
		return j
	}
	for k, in := range p.Inputs {
		if m.cols[k] = find(in.Name); m.cols[k] < 0 {
			return m, fmt.Errorf("%s: no column %q, which the model's features need: the columns are %s", t.Name, in.Name, quoteAll(t.Names()))
		}
	}
	for _, name := range p.Labels {
		if j := find(name); j >= 0 {
			m.labels = append(m.labels, j)
		}
	}
	if len(m.labels) > 0 && len(m.labels) < len(p.Labels) {
		return m, fmt.Errorf("%s: has %d of the label columns %s: expected all of them, or none to predict", t.Name, len(m.labels), quoteAll(p.Labels))
	}
	if p.Weight != "" {
		m.weight = find(p.Weight)
	}
	for _, name := range p.dropped {
		find(name) // dropped as asked: not noted
	}
	var ignored []string
	for j, c := range t.Columns {
		if !used[j] {
			ignored = append(ignored, c.Name)
		}
	}
	if ignored != nil {
		m.notes = append(m.notes, "ignored columns: "+strings.Join(ignored, ", "))
	}
	return m, nil
}

// features64 writes the features of rows of t into x, row-major, and
// returns the notes on categories not seen in training.
func (p *Preprocessor) features64(t *Table, m matched, rows []int, x []float64) (Notes, error) {
	var notes Notes
	for k, in := range p.Inputs {
		c := t.Columns[m.cols[k]]
		if in.Kind == DateTimeInput {
			if err := p.dateFeatures(t, m.cols[k], k, rows, x); err != nil {
				return nil, err
			}
			continue
		}
		unseen := 0
		for r, i := range rows {
			dst := x[r*p.features+p.at[k]:]
			if in.Kind == NumericInput {
				v := math.NaN()
				if c.IsText() {
					text, ok := c.Text(i)
					var err error
					if v, err = p.number(text, ok); err != nil {
						return nil, fmt.Errorf("%s:%d: column %d (%s): %w", t.Name, t.Line(i), m.cols[k]+1, c.Name, err)
					}
				} else if !math.IsNaN(c.Numbers[i]) {
					v = c.Numbers[i]
				}
				dst[0] = in.scaled(v)
				continue
			}
			cat := int32(-1)
			if c.IsText() {
				text, ok := c.Text(i)
				cat = p.category(k, text, !ok)
			} else if v := c.Numbers[i]; math.IsNaN(v) {
				cat = p.category(k, "", true)
			} else if in.Kind == CodeInput {
				cat = lookup(p.codes[k], v)
			} else {
				cat = p.category(k, numberName(v), false)
			}
			if cat < 0 {
				unseen++
				continue
			}
			dst[cat] = 1
		}
		if unseen > 0 {
			notes = append(notes, fmt.Sprintf("column %s: %d rows with categories not seen in training (all zeros)", in.Name, unseen))
		}
	}
	return notes, nil
}

// labelSet gives s, made of rows of t, its labels, classes and weights.
func (p *Preprocessor) labelSet(t *Table, m matched, rows []int, s *Set) error {
	if len(m.labels) > 0 {
		if err := p.transformLabels(t, m.labels, rows, s); err != nil {
			return &LabelError{Columns: p.Labels, Err: err}
		}
	}
	if p.Task == Classify {
		s.Classes = len(p.ClassNames)
		for c, name := range p.ClassNames {
			if name != strconv.Itoa(c) {
				s.ClassNames = p.ClassNames
				break
			}
		}
	}
	if m.weight >= 0 {
		var err error
		if s.Weights, err = t.weights(m.weight, rows); err != nil {
			return err
		}
	}
	return nil
}

func lookup[K comparable](m map[K]int32, key K) int32 {
	if c, ok := m[key]; ok {
		return c
	}
	return -1
}

// number parses the text of a cell for a numeric input: NaN when missing.
func (p *Preprocessor) number(text string, present bool) (float64, error) {
	if !present {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("expected a finite number, found %q (the column held numbers in training)", text)
	}
	return v, nil
}

// scaled returns the feature of a numeric input for v, NaN when missing.
func (in *Input) scaled(v float64) float64 { return fillScale(v, in.Fill, in.Offset, in.Scale) }

// fillScale returns the numeric feature (v - offset)·scale, v being fill
// where it is NaN (missing).
func fillScale(v, fill, offset, scale float64) float64 {
	if math.IsNaN(v) {
		v = fill
	}
	return (v - offset) * scale
}

// category returns the index of a categorical input k's category for
// text, -1 when unseen in training.
func (p *Preprocessor) category(k int, text string, missing bool) int32 {
	if missing {
		return lookup(p.categories[k], "")
	}
	if p.Inputs[k].Kind == CodeInput {
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return -1
		}
		return lookup(p.codes[k], v)
	}
	return lookup(p.categories[k], text)
}

// transformLabels fills the labels of s from the label columns of t.
func (p *Preprocessor) transformLabels(t *Table, labels []int, rows []int, s *Set) error {
	k := len(labels)
	s.Labels = make([]float64, len(rows)*k)
	for o, j := range labels {
		c := t.Columns[j]
		for r, i := range rows {
			text, ok := c.Text(i)
			if !ok {
				return fmt.Errorf("%s:%d: column %d (%s): the label is missing: drop the rows without one (--drop-unlabelled)", t.Name, t.Line(i), j+1, c.Name)
			}
			if p.Task == Regress {
				v := c.Numbers
				if c.IsText() {
					x, err := p.number(text, true)
					if err != nil {
						return fmt.Errorf("%s:%d: column %d (%s): label %q is not a number, which a regression needs", t.Name, t.Line(i), j+1, c.Name, text)
					}
					s.Labels[r*k+o] = x
					continue
				}
				s.Labels[r*k+o] = v[i]
				continue
			}
			class, known := p.classes[text]
			if !known {
				return fmt.Errorf("%s:%d: column %d (%s): class %q was not in the training rows, whose classes are %s", t.Name, t.Line(i), j+1, c.Name, text, quoteAll(p.ClassNames))
			}
			s.Labels[r] = float64(class)
		}
	}
	return nil
}

// TransformRow writes the features of one row, given as raw cells by
// column name, to dst (Features values); other keys are ignored. Cells are
// read as ReadTable reads them: trimmed; empty, "?", NA and NaN are
// missing. A category not seen in training gives zeros. It allocates
// nothing unless it fails.
func (p *Preprocessor) TransformRow(row map[string]string, dst []float64) error {
	if len(dst) != p.features {
		return fmt.Errorf("dst holds %d values, expected %d features", len(dst), p.features)
	}
	for k := range p.Inputs {
		cell, ok := row[p.Inputs[k].Name]
		if !ok {
			return fmt.Errorf("no cell for column %q, which the model's features need", p.Inputs[k].Name)
		}
		if err := p.encode(k, cell, dst); err != nil {
			return err
		}
	}
	return nil
}

// TransformFields is TransformRow with the cells given in the order of
// InputNames.
func (p *Preprocessor) TransformFields(fields []string, dst []float64) error {
	if len(dst) != p.features || len(fields) != len(p.Inputs) {
		return fmt.Errorf("%d fields and %d values in dst, expected %d fields (the columns %s) and %d features",
			len(fields), len(dst), len(p.Inputs), quoteAll(p.InputNames()), p.features)
	}
	for k := range p.Inputs {
		if err := p.encode(k, fields[k], dst); err != nil {
			return err
		}
	}
	return nil
}

// encode writes input k's features for a raw cell into the row dst.
func (p *Preprocessor) encode(k int, cell string, dst []float64) error {
	in := &p.Inputs[k]
	cell = strings.TrimSpace(cell)
	missing := cell == "" || cell == "?" || strings.EqualFold(cell, "NA") || strings.EqualFold(cell, "NaN")
	if in.Kind == NumericInput {
		v, err := p.number(cell, !missing)
		if err != nil {
			return fmt.Errorf("column %s: %w", in.Name, err)
		}
		dst[p.at[k]] = in.scaled(v)
		return nil
	}
	if in.Kind == DateTimeInput {
		d, ok := parseDateTime(cell)
		if !ok && !missing {
			return fmt.Errorf("column %s: %w", in.Name, dateError(cell))
		}
		in.writeParts(d, ok, dst[p.at[k]:])
		return nil
	}
	out := dst[p.at[k] : p.at[k]+len(in.Categories)]
	clear(out)
	if c := p.category(k, cell, missing); c >= 0 {
		out[c] = 1
	}
	return nil
}

// scaleHint is ScaleHint over the numeric features of s.
func (p *Preprocessor) scaleHint(s *Set) string {
	var spans []float64
	var names []string
	for k, in := range p.Inputs {
		switch in.Kind {
		case NumericInput:
			spans = append(spans, span(s, p.at[k]))
			names = append(names, in.Name)
		case DateTimeInput:
			for i, part := range in.Parts {
				spans = append(spans, span(s, p.at[k]+i))
				names = append(names, in.Name+":"+part.Part)
			}
		}
	}
	return spanHint(spans, names)
}

// ScaleHint returns a note when a feature of s spans 100 times the median
// span of the others or more, which slows or stalls training unless the
// features are scaled, and "" otherwise. names name the features (nil:
// by 1-based number).
func ScaleHint(s *Set, names []string) string {
	spans := make([]float64, s.Features)
	for j := range spans {
		spans[j] = span(s, j)
	}
	if names == nil {
		for j := range spans {
			names = append(names, strconv.Itoa(j+1))
		}
	}
	return spanHint(spans, names)
}

// span returns the range of feature j of s.
func span(s *Set, j int) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < s.N; i++ {
		v := s.value(i, j)
		lo, hi = min(lo, v), max(hi, v)
	}
	return max(hi-lo, 0)
}

// spanHint names the feature of widest span if it is 100 times the median
// span of the others or more.
func spanHint(spans []float64, names []string) string {
	if len(spans) < 2 {
		return ""
	}
	wide := 0
	for j, s := range spans {
		if s > spans[wide] {
			wide = j
		}
	}
	others := slices.Delete(slices.Clone(spans), wide, wide+1)
	slices.Sort(others)
	n := len(others)
	median := (others[(n-1)/2] + others[n/2]) / 2
	if !(median > 0) || spans[wide] < 100*median {
		return ""
	}
	return fmt.Sprintf("feature %s spans %.4g, %.0f times the median span of the others (%.4g): use --scale standard", names[wide], spans[wide], spans[wide]/median, median)
}
