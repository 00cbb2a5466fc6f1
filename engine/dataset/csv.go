package dataset

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ReadNumericCSV reads rows of comma-separated numbers from r, named name in
// errors. A first line that is not all numbers is taken as a header and
// returned; empty lines are skipped. Every row must have as many columns as
// the first. Errors name the line and column.
func ReadNumericCSV(r io.Reader, name string) (header []string, rows [][]float64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	width := 0
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if width == 0 {
			width = len(fields)
			if header == nil && rows == nil && !allNumbers(fields) {
				header = trimAll(fields)
				continue
			}
		}
		if len(fields) != width {
			return nil, nil, fmt.Errorf("%s:%d: found %d columns, expected %d like the first row", name, line, len(fields), width)
		}
		row := make([]float64, width)
		for c, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: column %d: expected a number, found %q", name, line, c+1, strings.TrimSpace(f))
			}
			row[c] = v
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: no data rows", name)
	}
	return header, rows, nil
}

func allNumbers(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return true
}

func trimAll(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = strings.TrimSpace(f)
	}
	return out
}

// LoadCSV reads a labelled data set from a CSV file (see ReadCSV).
func LoadCSV(path string, labelCol int) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCSV(f, path, labelCol)
}

// ReadCSV reads a labelled data set from r, named name in errors: numeric
// columns, an optional header, and the label in column labelCol (0-based; -1
// means the last column).
func ReadCSV(r io.Reader, name string, labelCol int) (*Set, error) {
	_, rows, err := ReadNumericCSV(r, name)
	if err != nil {
		return nil, err
	}
	width := len(rows[0])
	if width < 2 {
		return nil, fmt.Errorf("%s: found %d column, expected features and a label", name, width)
	}
	if labelCol < 0 {
		labelCol = width - 1
	}
	if labelCol >= width {
		return nil, fmt.Errorf("%s: label column %d does not exist: the file has %d columns", name, labelCol+1, width)
	}
	x := make([]float64, 0, len(rows)*(width-1))
	labels := make([]float64, len(rows))
	for i, row := range rows {
		labels[i] = row[labelCol]
		x = append(x, row[:labelCol]...)
		x = append(x, row[labelCol+1:]...)
	}
	return New(x, labels, width-1), nil
}
