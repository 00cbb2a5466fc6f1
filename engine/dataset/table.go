package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ReadOptions says how ReadTable reads a file.
type ReadOptions struct {
	// Sep is the field separator; 0 detects it among , ; tab and | from the
	// first lines.
	Sep rune
	// NAValues are more markers of a missing cell, besides the empty cell,
	// "?" and NA and NaN in any case.
	NAValues []string
	// Decimal is the decimal mark of the numbers: '.' (0 means it) or ','
	// (1234,56, as spreadsheets in much of Europe write it). Thousands
	// separators are not read: 1.234,56 is text either way, and with ','
	// so is any cell with a point (1.234, which may mean 1234).
	Decimal rune
	// Encoding is the file's character encoding, by one of WHATWG's labels
	// (windows-1252, latin1, iso-8859-15, shift_jis, utf-16le, …); "" is
	// UTF-8, or UTF-16 where the file starts with its byte order mark.
	Encoding string
}

// Table is a CSV file read column by column: a column is numeric while
// every cell in it is a finite number or missing, and text otherwise.
type Table struct {
	// Name names the file in errors.
	Name string
	// Columns are the file's columns, in its order.
	Columns []*Column
	// Rows is the number of data rows (the header, if any, is not one).
	Rows int
	// Sep is the field separator, as given or detected.
	Sep rune
	// Header reports whether the first line named the columns; without one
	// they are named "1", "2", … in order.
	Header bool
	// Notes are what the reading noticed that the user should know.
	Notes Notes

	lines lineIndex
	// cells holds the numeric columns in one array, column-major, each
	// column's rows from cells[j*stride]: the numbers of a file read once,
	// which TransformParts turns into a set's features in place. A column
	// that outgrows stride rows, or turns to text, leaves it.
	cells  []float64
	stride int
}

// Column is one column of a Table: Numbers for a numeric column, Codes into
// Values for a text column.
type Column struct {
	// Name is the column's name from the header, or its 1-based number.
	Name string
	// Numbers holds a numeric column's cells, NaN where missing; nil for a
	// text column.
	Numbers []float64
	// Codes holds a text column's cells as indices into Values, -1 where
	// missing; nil for a numeric column.
	Codes []int32
	// Values are a text column's distinct cells, in first-seen order.
	Values []string

	index    map[string]int32   // Values' codes, while reading
	spelling map[float64]string // a numeric column's spelling of each value, while one and few
	respelt  bool               // the column had too many values (or spellings) for spelling
}

// IsText reports whether the column holds text.
func (c *Column) IsText() bool { return c.Codes != nil }

// Text returns cell i as text (a number in its shortest form), and false
// when it is missing.
func (c *Column) Text(i int) (string, bool) {
	if c.IsText() {
		if c.Codes[i] < 0 {
			return "", false
		}
		return c.Values[c.Codes[i]], true
	}
	if math.IsNaN(c.Numbers[i]) {
		return "", false
	}
	return numberName(c.Numbers[i]), true
}

// numberName writes v in its shortest form, as a category or class name.
func numberName(v float64) string {
	if math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// maxSpellings bounds the distinct values of a numeric column whose
// spelling ReadTable keeps, to give them back exactly if the column turns
// out to hold text.
const maxSpellings = 1024

// lineIndex maps rows to their line in the file, compactly: only the rows
// where the line is not the previous row's line + 1 are kept.
type lineIndex struct {
	rows, lines []int
}

func (x *lineIndex) add(row, line int) {
	if n := len(x.rows); n == 0 || line != x.lines[n-1]+row-x.rows[n-1] {
		x.rows, x.lines = append(x.rows, row), append(x.lines, line)
	}
}

// Line returns the line of the file that holds data row i (0-based).
func (t *Table) Line(i int) int {
	k, found := slices.BinarySearch(t.lines.rows, i)
	if !found {
		k--
	}
	return t.lines.lines[k] + i - t.lines.rows[k]
}

// nextLine returns the line after the last row read (or the header).
func (t *Table) nextLine() int {
	switch {
	case t.Rows > 0:
		return t.Line(t.Rows-1) + 1
	case t.Header:
		return 2
	}
	return 1
}

// Names returns the names of the columns, in order.
func (t *Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Column finds a column by name or else by 1-based number, and returns its
// index in Columns.
func (t *Table) Column(ref string) (int, error) {
	for i, c := range t.Columns {
		if c.Name == ref {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 1 && n <= len(t.Columns) {
		return n - 1, nil
	}
	return 0, fmt.Errorf("%s: no column %q: the columns are %s (or 1 to %d by number)", t.Name, ref, quoteAll(t.Names()), len(t.Columns))
}

// LabelledRows returns the rows of t whose label columns (by name or
// 1-based number; none: the last column) all have a value, and those that
// lack one, each in the file's order.
func (t *Table) LabelledRows(labels []string) (labelled, unlabelled []int, err error) {
	if len(labels) == 0 {
		labels = []string{strconv.Itoa(len(t.Columns))}
	}
	cols := make([]*Column, len(labels))
	for k, ref := range labels {
		j, err := t.Column(ref)
		if err != nil {
			return nil, nil, fmt.Errorf("label column: %w", err)
		}
		cols[k] = t.Columns[j]
	}
	labelled = make([]int, 0, t.Rows)
	for i := range t.Rows {
		present := true
		for _, c := range cols {
			if c.IsText() && c.Codes[i] < 0 || !c.IsText() && math.IsNaN(c.Numbers[i]) {
				present = false
			}
		}
		if present {
			labelled = append(labelled, i)
		} else {
			unlabelled = append(unlabelled, i)
		}
	}
	return labelled, unlabelled, nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// LoadTable reads the CSV file at path (see ReadTable).
func LoadTable(path string, opt ReadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(f, path, opt)
}

// sniffBytes is how much of a file ReadTable looks at to detect the
// separator and the header.
const sniffBytes = 64 << 10

// MaxLine bounds the bytes of a CSV line, and MaxColumns its fields: a file
// past either is refused before its line is held, whatever it holds.
const (
	MaxLine    = 64 << 20
	MaxColumns = 1 << 20
)

// errLongLine is lineLimit's error.
var errLongLine = fmt.Errorf("a line longer than %d MiB: not a CSV file", MaxLine>>20)

// lineLimit reads r, failing once more than MaxLine bytes pass without a
// newline.
type lineLimit struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
		l.run = n - 1 - i
	} else {
		l.run += n
	}
	if l.run > MaxLine {
		return n, errLongLine
	}
	return n, err
}

// ReadTable reads a CSV file from r, named name in errors, into columns.
//
// Fields are quoted as RFC 4180 says; the separator is opt.Sep, or else the
// one of , ; tab | that splits the first lines (up to 64 KiB) into the most
// fields, the same number on every line, more than one (ties in that
// order); a comma when none does. A UTF-8 byte order mark is dropped, empty
// lines are skipped, and cells are trimmed of surrounding spaces. A cell is
// missing when it is empty, "?", NA or NaN (in any case) or one of
// opt.NAValues.
//
// The first line is a header when none of its fields is a number, or when
// one of its text fields heads a column whose cells on the next lines of
// those first 64 KiB are numbers or missing (the first line of
// "age,2024\n31,5" is a header, of "1,red\n2,blue" it is not). Header fields
// that are empty are named by their column's number; two columns of one name
// are an error.
//
// A column stays numeric while every cell in it is a number or missing; a
// number that is infinite ("inf", "Infinity") in a numeric column is an
// error. A text cell turns its column into text: the numbers above it become
// text as they were written (in their shortest form when the column had too
// many distinct values to keep their spelling, which Notes says).
//
// Every row must have as many fields as the first line. Errors name the
// file, line and column.
//
// A file that can seek (a file on disk, not a pipe) is read twice: first
// to count its lines, so that its numbers go straight into one array of as
// many rows, which never grows; then to parse it. Other readers' columns
// grow as they are read (their small inputs, up to 64 KiB, are counted
// too).
func ReadTable(r io.Reader, name string, opt ReadOptions) (*Table, error) {
	r, err := decoded(r, opt.Encoding)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines, size, err := countLines(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReaderSize(&lineLimit{r: r}, sniffBytes)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
		br.Discard(3)
	}
	sample, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	complete := err == io.EOF
	if complete && lines < 0 {
		lines, size = bytes.Count(sample, []byte{'\n'})+1, int64(len(sample))
	}
	t := &Table{Name: name, Sep: opt.Sep}
	na := missingMarkers(opt.NAValues)
	if t.Sep == 0 {
		t.Sep = detectSep(sample, complete)
	} else if t.Sep == '"' || t.Sep == '\r' || t.Sep == '\n' || t.Sep == utf8.RuneError {
		return nil, fmt.Errorf("%s: separator %q cannot separate fields", name, t.Sep)
	}
	comma := opt.Decimal == ','
	switch {
	case opt.Decimal != 0 && opt.Decimal != '.' && !comma:
		return nil, fmt.Errorf("%s: decimal mark %q: expected . or ,", name, opt.Decimal)
	case comma && t.Sep == ',':
		return nil, fmt.Errorf("%s: the decimal mark and the separator are both \",\": a decimal comma needs another separator (;, tab or |)", name)
	}
	first := sampleRecords(sample, complete, t.Sep)
	cr := csv.NewReader(br)
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = t.Sep, -1, true
	width := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%s:%d: byte %d: %w", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s:%d: %w", name, t.nextLine(), err)
		}
		line, _ := cr.FieldPos(0)
		if width == 0 {
			width = len(rec)
			if width > MaxColumns {
				return nil, fmt.Errorf("%s:%d: %d fields, more than the %d columns a table may have", name, line, width, MaxColumns)
			}
			if isHeader(rec, first, na, comma) {
				if err := t.nameColumns(rec); err != nil {
					return nil, fmt.Errorf("%s:%d: %w", name, line, err)
				}
				t.Header = true
				continue
			}
			t.nameColumns(make([]string, width))
		}
		if t.cells == nil && lines > 0 {
			t.holdNumbers(lines, size)
		}
		if len(rec) != width {
			like := "the first row"
			if t.Header {
				like = "the header"
			}
			return nil, fmt.Errorf("%s:%d: found %d fields, expected %d like %s (separator %q)", name, line, len(rec), width, like, t.Sep)
		}
		for j, f := range rec {
			if err := t.Columns[j].add(strings.TrimSpace(f), t.Rows, na, comma); err != nil {
				return nil, fmt.Errorf("%s:%d: column %d (%s): %w", name, line, j+1, t.Columns[j].Name, err)
			}
		}
		t.lines.add(t.Rows, line)
		t.Rows++
	}
	if t.Rows == 0 {
		return nil, fmt.Errorf("%s: no data rows", name)
	}
	for _, c := range t.Columns {
		if !c.IsText() {
			c.Numbers = c.Numbers[:t.Rows:t.Rows] // an append cannot reach the next column
		}
		if c.respelt && c.IsText() {
			t.Notes = append(t.Notes, fmt.Sprintf("column %s: holds text below many numbers, whose spelling was not kept: they read as text in their shortest form (1.0 as 1)", c.Name))
		}
		if !comma && c.IsText() && decimalCommas(c.Values) {
			t.Notes = append(t.Notes, fmt.Sprintf("column %s: its cells are numbers written with a decimal comma (such as %s): they read as text, a category each; "+
				"--decimal , reads them as numbers", c.Name, firstComma(c.Values)))
		}
		c.index, c.spelling = nil, nil
	}
	return t, nil
}

// parseNumber parses a trimmed cell as a number, its decimal mark a comma
// where comma is set (a cell with a point then is no number: 1.234 may be
// a thousand and more, written with a thousands point).
func parseNumber(s string, comma bool) (float64, error) {
	if comma {
		if strings.IndexByte(s, '.') >= 0 {
			return 0, strconv.ErrSyntax
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	return strconv.ParseFloat(s, 64)
}

// decimalCommas reports whether a text column's values (none missing) are
// all numbers once read with a decimal comma, one of them at least with a
// comma: numbers that --decimal , would read.
func decimalCommas(values []string) bool {
	commas := false
	for _, v := range values {
		if _, err := parseNumber(v, true); err != nil {
			return false
		}
		commas = commas || strings.IndexByte(v, ',') >= 0
	}
	return commas
}

// firstComma returns the first of values that holds a comma.
func firstComma(values []string) string {
	for _, v := range values {
		if strings.IndexByte(v, ',') >= 0 {
			return v
		}
	}
	return ""
}

// notUTF8 is the error of text s that is not UTF-8: a file in another
// encoding, which --encoding names.
func notUTF8(s string) error {
	return fmt.Errorf("%q is not UTF-8 text: the file is in another encoding, such as Windows-1252 (Latin-1), in which spreadsheets in Western Europe "+
		"save CSV files: give its encoding (--encoding windows-1252), or save the file as UTF-8", s)
}

// decoded returns r decoding the encoding named (one of WHATWG's labels;
// "" or UTF-8: r itself), or, where none is named and r starts with
// UTF-16's byte order mark, decoding UTF-16, as Excel's "Unicode text"
// writes it. A decoded reader cannot seek: its table grows as it is read.
func decoded(r io.Reader, name string) (io.Reader, error) {
	var enc encoding.Encoding
	if name != "" {
		var err error
		if enc, err = htmlindex.Get(name); err != nil {
			return nil, fmt.Errorf("unknown encoding %q: expected one of WHATWG's names, such as utf-8, windows-1252, latin1, iso-8859-15, shift_jis or utf-16le", name)
		}
		if enc == unicode.UTF8 {
			return r, nil
		}
		return transform.NewReader(r, enc.NewDecoder()), nil
	}
	head := make([]byte, 2)
	if s, ok := r.(io.ReadSeeker); ok && seekable(s) {
		n, err := io.ReadFull(s, head)
		if _, serr := s.Seek(-int64(n), io.SeekCurrent); serr != nil {
			return nil, serr
		}
		if err != nil {
			return r, nil // shorter than a byte order mark
		}
	} else {
		br := bufio.NewReader(r)
		head, _ = br.Peek(2)
		r = br
	}
	if bytes.Equal(head, []byte{0xff, 0xfe}) || bytes.Equal(head, []byte{0xfe, 0xff}) {
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	}
	return r, nil
}

// seekable reports whether s can seek (a file on disk, not a pipe).
func seekable(s io.Seeker) bool {
	_, err := s.Seek(0, io.SeekCurrent)
	return err == nil
}

// countLines counts the lines of r from where it stands, and its bytes,
// when r can seek back there; -1 lines when it cannot.
func countLines(r io.Reader) (lines int, size int64, err error) {
	s, ok := r.(io.ReadSeeker)
	if !ok {
		return -1, 0, nil
	}
	start, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1, 0, nil // a pipe
	}
	buf := make([]byte, 1<<20)
	for {
		n, err := s.Read(buf)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if _, err := s.Seek(start, io.SeekStart); err != nil {
		return 0, 0, err
	}
	return lines + 1, size, nil
}

// holdNumbers makes the array that the numeric columns are read into, for
// a file of so many lines and bytes: a row for each line, but no more rows
// than the bytes allow (a row of w fields takes w bytes or more).
func (t *Table) holdNumbers(lines int, size int64) {
	w := len(t.Columns)
	t.stride = int(min(int64(lines), size/int64(w)+1))
	t.cells = make([]float64, w*t.stride)
	for j, c := range t.Columns {
		c.Numbers = t.cells[j*t.stride : j*t.stride : (j+1)*t.stride]
	}
}

// held reports whether column j's numbers are in the table's array.
func (t *Table) held(j int) bool {
	c := t.Columns[j]
	return !c.IsText() && t.Rows > 0 && len(c.Numbers) == t.Rows && t.stride >= t.Rows && &c.Numbers[0] == &t.cells[j*t.stride]
}

// empty drops the table's rows (TransformParts took or read them).
func (t *Table) empty() {
	for _, c := range t.Columns {
		c.Numbers, c.Codes = nil, nil
	}
	t.Rows, t.cells, t.stride = 0, nil, 0
}

// nameColumns makes the table's columns, named by the header fields (by
// number where one is empty).
func (t *Table) nameColumns(fields []string) error {
	seen := map[string]int{}
	for j, f := range fields {
		n := strings.TrimSpace(f)
		if !utf8.ValidString(n) {
			return fmt.Errorf("column %d: %w", j+1, notUTF8(n))
		}
		if n == "" {
			n = strconv.Itoa(j + 1)
		}
		if k, dup := seen[n]; dup {
			return fmt.Errorf("columns %d and %d are both named %q: names must be unique", k+1, j+1, n)
		}
		seen[n] = j
		t.Columns = append(t.Columns, &Column{Name: n})
	}
	return nil
}

// add appends cell s (trimmed) of row to the column, reading numbers with
// a decimal comma where comma is set.
func (c *Column) add(s string, row int, na map[string]bool, comma bool) error {
	missing := na[s] || strings.EqualFold(s, "NA") || strings.EqualFold(s, "NaN")
	if c.IsText() {
		code := int32(-1)
		if !missing {
			var err error
			if code, err = c.code(s); err != nil {
				return err
			}
		}
		c.Codes = append(c.Codes, code)
		return nil
	}
	if missing {
		c.Numbers = append(c.Numbers, math.NaN())
		return nil
	}
	v, err := parseNumber(s, comma)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("found %s: a number must be finite (mark a missing cell empty or NA)", s)
	}
	if err != nil {
		c.toText(row)
		code, err := c.code(s)
		c.Codes = append(c.Codes, code)
		return err
	}
	c.Numbers = append(c.Numbers, v)
	if !c.respelt {
		if old, ok := c.spelling[v]; ok && old != s || !ok && len(c.spelling) == maxSpellings {
			c.respelt, c.spelling = true, nil
		} else if !ok {
			if c.spelling == nil {
				c.spelling = map[float64]string{}
			}
			c.spelling[v] = strings.Clone(s)
		}
	}
	return nil
}

// code returns the code of value s, adding it to Values when new: text
// that is not UTF-8 is refused (notUTF8) where it is new.
func (c *Column) code(s string) (int32, error) {
	k, ok := c.index[s]
	if !ok {
		if !utf8.ValidString(s) {
			return 0, notUTF8(s)
		}
		k = int32(len(c.Values))
		c.Values = append(c.Values, strings.Clone(s))
		c.index[s] = k
	}
	return k, nil
}

// toText turns a numeric column of rows cells into a text column.
func (c *Column) toText(rows int) {
	c.Codes, c.index = make([]int32, rows, max(rows, cap(c.Numbers))), map[string]int32{}
	for i, v := range c.Numbers {
		if math.IsNaN(v) {
			c.Codes[i] = -1
			continue
		}
		s, ok := c.spelling[v]
		if !ok {
			s = numberName(v)
		}
		c.Codes[i], _ = c.code(s) // a number's spelling, UTF-8
	}
	c.Numbers, c.spelling = nil, nil
}

// missingMarkers returns the set of strings that mark a missing cell
// exactly (NA and NaN match in any case besides).
func missingMarkers(extra []string) map[string]bool {
	na := map[string]bool{"": true, "?": true}
	for _, s := range extra {
		na[strings.TrimSpace(s)] = true
	}
	return na
}

// cellKind classifies a trimmed cell: a number, missing, or text.
type cellKind int

const (
	textCell cellKind = iota
	numberCell
	missingCell
)

func kindOf(s string, na map[string]bool, comma bool) cellKind {
	if na[s] || strings.EqualFold(s, "NA") || strings.EqualFold(s, "NaN") {
		return missingCell
	}
	if v, err := parseNumber(s, comma); err == nil || math.IsInf(v, 0) {
		return numberCell
	}
	return textCell
}

// isHeader reports whether the first record is a header, given the records
// of the sample (sample[0] is the first record itself).
func isHeader(first []string, sample [][]string, na map[string]bool, comma bool) bool {
	numbers := 0
	for _, f := range first {
		if kindOf(strings.TrimSpace(f), na, comma) == numberCell {
			numbers++
		}
	}
	if numbers == 0 {
		return true
	}
	for j, f := range first {
		if kindOf(strings.TrimSpace(f), na, comma) != textCell {
			continue
		}
		below := 0
		for _, rec := range sample[min(1, len(sample)):] {
			if j >= len(rec) {
				continue
			}
			switch kindOf(strings.TrimSpace(rec[j]), na, comma) {
			case textCell:
				below = -1
			case numberCell:
				if below >= 0 {
					below++
				}
			}
			if below < 0 {
				break
			}
		}
		if below > 0 {
			return true
		}
	}
	return false
}

// sampleRecords parses the whole lines of sample (all of it when complete)
// with separator sep, as far as they parse.
func sampleRecords(sample []byte, complete bool, sep rune) [][]string {
	if !complete {
		if end := bytes.LastIndexByte(sample, '\n'); end >= 0 {
			sample = sample[:end+1]
		}
	}
	cr := csv.NewReader(bytes.NewReader(sample))
	cr.Comma, cr.FieldsPerRecord = sep, -1
	var recs [][]string
	for {
		rec, err := cr.Read()
		if err != nil {
			return recs
		}
		recs = append(recs, rec)
	}
}

// separators are the separators ReadTable detects, in order of preference.
var separators = []rune{',', ';', '\t', '|'}

// detectSep returns the separator that splits every whole line of sample
// into the same number of fields, more than one, the most of them; a comma
// when none does.
func detectSep(sample []byte, complete bool) rune {
	best, fields := ',', 1
	for _, sep := range separators {
		recs := sampleRecords(sample, complete, sep)
		if len(recs) == 0 {
			continue
		}
		n := len(recs[0])
		for _, rec := range recs {
			if len(rec) != n {
				n = 0
				break
			}
		}
		if n > fields {
			best, fields = sep, n
		}
	}
	return best
}
