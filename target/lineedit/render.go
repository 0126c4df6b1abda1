package lineedit

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The terminal's cursor is tracked as one number, termPos: display columns
// from the start of the prompt's last line, as if the screen were one long
// row; row and column follow from the width. A terminal that has just
// written the last column of a row keeps its cursor on that row until the
// next character (deferred wrap), which that number cannot express, so
// whenever output ends exactly at a row's end the editor adds CR LF to put
// the cursor where the number says: at the start of the next row.

// runeWidth is a rune's width on screen: control characters (only a paste
// can put them in a line) show as ^X.
func runeWidth(r rune) int {
	if r < 0x20 || r == 0x7f {
		return 2
	}
	return 1
}

func textWidth(rs []rune) int {
	w := 0
	for _, r := range rs {
		w += runeWidth(r)
	}
	return w
}

// appendText appends rs as the terminal must be sent them: never a raw
// control character, which the terminal would act on.
func appendText(b []byte, rs []rune) []byte {
	for _, r := range rs {
		switch {
		case r == 0x7f:
			b = append(b, '^', '?')
		case r < 0x20:
			b = append(b, '^', byte(r)+0x40)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// promptWidth is the columns a prompt takes: escape sequences (colours)
// and other control characters take none.
func promptWidth(p string) int {
	w := 0
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == esc:
			i += escapeLen(p[i:])
		case c < 0x20 || c == 0x7f:
			i++
		default:
			_, n := utf8.DecodeRuneInString(p[i:])
			i += n
			w++
		}
	}
	return w
}

// escapeLen is the length of the escape sequence at the start of s.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	if s[1] != '[' {
		return 2
	}
	for i := 2; i < len(s); i++ {
		if s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}

// splitPrompt cuts a prompt after its last newline: only the last line is
// redrawn as the line changes.
func splitPrompt(p string) (head, last string) {
	i := strings.LastIndexByte(p, '\n')
	return p[:i+1], p[i+1:]
}

// appendCRLF appends s with each \n made \r\n, as a pty's output
// processing (onlcr) would: the channel has none.
func appendCRLF(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		b = append(b, '\r', '\n')
		s = s[i+1:]
	}
}

func appendCSI(b []byte, n int, final byte) []byte {
	b = append(b, esc, '[')
	if n != 1 {
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, final)
}

// moveTo moves the terminal's cursor to display offset to.
func (e *Editor) moveTo(to int) {
	from := e.termPos
	fr, fc := from/e.cols, from%e.cols
	tr, tc := to/e.cols, to%e.cols
	switch {
	case tr < fr:
		e.out = appendCSI(e.out, fr-tr, 'A')
	case tr > fr:
		e.out = appendCSI(e.out, tr-fr, 'B')
	}
	switch {
	case tc == fc:
	case tc > fc:
		e.out = appendCSI(e.out, tc-fc, 'C')
	default:
		e.out = append(e.out, '\r')
		if tc > 0 {
			e.out = appendCSI(e.out, tc, 'C')
		}
	}
	e.termPos = to
}

// view is what the screen must show: the prompt's last line (or the search
// prompt in its place), the text after it, and the cursor's offset.
func (e *Editor) view() (prompt string, text []rune, cursor int) {
	if s := e.search; s != nil {
		prompt = s.prompt()
		return prompt, s.line, promptWidth(prompt) + textWidth(s.line[:s.pos])
	}
	_, prompt = splitPrompt(e.shown)
	return prompt, e.line, promptWidth(prompt) + textWidth(e.line[:e.pos])
}

// endOffset is where the view ends.
func (e *Editor) endOffset() int {
	prompt, text, _ := e.view()
	return promptWidth(prompt) + textWidth(text)
}

// redraw draws the prompt's last line and the text over what is on screen.
func (e *Editor) redraw() { e.draw(false) }

// draw draws the view; full draws the whole prompt, starting where the
// cursor is, which the caller has put at the start of an empty row.
func (e *Editor) draw(full bool) {
	prompt, text, cursor := e.view()
	if full {
		head, _ := splitPrompt(e.shown)
		e.out = appendCRLF(e.out, head)
		e.termPos = 0
	} else {
		e.moveTo(0)
	}
	e.out = append(e.out, prompt...)
	e.out = appendText(e.out, text)
	e.termPos = promptWidth(prompt) + textWidth(text)
	e.wrap()
	// Clears the rest of a longer line that was there, wrapped rows
	// included.
	e.out = append(e.out, esc, '[', 'J')
	e.moveTo(cursor)
}

// wrap completes a deferred wrap after output that ended at a row's end.
func (e *Editor) wrap() {
	if e.termPos > 0 && e.termPos%e.cols == 0 {
		e.out = append(e.out, '\r', '\n')
	}
}

// endLine moves the cursor to the start of the row after the view, before
// output that must not land in it.
func (e *Editor) endLine() {
	end := e.endOffset()
	e.moveTo(end)
	if end == 0 || end%e.cols != 0 {
		// (Otherwise wrap has already moved to the next row.)
		e.out = append(e.out, '\r', '\n')
	}
	e.termPos = 0
}
