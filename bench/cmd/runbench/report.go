package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// report collects the markdown that is printed as it is made and written to
// the results file at the end.
type report struct {
	out io.Writer // the terminal
	buf bytes.Buffer
}

// printf writes to the terminal and to the report.
func (r *report) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	io.WriteString(r.out, s)
	r.buf.WriteString(s)
}

// header starts the report with what a reader needs to weigh the numbers.
func (r *report) header(command string, start time.Time) {
	r.printf("# Benchmark results\n\n")
	r.printf("- Date: %s\n", start.UTC().Format("2006-01-02 15:04 UTC"))
	r.printf("- Machine: %s\n", machine())
	r.printf("- Command: `cd bench && %s`\n", command)
	r.printf("- Each cell: the median of the rounds; libraries measured in turn within each round (a different shuffled order each round). " +
		"Ratios are to gorilla's median in the same run; \"gorilla (again)\" measures gorilla a second time: its distance from 1.00 is the noise.\n")
}

// table is a markdown table.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// addError adds the row of name with err in place of its figures.
func (t *table) addError(name string, err error) {
	cells := make([]string, len(t.head))
	cells[0], cells[1] = name, "error: "+err.Error()
	t.add(cells...)
}

// print writes t with its columns padded, so it also reads in a terminal.
func (r *report) table(t *table) {
	width := make([]int, len(t.head))
	for _, line := range append([][]string{t.head}, t.rows...) {
		for i, c := range line {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)) + " |")
		}
		r.printf("%s\n", b.String())
	}
	line(t.head)
	dashes := make([]string, len(width))
	for i, w := range width {
		dashes[i] = strings.Repeat("-", w)
	}
	line(dashes)
	for _, row := range t.rows {
		line(row)
	}
	r.printf("\n")
}

// ratio formats a/b, "—" when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// num formats a number with a precision that suits its size.
func num(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// micros formats a duration in microseconds.
func micros(d time.Duration) string { return num(float64(d) / float64(time.Microsecond)) }

// sizeName names a message size: 16 B, 1 KiB, 1 MiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// millis formats a duration in milliseconds.
func millis(d time.Duration) string { return num(float64(d) / float64(time.Millisecond)) }
