package scenarios

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvTable reads the numeric CSV tables of ReadData and ReadPatterns: an
// optional UTF-8 byte-order mark, a header row of distinct non-empty column
// names, then rows of as many numbers. Its errors are *Error values of kind
// ErrData located at name:line:column.
type csvTable struct {
	name  string
	cr    *csv.Reader
	cols  []string       // the header row, trimmed
	index map[string]int // column name → position in cols
	rows  int            // data rows read so far
	err   error          // the error that stopped next, if any

	crOnly bool // the start of the file has CR line endings and no LF
}

// openCSV starts reading the table in r; name is used in messages.
func openCSV(r io.Reader, name string) *csvTable {
	br := bufio.NewReaderSize(r, crProbe)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3) // a UTF-8 byte-order mark
	}
	// Old Mac OS line endings (CR only) would read as one long row: look
	// at the start of the file for a CR with no LF.
	head, _ := br.Peek(crProbe)
	crOnly := bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are reported by next, with their position
	cr.ReuseRecord = true
	return &csvTable{name: name, cr: cr, crOnly: crOnly}
}

// crProbe is how much of the start of a CSV file openCSV looks at for its
// line endings.
const crProbe = 64 << 10

// fail is the data error at line:col of the table.
func (t *csvTable) fail(line, col int, msg string) error {
	return &Error{File: t.name, Line: line, Column: col, Msg: msg, Err: ErrData}
}

// pos is the line and column of field i of the record last read.
func (t *csvTable) pos(i int) (line, col int) {
	return t.cr.FieldPos(i)
}

// csvErr turns an error of the csv reader into a data error.
func (t *csvTable) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return t.fail(pe.Line, pe.Column, "not valid CSV: "+pe.Err.Error())
	}
	return &Error{File: t.name, Msg: "reading: " + err.Error(), Err: ErrData}
}

// header reads and checks the header row, setting t.cols and t.index;
// emptyMsg is the message for a file with no rows at all.
func (t *csvTable) header(emptyMsg string) error {
	if t.crOnly {
		return t.fail(1, 0, "lines end in a carriage return (CR) alone, as in old Mac OS files: convert the line endings to LF or CRLF (e.g. tr '\\r' '\\n')")
	}
	rec, err := t.cr.Read()
	if errors.Is(err, io.EOF) {
		return t.fail(0, 0, emptyMsg)
	}
	if err != nil {
		return t.csvErr(err)
	}
	t.cols = make([]string, len(rec))
	t.index = make(map[string]int, len(rec))
	for i, h := range rec {
		h = strings.TrimSpace(h)
		line, col := t.pos(i)
		if h == "" {
			return t.fail(line, col, fmt.Sprintf("header: column %d has no name", i+1))
		}
		if j, dup := t.index[h]; dup {
			return t.fail(line, col, fmt.Sprintf("header: column name %q repeats column %d", h, j+1))
		}
		t.index[h] = i
		t.cols[i] = h
	}
	return nil
}

// next reads the next data row into vals (len(t.cols) values), counting
// it in t.rows, and reports whether it did: it is false at the end of the
// file or on an error, which t.err then holds. Every cell must be a finite
// number; check, if not nil, is then asked about cell i (its text and
// value) and returns "" or what is wrong with it. The row's line is
// t.line().
func (t *csvTable) next(vals []float64, check func(i int, cell string, v float64) string) bool {
	if t.err != nil {
		return false
	}
	t.err = t.read(vals, check)
	return t.err == nil
}

// read is next's body; it returns io.EOF at the end of the file.
func (t *csvTable) read(vals []float64, check func(i int, cell string, v float64) string) error {
	rec, err := t.cr.Read()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		return t.csvErr(err)
	}
	t.rows++
	if nc := len(t.cols); len(rec) != nc {
		i := len(rec) - 1 // a short row: point at its last field
		if len(rec) > nc {
			i = nc // a long row: point at the first extra field
		}
		line, col := t.pos(max(i, 0))
		return t.fail(line, col, fmt.Sprintf("row has %d fields, the header has %d", len(rec), nc))
	}
	for i, cell := range rec {
		v, msg := parseCell(cell)
		if msg == "" && check != nil {
			msg = check(i, cell, v)
		}
		if msg != "" {
			line, col := t.pos(i)
			return t.fail(line, col, fmt.Sprintf("column %q: %s", t.cols[i], msg))
		}
		vals[i] = v
	}
	return nil
}

// failed is the error that stopped next, nil at the end of the file.
func (t *csvTable) failed() error {
	if errors.Is(t.err, io.EOF) {
		return nil
	}
	return t.err
}

// line is the file line of the row last read by next.
func (t *csvTable) line() int {
	line, _ := t.pos(0)
	return line
}
