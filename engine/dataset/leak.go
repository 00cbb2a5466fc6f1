package dataset

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// leakRowsPerClass is how many training rows a class, on average, a
// classification needs before a feature that determines its class one to
// one is noted: with fewer, a column can match the label by chance (a
// random 0/1 column matches 20 rows of two balanced classes once in half a
// million).
const leakRowsPerClass = 10

// leakPairs is how many pairs of a leaking column's mapping a note shows.
const leakPairs = 4

// leakNotes returns a note for each feature column (cols, one per input)
// whose value determines the class one to one over the training rows: no
// cell missing, each value always with the same class and each class with
// one value. Such a column is almost surely a copy or a recoding of the
// label (titanic's alive beside survived), and an accuracy measured with
// it will not hold where the label is unknown. It reads each column once,
// stopping at its first missing cell, its first value seen with a second
// class, or its first class seen with a second value: a column of many
// values stops within a few rows. It notes nothing for fewer than
// leakRowsPerClass rows a class.
func (p *Preprocessor) leakNotes(t *Table, label int, cols, rows []int) Notes {
	classes := len(p.ClassNames)
	if len(rows) < leakRowsPerClass*classes {
		return nil
	}
	classAt := p.classOf(t.Columns[label])
	var notes Notes
	for k, j := range cols {
		in, c := &p.Inputs[k], t.Columns[j]
		if in.Kind != NumericInput && (len(in.Categories) != classes || in.Categories[0] == "") {
			continue // more or fewer values than classes, or a missing cell
		}
		var names []string // each class's value
		if c.IsText() {
			names = oneToOne(rows, classes, classAt, func(i int) (int32, bool) { return c.Codes[i], c.Codes[i] >= 0 },
				func(code int32) string { return c.Values[code] })
		} else {
			names = oneToOne(rows, classes, classAt, func(i int) (float64, bool) { return c.Numbers[i], !math.IsNaN(c.Numbers[i]) },
				numberName)
		}
		if names == nil {
			continue
		}
		pairs := make([]string, 0, leakPairs)
		for class, name := range names[:min(classes, leakPairs)] {
			pairs = append(pairs, name+" → "+p.ClassNames[class])
		}
		mapping := strings.Join(pairs, ", ")
		if classes > leakPairs {
			mapping += fmt.Sprintf(" and %d more", classes-leakPairs)
		}
		notes = append(notes, fmt.Sprintf("column %s determines the label %s one to one in the training rows (%s): it is almost surely a copy or a recoding "+
			"of the label, and the accuracy measured with it will not hold where the label is unknown: drop it (%s)", c.Name, p.Labels[0], mapping, dropFlag(t, j)))
	}
	return notes
}

// classOf returns the class of each row of the label column c, which the
// fit read as p's classes: through a table of codes for text, by binary
// search of the sorted class values for numbers.
func (p *Preprocessor) classOf(c *Column) func(i int) int32 {
	if c.IsText() {
		of := make([]int32, len(c.Values))
		for code, name := range c.Values {
			of[code] = int32(p.classes[name]) // a value of rows outside the fit's is never asked
		}
		return func(i int) int32 { return of[c.Codes[i]] }
	}
	values := make([]float64, len(p.ClassNames))
	for k, name := range p.ClassNames {
		values[k], _ = strconv.ParseFloat(name, 64) // numberName's form of a number
	}
	return func(i int) int32 {
		k, _ := slices.BinarySearch(values, c.Numbers[i])
		return int32(k)
	}
}

// oneToOne returns the value of each class when value determines class one
// to one over rows, and nil at the first row that shows it does not: a
// missing value, a value seen with a second class, or a class seen with a
// second value. Every class is among the rows' (the fit took the classes
// from them), so classes values map onto classes classes.
func oneToOne[V comparable](rows []int, classes int, class func(i int) int32, value func(i int) (V, bool), name func(V) string) []string {
	of := make(map[V]int32, classes)
	held := make([]bool, classes)
	for _, i := range rows {
		v, ok := value(i)
		if !ok {
			return nil
		}
		k := class(i)
		if seen, known := of[v]; known {
			if seen != k {
				return nil
			}
			continue
		}
		if held[k] {
			return nil
		}
		of[v], held[k] = k, true
	}
	names := make([]string, classes)
	for v, k := range of {
		names[k] = name(v)
	}
	return names
}
