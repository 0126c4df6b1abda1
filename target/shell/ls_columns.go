package shell

import (
	"bufio"
	"unicode/utf8"
)

// writeColumns lays names out in as many columns as fit in width, down
// the page (-C) or across it (-x), with GNU's algorithm: columns two
// spaces apart, padded with tabs where they reach a tab stop.
func writeColumns(out *bufio.Writer, names []string, width int, across bool) {
	n := len(names)
	if n == 0 {
		return
	}
	if width <= 0 {
		width = 80
	}
	lens := make([]int, n)
	for i, name := range names {
		lens[i] = utf8.RuneCountInString(name)
	}
	maxCols := max(1, min(width/3, n))
	widths := make([][]int, maxCols)
	cols := 1
	for c := maxCols; c >= 1; c-- {
		rows := (n + c - 1) / c
		w := make([]int, c)
		total := 0
		for i, l := range lens {
			col := i / rows
			if across {
				col = i % c
			}
			if col != c-1 {
				l += 2
			}
			if l > w[col] {
				total += l - w[col]
				w[col] = l
			}
		}
		widths[c-1] = w
		if total < width || c == 1 {
			cols = c
			break
		}
	}
	w := widths[cols-1]
	rows := (n + cols - 1) / cols
	if across {
		for i, name := range names {
			col := i % cols
			if col == 0 && i > 0 {
				out.WriteByte('\n')
			}
			out.WriteString(name)
			if col < cols-1 && i+1 < n {
				pos := 0
				for c := 0; c < col; c++ {
					pos += w[c]
				}
				indent(out, pos+lens[i], pos+w[col])
			}
		}
		out.WriteByte('\n')
		return
	}
	for r := 0; r < rows; r++ {
		pos := 0
		for col, i := 0, r; i < n; col, i = col+1, i+rows {
			out.WriteString(names[i])
			if i+rows >= n {
				break
			}
			indent(out, pos+lens[i], pos+w[col])
			pos += w[col]
		}
		out.WriteByte('\n')
	}
}

// indent pads from column from to column to, with tabs where a whole tab
// fits, as GNU ls does.
func indent(out *bufio.Writer, from, to int) {
	for from < to {
		if to/8 > (from+1)/8 {
			out.WriteByte('\t')
			from += 8 - from%8
		} else {
			out.WriteByte(' ')
			from++
		}
	}
}
