package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// maxLine bounds the length of a CSV line.
const maxLine = 64 << 20

// ReadNumericCSV reads rows of comma-separated numbers from r, named name in
// errors. A UTF-8 byte order mark before the first line is dropped. The first
// line is a header, and returned, when none of its fields is a number; a first
// line that mixes numbers and other text is an error. Empty lines are skipped.
// Every row must have as many columns as the first, and every value must be a
// finite number (NaN and Inf are refused). Errors name the line and column.
func ReadNumericCSV(r io.Reader, name string) (header []string, rows [][]float64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	width, line := 0, 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if width == 0 {
			width = len(fields)
			if isHeader, err := headerLine(fields); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %w", name, line, err)
			} else if isHeader {
				header = trimAll(fields)
				continue
			}
		}
		if len(fields) != width {
			return nil, nil, fmt.Errorf("%s:%d: found %d columns, expected %d like the first row", name, line, len(fields), width)
		}
		row := make([]float64, width)
		for c, f := range fields {
			if row[c], err = parseValue(f); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: column %d: %w", name, line, c+1, err)
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, nil, fmt.Errorf("%s:%d: a line longer than %d MiB: not a CSV of numbers", name, line+1, maxLine>>20)
	} else if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: no data rows", name)
	}
	return header, rows, nil
}

// parseValue parses one field as a finite number.
func parseValue(field string) (float64, error) {
	f := strings.TrimSpace(field)
	v, err := strconv.ParseFloat(f, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("expected a number, found %q", f)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("found %s: every value must be a finite number", f)
	}
	return v, nil
}

// headerLine reports whether the fields of a first line are a header: none
// of them a number. A line of some numbers and some other text is neither a
// header nor a row: its first field that is not a number is the error.
func headerLine(fields []string) (bool, error) {
	numbers, text := 0, -1
	for c, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil {
			numbers++
		} else if text < 0 {
			text = c
		}
	}
	switch {
	case numbers == 0:
		return true, nil
	case text < 0:
		return false, nil
	}
	return false, fmt.Errorf("column %d: expected a number, found %q (a first line is a header only when none of its fields is a number)", text+1, strings.TrimSpace(fields[text]))
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
