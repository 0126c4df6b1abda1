package shell

import (
	"regexp"
)

// sedAddr is an address: a line number, $, a regular expression, first~step,
// or (as the end of a range) +N or ~N.
type sedAddr struct {
	kind  byte // 'n', '$', 'r', '~', '+', 'm' (~N as an end)
	n     int64
	step  int64
	re    *regexp.Regexp // nil for // : the last expression used
	empty bool
}

// sedCmd is one command of a script.
type sedCmd struct {
	a1, a2   *sedAddr
	neg      bool
	name     byte
	active   bool  // inside its range
	rangeEnd int64 // the line a +N or numeric range ends at
	text     string
	jump     int // '{': the index of its '}'; b, t, T: the label's index
	exit     int
	// s
	re     *regexp.Regexp
	reNone bool // s//…/: the last expression used
	repl   []sedPiece
	global bool
	nth    int
	print  int
	wfile  string
	// y
	ymap map[rune]rune
}

// sedPiece is a piece of an s command's replacement: literal text, a
// group (0 for &), or a case conversion (\U \L \E \u \l).
type sedPiece struct {
	lit   string
	group int // -1 for literal text and case conversions
	conv  byte
}
