package lineedit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// screen is the little of a VT100 (xterm) the editor's output needs, to
// check what a user would see rather than the bytes: printable characters
// with xterm's deferred wrap (a character written in the last column leaves
// the cursor there until the next one), CR, LF (scrolling at the bottom),
// BEL, and CSI A, B, C, D, H, J and 2J. Anything else the editor should
// never send, and is recorded in bad.
type screen struct {
	cols, rows int
	cells      [][]rune
	x, y       int
	wrapNext   bool
	scrolled   int    // rows scrolled off the top
	partial    []byte // an escape sequence or rune cut between writes
	bad        []string
}

func newScreen(cols, rows int) *screen {
	s := &screen{cols: cols, rows: rows}
	s.clear()
	return s
}

func (s *screen) clear() {
	s.cells = make([][]rune, s.rows)
	for i := range s.cells {
		s.cells[i] = s.blank()
	}
}

func (s *screen) blank() []rune { return slices.Repeat([]rune{' '}, s.cols) }

func (s *screen) Write(p []byte) (int, error) {
	b := append(s.partial, p...)
	s.partial = nil
	for len(b) > 0 {
		n := s.step(b)
		if n == 0 {
			s.partial = slices.Clone(b)
			break
		}
		b = b[n:]
	}
	return len(p), nil
}

// step interprets the start of b and returns the bytes taken, 0 if b is
// cut short.
func (s *screen) step(b []byte) int {
	switch c := b[0]; {
	case c == '\r':
		s.x, s.wrapNext = 0, false
		return 1
	case c == '\n':
		s.lineFeed()
		s.wrapNext = false
		return 1
	case c == '\a':
		return 1
	case c == esc:
		return s.escape(b)
	case c < 0x20 || c == 0x7f:
		s.bad = append(s.bad, fmt.Sprintf("control character %#x", c))
		return 1
	}
	if !utf8.FullRune(b) {
		return 0
	}
	r, n := utf8.DecodeRune(b)
	if s.wrapNext {
		s.x = 0
		s.lineFeed()
		s.wrapNext = false
	}
	s.cells[s.y][s.x] = r
	if s.x == s.cols-1 {
		s.wrapNext = true
	} else {
		s.x++
	}
	return n
}

func (s *screen) lineFeed() {
	if s.y < s.rows-1 {
		s.y++
		return
	}
	s.cells = append(s.cells[1:], s.blank())
	s.scrolled++
}

func (s *screen) escape(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	if b[1] != '[' {
		s.bad = append(s.bad, fmt.Sprintf("escape %q", b[:2]))
		return 2
	}
	i := 2
	for i < len(b) && (b[i] >= '0' && b[i] <= '9') {
		i++
	}
	if i == len(b) {
		return 0
	}
	param, final := string(b[2:i]), b[i]
	n := 1
	if param != "" {
		n, _ = strconv.Atoi(param)
	}
	s.wrapNext = false
	switch final {
	case 'A':
		s.y = max(0, s.y-n)
	case 'B':
		s.y = min(s.rows-1, s.y+n)
	case 'C':
		s.x = min(s.cols-1, s.x+n)
	case 'D':
		s.x = max(0, s.x-n)
	case 'H':
		s.x, s.y = 0, 0
	case 'J':
		switch param {
		case "":
			// From the cursor, inclusive, to the end of the screen.
			for x := s.x; x < s.cols; x++ {
				s.cells[s.y][x] = ' '
			}
			for y := s.y + 1; y < s.rows; y++ {
				s.cells[y] = s.blank()
			}
		case "2":
			s.clear()
		default:
			s.bad = append(s.bad, "CSI "+param+"J")
		}
	default:
		s.bad = append(s.bad, fmt.Sprintf("CSI %q", b[:i+1]))
	}
	return i + 1
}

// text is the screen's rows without trailing blanks, trailing empty rows
// dropped.
func (s *screen) text() []string {
	var rows []string
	for _, r := range s.cells {
		rows = append(rows, strings.TrimRight(string(r), " "))
	}
	for len(rows) > 0 && rows[len(rows)-1] == "" {
		rows = rows[:len(rows)-1]
	}
	return rows
}

// layout is the rows a terminal of width cols shows for text written from
// the start of a row, as text gives them.
func layout(text string, cols int) []string {
	rs := []rune(text)
	var rows []string
	for len(rs) > cols {
		rows = append(rows, strings.TrimRight(string(rs[:cols]), " "))
		rs = rs[cols:]
	}
	return append(rows, strings.TrimRight(string(rs), " "))
}
