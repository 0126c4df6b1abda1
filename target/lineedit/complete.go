package lineedit

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// complete is Tab: one candidate completes the word, several complete
// what they share, and a second Tab in a row lists them.
func (e *Editor) complete() {
	e.lastTab = true
	if e.completer == nil {
		return
	}
	s := string(e.line)
	pos := len(string(e.line[:e.pos]))
	from, cands := e.completer(s, pos)
	if from < 0 || from > pos || (from < len(s) && !utf8.RuneStart(s[from])) {
		e.out = append(e.out, '\a')
		return
	}
	cands = slices.Compact(slices.Sorted(slices.Values(cands)))
	switch len(cands) {
	case 0:
		e.out = append(e.out, '\a')
		return
	case 1:
		c := cands[0]
		if !strings.HasSuffix(c, "/") {
			// The word is done: the next one can be typed at once.
			c += " "
		}
		e.replace(s, from, pos, c)
		return
	}
	if p := commonPrefix(cands); len(p) > pos-from {
		e.replace(s, from, pos, p)
		return
	}
	if !e.prevTab {
		e.out = append(e.out, '\a')
		return
	}
	e.endLine()
	e.out = e.columns(e.out, cands)
	e.draw(true)
}

// replace puts repl in place of s[from:to] (byte offsets) and the cursor
// after it.
func (e *Editor) replace(s string, from, to int, repl string) {
	head := s[:from] + repl
	e.line = []rune(head + s[to:])
	e.pos = utf8.RuneCountInString(head)
	e.redraw()
}

// commonPrefix is the longest prefix of whole runes all of cands share.
func commonPrefix(cands []string) string {
	p := cands[0]
	for _, c := range cands[1:] {
		n := 0
		for n < len(p) && n < len(c) && p[n] == c[n] {
			n++
		}
		p = p[:n]
	}
	for !utf8.ValidString(p) {
		p = p[:len(p)-1]
	}
	return p
}

// columns lists cands as readline does: sorted down the columns, each
// column as wide as the longest name and two spaces, as many columns as the
// width holds, and file names by their last element ("sub/" for
// "dir/sub/").
func (e *Editor) columns(b []byte, cands []string) []byte {
	names := make([][]rune, len(cands))
	width := 0
	for i, c := range cands {
		names[i] = []rune(lastElem(c))
		width = max(width, textWidth(names[i]))
	}
	colWidth := width + 2
	ncols := max(1, e.cols/colWidth)
	nrows := (len(names) + ncols - 1) / ncols
	for r := range nrows {
		for c := range ncols {
			i := c*nrows + r
			if i >= len(names) {
				break
			}
			b = appendText(b, names[i])
			// The last name of a row is not padded: trailing blanks
			// could wrap a row that fills the width.
			if (c+1)*nrows+r < len(names) {
				b = append(b, strings.Repeat(" ", colWidth-textWidth(names[i]))...)
			}
		}
		b = append(b, '\r', '\n')
	}
	return b
}

// lastElem is readline's printable part of a file name: what follows the
// last slash that does not end it.
func lastElem(c string) string {
	i := strings.LastIndexByte(strings.TrimSuffix(c, "/"), '/')
	return c[i+1:]
}
