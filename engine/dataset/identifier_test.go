package dataset_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perceptron-go/perceptron/engine/dataset"
)

// passengers writes n rows like Kaggle's titanic: a rising id, a name per
// row (named(i) spells it), a ticket shared by pairs of rows, a fare
// distinct per row but not rising, a year rising with repeats, and a
// label.
func passengers(n int, named func(i int) string) string {
	var b strings.Builder
	b.WriteString("id,name,ticket,fare,year,survived\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%s,T%d,%d,%d,%d\n", 101+i, named(i), i/2, (i*37)%101, 1900+i/4, (i*7)%3%2)
	}
	return b.String()
}

// TestIdentifierNotes checks the notes on columns that look like
// identifiers: a rising whole number (the id) and a categorical column of
// nearly all distinct values (the name), not a column whose values pairs
// of rows share (the ticket), distinct numbers that do not rise (the
// fare) nor rising ones that repeat (the year); on training rows given in
// any order; and none on fewer than 20 rows or once dropped.
func TestIdentifierNotes(t *testing.T) {
	unique := func(i int) string { return fmt.Sprintf("Person %d", i) }
	opt := dataset.PrepOptions{Labels: []string{"survived"}}
	assert.Equal(t, dataset.Notes{
		"column id: distinct whole numbers rising with the lines of the file (101 to 140 in the training rows): a row number or an identifier, " +
			"which tells nothing of a new row: if it numbers the rows, drop it (--drop id)",
		"column name: 40 of its 40 training rows with a value hold a value no other row holds: an identifier or free text, no category: " +
			"its one-hot features can only learn the training rows by heart, and a new row's value is new to them: drop it (--drop name)",
	}, fitNotes(t, passengers(40, unique), opt))

	tab, err := readTable(t, passengers(40, unique), dataset.ReadOptions{})
	require.NoError(t, err)
	rows, _, err := dataset.SplitRows(40, 0.25, 3)
	require.NoError(t, err)
	p, err := dataset.FitPreprocessor(tab, rows, opt)
	require.NoError(t, err)
	require.Len(t, p.FitNotes(), 2, "training rows in shuffled order: %q", p.FitNotes())
	assert.Contains(t, p.FitNotes()[0], "column id: distinct whole numbers rising with the lines of the file")
	assert.Contains(t, p.FitNotes()[1], "column name: 30 of its 30 training rows")

	assert.Empty(t, fitNotes(t, passengers(19, unique), opt), "19 rows")
	assert.Empty(t, fitNotes(t, passengers(40, unique), dataset.PrepOptions{Labels: []string{"survived"}, Drop: []string{"id", "name"}}))
	nearly := func(share int) func(int) string { // the first share of 40 rows distinct, the rest one name
		return func(i int) string {
			if i < share {
				return unique(i)
			}
			return "Smith"
		}
	}
	notes := fitNotes(t, passengers(40, nearly(36)), opt)
	require.Len(t, notes, 2, "36 of 40 rows with a value of their own: 90%%")
	assert.Contains(t, notes[1], "column name: 36 of its 40 training rows")
	assert.Len(t, fitNotes(t, passengers(40, nearly(35)), opt), 1, "35 of 40: 87.5%%, the id alone")
	missing := strings.Replace(passengers(40, unique), "\n110,", "\n,", 1)
	assert.Len(t, fitNotes(t, missing, opt), 1, "an id with a missing cell: the name alone")
}
