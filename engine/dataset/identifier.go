package dataset

import (
	"fmt"
	"math"
)

// identifierRows is the fewest training rows (with a value) on which a
// column is noted as an identifier: on fewer, distinct values are common.
const identifierRows = 20

// identifierShare is the share of a categorical column's training rows
// (with a value) that must hold a value no other row holds for it to be
// noted: nearly all, as names and ids do. Columns that are merely mostly
// distinct can still teach through the values they share (titanic's
// tickets, shared by families, at 66%; mpg's car names at 68%): on those
// files dropping them trained no better.
const identifierShare = 0.9

// identifierNotes returns a note for each feature column (cols, one per
// input) that looks like an identifier, which no new row can learn from:
//   - a categorical one where nearly all (identifierShare) of the training
//     rows with a value hold a value no other training row holds (a name,
//     an id, free text): its one-hot features can only learn the training
//     rows by heart, and a new row's value is new to them;
//   - a numeric one whose values are distinct whole numbers rising with the
//     lines of the file over the training rows (a row number, an order
//     id).
//
// Each column is read once; a numeric one stops at its first value that is
// not a whole number or does not rise.
func (p *Preprocessor) identifierNotes(t *Table, cols, rows []int) Notes {
	var notes Notes
	var training bits // the training rows, for reading them in the file's order
	for k, j := range cols {
		c := t.Columns[j]
		switch p.Inputs[k].Kind {
		case CategoricalInput, CodeInput:
			once, present := seenOnce(c, rows)
			if present >= identifierRows && float64(once) >= identifierShare*float64(present) {
				notes = append(notes, fmt.Sprintf("column %s: %d of its %d training rows with a value hold a value no other row holds: an identifier or free text, "+
					"no category: its one-hot features can only learn the training rows by heart, and a new row's value is new to them: drop it (%s)",
					c.Name, once, present, dropFlag(t, j)))
			}
		case NumericInput:
			if training == nil {
				training = newBits(t.Rows)
				for _, i := range rows {
					training.set(i)
				}
			}
			if lo, hi, ok := rising(c.Numbers, training); ok && len(rows) >= identifierRows {
				notes = append(notes, fmt.Sprintf("column %s: distinct whole numbers rising with the lines of the file (%s to %s in the training rows): "+
					"a row number or an identifier, which tells nothing of a new row: if it numbers the rows, drop it (%s)", c.Name, numberName(lo), numberName(hi), dropFlag(t, j)))
			}
		}
	}
	return notes
}

// seenOnce counts the rows of c with a value (present) and those whose
// value no other of the rows holds (once).
func seenOnce(c *Column, rows []int) (once, present int) {
	if c.IsText() {
		byCode := make([]int, len(c.Values))
		for _, i := range rows {
			if code := c.Codes[i]; code >= 0 {
				byCode[code]++
				present++
			}
		}
		for _, n := range byCode {
			if n == 1 {
				once++
			}
		}
		return once, present
	}
	counts := map[float64]int{} // codes forced categorical: numbers
	for _, i := range rows {
		if v := c.Numbers[i]; !math.IsNaN(v) {
			counts[v]++
			present++
		}
	}
	for _, n := range counts {
		if n == 1 {
			once++
		}
	}
	return once, present
}

// rising reports whether the values of the rows in the set are whole
// numbers, none missing, each above the one before in the file's order,
// and returns the first and the last.
func rising(values []float64, rows bits) (lo, hi float64, ok bool) {
	first := true
	for i, v := range values {
		if !rows.get(i) {
			continue
		}
		if v != math.Trunc(v) || (!first && !(v > hi)) { // NaN, a fraction, a value that does not rise
			return 0, 0, false
		}
		if first {
			lo, first = v, false
		}
		hi = v
	}
	return lo, hi, !first
}
