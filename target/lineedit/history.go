package lineedit

import "strings"

// maxHistory is HISTSIZE as Amazon Linux's /etc/profile sets it.
const maxHistory = 1000

// history holds the accepted lines, oldest first.
type history struct {
	lines []string
}

// add appends line, dropping the oldest past maxHistory; it returns how
// many were dropped, so that indexes into the history can follow.
func (h *history) add(line string) (dropped int) {
	h.lines = append(h.lines, line)
	if over := len(h.lines) - maxHistory; over > 0 {
		h.lines = append(h.lines[:0], h.lines[over:]...)
		return over
	}
	return 0
}

// keep reports whether bash with HISTCONTROL=ignoreboth would record line:
// not empty, not starting with a space (a way to keep a command out of the
// history), not the same as the previous entry.
func (h *history) keep(line string) bool {
	if line == "" || line[0] == ' ' {
		return false
	}
	return len(h.lines) == 0 || h.lines[len(h.lines)-1] != line
}

// search looks for query from entry from back to the oldest, skipping
// entries equal to skip (the match on display, so that Ctrl-R always shows
// something new). It returns the entry and the byte offset of the last
// occurrence of query in it, where reverse search puts the cursor, or -1.
func (h *history) search(query string, from int, skip string) (idx, off int) {
	for i := min(from, len(h.lines)-1); i >= 0; i-- {
		l := h.lines[i]
		if l == skip {
			continue
		}
		if j := strings.LastIndex(l, query); j >= 0 {
			return i, j
		}
	}
	return -1, -1
}
