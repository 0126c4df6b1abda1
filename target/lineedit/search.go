package lineedit

import (
	"slices"
	"unicode/utf8"
)

// isearch is a Ctrl-R reverse incremental search in progress. The line
// being edited stays untouched until the search is accepted, so that
// Ctrl-G can give it back.
type isearch struct {
	query  []rune
	line   []rune // on display: the match, or the edited line before one
	pos    int    // the cursor in line: where the match starts
	idx    int    // the match's history entry, -1 before the first
	failed bool
	start  int // the entry the search began at
}

// prompt is readline's, which replaces the shell's prompt during a search.
func (s *isearch) prompt() string {
	p := "(reverse-i-search)`"
	if s.failed {
		p = "(failed reverse-i-search)`"
	}
	return p + string(appendText(nil, s.query)) + "': "
}

func (e *Editor) startSearch() {
	e.search = &isearch{
		line:  slices.Clone(e.line),
		pos:   e.pos,
		idx:   -1,
		start: min(e.histIdx, len(e.hist.lines)-1),
	}
	e.redraw()
}

// searchKey handles a key during a search; a key that is not the search's
// own accepts the match into the line and then does what it always does.
func (e *Editor) searchKey(k key) (string, bool, error) {
	s := e.search
	switch k.kind {
	case keyRune:
		s.query = append(s.query, k.r)
		e.find(s.current(), "")
	case keyBackspace:
		if len(s.query) == 0 {
			e.out = append(e.out, '\a')
			return "", false, nil
		}
		s.query = s.query[:len(s.query)-1]
		if len(s.query) == 0 {
			*s = isearch{line: slices.Clone(e.line), pos: e.pos, idx: -1, start: s.start}
		} else {
			e.find(s.current(), "")
		}
	case keySearch:
		switch {
		case len(s.query) == 0 && len(e.lastQuery) == 0:
			return "", false, nil
		case len(s.query) == 0:
			// Ctrl-R Ctrl-R repeats the previous search, as in readline.
			s.query = slices.Clone(e.lastQuery)
			e.find(s.start, "")
		case s.idx < 0:
			e.find(s.start, "")
		default:
			e.find(s.idx-1, string(s.line))
		}
	case keyAbort:
		e.endSearch()
	case keyInterrupt:
		return e.editKey(k)
	case keyPasteStart, keyPasteEnd:
		e.pasting = k.kind == keyPasteStart
		return "", false, nil
	default:
		e.acceptSearch()
		return e.editKey(k)
	}
	e.redraw()
	return "", false, nil
}

// current is where a longer or shorter query is looked for: the match on
// display still counts.
func (s *isearch) current() int {
	if s.idx >= 0 {
		return s.idx
	}
	return s.start
}

// find shows the newest entry from from back that holds the query, or
// marks the search failed, keeping the last match on display as readline
// does.
func (e *Editor) find(from int, skip string) {
	s := e.search
	idx, off := e.hist.search(string(s.query), from, skip)
	if idx < 0 {
		s.failed = true
		return
	}
	l := e.hist.lines[idx]
	s.failed, s.idx = false, idx
	s.line, s.pos = []rune(l), utf8.RuneCountInString(l[:off])
}

// endSearch leaves the search, with the line as it was before it.
func (e *Editor) endSearch() {
	if len(e.search.query) > 0 {
		e.lastQuery = slices.Clone(e.search.query)
	}
	e.search = nil
}

// acceptSearch makes the match the line being edited; Up and Down then go
// on from its place in the history.
func (e *Editor) acceptSearch() {
	s := e.search
	e.endSearch()
	if s.idx >= 0 {
		if e.histIdx == len(e.hist.lines) {
			e.histSave = slices.Clone(e.line)
		}
		e.histIdx = s.idx
		e.line, e.pos = s.line, s.pos
	}
	e.redraw()
}
