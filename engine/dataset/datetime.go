package dataset

import (
	"fmt"
	"math"
	"time"
)

// The parts a date-time input can have, in the order of its features: a
// column of dates has the first four, one where any training cell has a
// time of day has all five.
const (
	PartYear    = "year"    // the year, as written
	PartMonth   = "month"   // 1 to 12
	PartDay     = "day"     // 1 to 31
	PartWeekday = "weekday" // Monday 0 to Sunday 6
	PartHour    = "hour"    // hours since midnight, fractional: 20:21:09 is 20.3525
)

// dateParts are the known parts, each at its index in a civilTime's value.
var dateParts = [...]string{PartYear, PartMonth, PartDay, PartWeekday, PartHour}

// DateLayouts says which cells are read as dates, for errors and hints.
const DateLayouts = "ISO 8601 dates or date-times: 2006-01-02, 2006-01-02 15:04, 2006-01-02 15:04:05 " +
	"(T or a space between date and time), with optional fractional seconds (.123) and zone (Z, +02:00, +0200)"

// civilTime is a date and wall-clock time as written, its zone, if any,
// not applied.
type civilTime struct {
	year       int32
	month, day uint8
	weekday    uint8 // Monday 0
	timed      bool  // written with a time of day
	nanos      int64 // since midnight
}

// part returns part k (an index into dateParts) of t as a feature value.
func (t civilTime) part(k int) float64 {
	switch k {
	case 0:
		return float64(t.year)
	case 1:
		return float64(t.month)
	case 2:
		return float64(t.day)
	case 3:
		return float64(t.weekday)
	}
	sec := t.nanos / 1e9
	h, m, s, ns := sec/3600, sec/60%60, sec%60, t.nanos%1e9
	return float64(h) + float64(m)/60 + float64(s)/3600 + float64(ns)/3.6e12
}

// parseDateTime parses an ISO 8601 date or date-time as DateLayouts says,
// without allocating; false when s is not one.
func parseDateTime(s string) (civilTime, bool) {
	var t civilTime
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return t, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 {
		return t, false
	}
	d := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if d.Day() != day { // past the month's end
		return t, false
	}
	t.year, t.month, t.day, t.weekday = int32(year), uint8(month), uint8(day), uint8((d.Weekday()+6)%7)
	s = s[10:]
	if s == "" {
		return t, true
	}
	if len(s) < 6 || s[0] != ' ' && s[0] != 'T' || s[3] != ':' {
		return t, false
	}
	h, ok1 := digits(s[1:3])
	m, ok2 := digits(s[4:6])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return t, false
	}
	t.timed, t.nanos = true, int64(h*3600+m*60)*1e9
	s = s[6:]
	if len(s) >= 3 && s[0] == ':' {
		sec, ok := digits(s[1:3])
		if !ok || sec > 59 {
			return t, false
		}
		t.nanos += int64(sec) * 1e9
		s = s[3:]
		if len(s) >= 2 && s[0] == '.' {
			n, scale := 1, int64(1e8)
			for ; n < len(s) && n <= 9 && s[n] >= '0' && s[n] <= '9'; n++ {
				t.nanos += int64(s[n]-'0') * scale
				scale /= 10
			}
			if n == 1 {
				return t, false
			}
			s = s[n:]
		}
	}
	return t, validZone(s)
}

// validZone reports whether s is empty or a zone: Z, +hh:mm or +hhmm
// (or -).
func validZone(s string) bool {
	var hh, mm string
	switch {
	case s == "" || s == "Z":
		return true
	case len(s) == 6 && s[3] == ':':
		hh, mm = s[1:3], s[4:6]
	case len(s) == 5:
		hh, mm = s[1:3], s[3:5]
	default:
		return false
	}
	h, ok1 := digits(hh)
	m, ok2 := digits(mm)
	return (s[0] == '+' || s[0] == '-') && ok1 && ok2 && h <= 23 && m <= 59
}

// digits parses s, ASCII digits only.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// looksLikeDate reports whether s starts as a date of another layout than
// ISO's (23/03/2019, 3.23.19, 2019/03/23), for the hint of a column of
// too many categories.
func looksLikeDate(s string) bool {
	groups, n := 0, 0
	for i := 0; i < len(s) && groups < 3; i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
		case (c == '/' || c == '.' || c == '-') && n > 0 && n <= 4 && groups < 2:
			groups, n = groups+1, 0
		default:
			return false
		}
	}
	return groups == 2 && n > 0
}

// dateCodes parses a text column's distinct values as dates, each once,
// as rows need them.
type dateCodes struct {
	values []string
	parsed []civilTime
	state  []uint8 // 0 not yet parsed, 1 a date, 2 not one
}

func newDateCodes(c *Column) *dateCodes {
	return &dateCodes{values: c.Values, parsed: make([]civilTime, len(c.Values)), state: make([]uint8, len(c.Values))}
}

// at returns the date of code, and false when its value is not one.
func (d *dateCodes) at(code int32) (civilTime, bool) {
	if d.state[code] == 0 {
		t, ok := parseDateTime(d.values[code])
		d.parsed[code], d.state[code] = t, 2
		if ok {
			d.state[code] = 1
		}
	}
	return d.parsed[code], d.state[code] == 1
}

// fitDateTime fits a date-time input on text column c's rows when every
// present cell of them is a date, and returns false otherwise, having
// stopped at the first cell that is not, which it returns. A date without
// a time of day is midnight; the part hour is there when any cell has a
// time. Each part is filled and scaled as a numeric column is, except that
// its spread (standard deviation or range) counts as one unit at least: a
// part nearly constant over the training rows (taxi rides of March but
// one of February) would otherwise make its few other values features of
// dozens, which unsettle training.
func fitDateTime(c *Column, rows []int, impute Impute, scale Scaling, drop string) (in Input, isDate bool, notDate string, err error) {
	dates := newDateCodes(c)
	present, timed := 0, false
	for _, i := range rows {
		code := c.Codes[i]
		if code < 0 {
			continue
		}
		t, ok := dates.at(code)
		if !ok {
			return in, false, c.Values[code], nil
		}
		present++
		timed = timed || t.timed
	}
	if present == 0 {
		return in, false, "", nil
	}
	in = Input{Name: c.Name, Kind: DateTimeInput, Scale: 1}
	n := len(dateParts) - 1
	if timed {
		n++
	}
	for k, name := range dateParts[:n] {
		part := DatePart{Part: name, index: k}
		part.Fill, part.Offset, part.Scale, err = fitFill(len(rows), func(r int) float64 {
			if code := c.Codes[rows[r]]; code >= 0 {
				return dates.parsed[code].part(k)
			}
			return math.NaN()
		}, impute, scale, drop)
		if err != nil {
			return in, true, "", err
		}
		part.Scale = min(part.Scale, 1) // a spread of at least one unit
		in.Parts = append(in.Parts, part)
	}
	return in, true, "", nil
}

// dateError is the error of a cell of a date-time input that is not a date.
func dateError(cell string) error {
	return fmt.Errorf("%q is not a date: expected %s, as in the training rows", cell, DateLayouts)
}

// dateFeatures writes the features of date-time input k for rows of
// column j of t into x, row-major.
func (p *Preprocessor) dateFeatures(t *Table, j, k int, rows []int, x []float64) error {
	in, c := &p.Inputs[k], t.Columns[j]
	var dates *dateCodes
	if c.IsText() {
		dates = newDateCodes(c)
	}
	for r, i := range rows {
		var d civilTime
		present := false
		if c.IsText() {
			if code := c.Codes[i]; code >= 0 {
				if d, present = dates.at(code); !present {
					return fmt.Errorf("%s:%d: column %d (%s): %w", t.Name, t.Line(i), j+1, c.Name, dateError(c.Values[code]))
				}
			}
		} else if v := c.Numbers[i]; !math.IsNaN(v) {
			return fmt.Errorf("%s:%d: column %d (%s): %w", t.Name, t.Line(i), j+1, c.Name, dateError(numberName(v)))
		}
		in.writeParts(d, present, x[r*p.features+p.at[k]:])
	}
	return nil
}

// writeParts writes a date-time input's features for d (missing unless
// present) to dst.
func (in *Input) writeParts(d civilTime, present bool, dst []float64) {
	for i := range in.Parts {
		part := &in.Parts[i]
		v := math.NaN()
		if present {
			v = d.part(part.index)
		}
		dst[i] = fillScale(v, part.Fill, part.Offset, part.Scale)
	}
}
