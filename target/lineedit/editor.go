package lineedit

import (
	"errors"
	"io"
	"slices"
	"sync"
	"unicode"
)

// ErrInterrupt is what ReadLine returns for Ctrl-C: the line is discarded,
// and bash would show a new prompt.
var ErrInterrupt = errors.New("interrupt")

var errConcurrentRead = errors.New("lineedit: ReadLine called while another is in progress")

// maxEmptyReads is how many reads returning nothing, and no error, ReadLine
// tolerates in a row (bufio's limit): a broken reader must not spin it.
const maxEmptyReads = 100

// Editor reads lines from a terminal's keys (r) and echoes and redraws them
// on w, as bash's readline does in emacs mode.
//
// Keys typed ahead, while the previous line's command still runs, are
// bytes waiting in r, and ReadLine reads them when it is called. ReadLine
// reads r in chunks, so it may read past the line it returns: those bytes
// stay in the Editor for the next ReadLine (see Pending), and none is lost.
//
// All methods are safe to call from any goroutine, also while ReadLine
// waits for keys; only one ReadLine may run at a time.
type Editor struct {
	r io.Reader
	w io.Writer

	mu        sync.Mutex
	prompt    string // for the next ReadLine
	shown     string // the prompt of the ReadLine in progress
	cols      int
	rows      int
	completer func(line string, pos int) (replaceFrom int, candidates []string)
	hist      history

	in       []byte // read from r, not consumed yet
	rerr     error  // r's error, returned once in is consumed
	chunk    []byte // what r is read into
	reading  bool   // a ReadLine runs
	active   bool   // a prompt is on screen: Write must draw around it
	pasting  bool   // in a bracketed paste
	skipLF   bool   // the last key was a CR: a LF now is the same Enter
	outNL    bool   // output so far ends with a newline
	out      []byte // output not yet written to w
	termPos  int    // the terminal's cursor (render.go)
	line     []rune
	pos      int // the cursor in line
	histIdx  int // the history entry on display; len(hist.lines) is the new line
	histSave []rune
	kill     []rune // what Ctrl-Y yanks

	// The previous key's kind of command: kills in a row build up one
	// text to yank; Tab twice lists the candidates.
	lastKill, prevKill bool
	lastTab, prevTab   bool

	search    *isearch
	lastQuery []rune
}

// New returns an editor of 80x24 reading keys from r and drawing on w.
func New(r io.Reader, w io.Writer) *Editor {
	return &Editor{r: r, w: w, cols: 80, rows: 24, outNL: true, chunk: make([]byte, 4096)}
}

// SetPrompt sets the prompt from the next ReadLine on. It may have several
// lines; only the last is redrawn as the line is edited.
func (e *Editor) SetPrompt(p string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prompt = p
}

// SetSize sets the terminal's size from a pty-req or window-change. Zero
// or less means 80 columns or 24 rows: `ssh -tt` run from a script asks for
// a 0x0 pty, and a width of 0 would wrap at every character. A line being
// edited is not redrawn: the terminal reflows it (or not) as it likes, and
// the next redraw uses the new width.
func (e *Editor) SetSize(cols, rows int) {
	if cols <= 0 {
		cols = 80
	}
	if rows <= 0 {
		rows = 24
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cols, e.rows = cols, rows
}

// Refresh draws the prompt and the line being edited again, on the row
// the cursor is on, which something outside the editor has left empty at
// its start (a client that printed a message of its own on the terminal
// and asked for a redraw). Without a line being edited it does nothing.
func (e *Editor) Refresh() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.active {
		return nil
	}
	e.out = append(e.out, '\r')
	e.termPos = 0
	e.draw(true)
	return e.flush()
}

// SetCompleter sets what Tab calls: with the line and the cursor's byte
// offset in it, it returns where the word to complete starts (a byte offset
// at most pos) and the words that may replace line[replaceFrom:pos]. f runs
// with the editor locked and must not call it.
func (e *Editor) SetCompleter(f func(line string, pos int) (replaceFrom int, candidates []string)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.completer = f
}

// AddHistory appends line to the history as it is (ReadLine adds the lines
// it returns itself, as bash with HISTCONTROL=ignoreboth); an empty line is
// ignored. The history keeps the newest 1000 lines.
func (e *Editor) AddHistory(line string) {
	if line == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.addHistory(line)
}

// addHistory keeps the positions into the history of a ReadLine in
// progress on their entries.
func (e *Editor) addHistory(line string) {
	atNew := e.histIdx >= len(e.hist.lines)
	dropped := e.hist.add(line)
	if atNew {
		e.histIdx = len(e.hist.lines)
	} else {
		e.histIdx = max(0, e.histIdx-dropped)
	}
	if s := e.search; s != nil {
		s.start = max(-1, s.start-dropped)
		if s.idx >= 0 {
			s.idx = max(-1, s.idx-dropped)
		}
	}
}

// History returns the history, oldest first.
func (e *Editor) History() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.hist.lines)
}

// Pending returns the input read from r that no ReadLine has consumed yet:
// keys typed ahead of the next prompt. The next ReadLine starts with them.
func (e *Editor) Pending() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.in)
}

// TakePending returns what Pending would and removes it from the editor,
// for a caller that hands type-ahead to a program reading its standard
// input instead.
func (e *Editor) TakePending() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := slices.Clone(e.in)
	e.in = nil
	return p
}

// Write writes output of a command or a message to w, with \n made \r\n.
// While ReadLine edits a line, the message replaces the prompt's line on
// screen and the prompt and the line are drawn again after it, so that
// output never lands inside what is being typed.
func (e *Editor) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.active {
		e.moveTo(0)
		e.out = append(e.out, esc, '[', 'J')
		e.out = appendCRLF(e.out, string(p))
		if p[len(p)-1] != '\n' {
			e.out = append(e.out, '\r', '\n')
		}
		e.draw(true)
	} else {
		e.out = appendCRLF(e.out, string(p))
		e.outNL = p[len(p)-1] == '\n'
	}
	if err := e.flush(); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (e *Editor) flush() error {
	if len(e.out) == 0 {
		return nil
	}
	_, err := e.w.Write(e.out)
	e.out = e.out[:0]
	return err
}

// ReadLine shows the prompt and returns the line typed, without its
// newline. It returns ErrInterrupt for Ctrl-C, io.EOF for Ctrl-D on an
// empty line, and otherwise the error of r, once the input read before it
// is used up, or of w.
//
// The prompt always starts a row of its own: if the output before did not
// end with a newline, ReadLine adds one (as zsh and fish do; bash would
// draw the prompt after the output, and then redraw the line wrongly).
func (e *Editor) ReadLine() (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reading {
		return "", errConcurrentRead
	}
	if e.rerr != nil && len(e.in) == 0 {
		return "", e.rerr
	}
	e.reading = true
	defer func() {
		e.reading, e.active, e.search = false, false, nil
	}()
	e.start()
	if err := e.flush(); err != nil {
		return "", err
	}
	for empty := 0; ; {
		for len(e.in) > 0 {
			k, n := decode(e.in, e.pasting, e.rerr != nil)
			if n == 0 {
				break
			}
			e.in = e.in[n:]
			line, done, err := e.key(k)
			ferr := e.flush()
			if done {
				// A write error shows again at the next prompt.
				return line, err
			}
			if ferr != nil {
				return "", ferr
			}
		}
		if e.rerr != nil {
			return "", e.rerr
		}
		n, err := e.readUnlocked()
		e.in = append(e.in, e.chunk[:n]...)
		switch {
		case err != nil:
			e.rerr = err
		case n == 0:
			if empty++; empty >= maxEmptyReads {
				e.rerr = io.ErrNoProgress
			}
		default:
			empty = 0
		}
	}
}

// readUnlocked reads r without holding the lock, so that Write and the
// rest work while ReadLine waits for keys, and takes the lock back even if
// the reader panics.
func (e *Editor) readUnlocked() (int, error) {
	e.mu.Unlock()
	defer e.mu.Lock()
	return e.r.Read(e.chunk)
}

// start begins a line: a fresh one, at the end of the history.
func (e *Editor) start() {
	if !e.outNL {
		e.out = append(e.out, '\r', '\n')
	}
	e.shown = e.prompt
	e.line, e.pos = nil, 0
	e.histIdx, e.histSave = len(e.hist.lines), nil
	e.search = nil
	e.lastKill, e.lastTab = false, false
	e.active, e.outNL = true, false
	e.termPos = 0
	e.draw(true)
}

// key handles one key; done means ReadLine returns line and err.
func (e *Editor) key(k key) (line string, done bool, err error) {
	if e.skipLF && k.kind == keyEnter && !k.cr {
		e.skipLF = false
		return "", false, nil
	}
	e.skipLF = k.kind == keyEnter && k.cr
	if k.kind == keyNone {
		return "", false, nil
	}
	e.prevKill, e.lastKill = e.lastKill, false
	e.prevTab, e.lastTab = e.lastTab, false
	if e.search != nil {
		return e.searchKey(k)
	}
	return e.editKey(k)
}

// editKey handles a key outside a search.
func (e *Editor) editKey(k key) (string, bool, error) {
	switch k.kind {
	case keyRune:
		e.insert([]rune{k.r})
	case keyEnter:
		line := string(e.line)
		e.endLine()
		e.active, e.outNL = false, true
		if e.hist.keep(line) {
			e.addHistory(line)
		}
		return line, true, nil
	case keyInterrupt:
		e.moveTo(e.endOffset())
		e.out = append(e.out, "^C\r\n"...)
		e.termPos = 0
		e.active, e.outNL = false, true
		e.search, e.pasting = nil, false
		return "", true, ErrInterrupt
	case keyEOF:
		if len(e.line) == 0 {
			e.active = false
			return "", true, io.EOF
		}
		e.deleteRange(e.pos, e.pos+1)
	case keyAbort:
		e.out = append(e.out, '\a')
	case keyBackspace:
		e.deleteRange(e.pos-1, e.pos)
	case keyDelete:
		e.deleteRange(e.pos, e.pos+1)
	case keyLeft:
		e.moveCursor(e.pos - 1)
	case keyRight:
		e.moveCursor(e.pos + 1)
	case keyWordLeft:
		e.moveCursor(e.wordStart())
	case keyWordRight:
		e.moveCursor(e.wordEnd())
	case keyHome:
		e.moveCursor(0)
	case keyEnd:
		e.moveCursor(len(e.line))
	case keyUp:
		e.historyMove(-1)
	case keyDown:
		e.historyMove(1)
	case keyKillEnd:
		e.killRange(e.pos, len(e.line), false)
	case keyKillStart:
		e.killRange(0, e.pos, true)
	case keyKillBigWord:
		e.killRange(e.bigWordStart(), e.pos, true)
	case keyKillWordBack:
		e.killRange(e.wordStart(), e.pos, true)
	case keyKillWordFwd:
		e.killRange(e.pos, e.wordEnd(), false)
	case keyYank:
		e.insert(slices.Clone(e.kill))
	case keyClear:
		e.out = append(e.out, esc, '[', 'H', esc, '[', '2', 'J')
		e.termPos = 0
		e.draw(true)
	case keyTab:
		e.complete()
	case keySearch:
		e.startSearch()
	case keyPasteStart:
		e.pasting = true
	case keyPasteEnd:
		e.pasting = false
	}
	return "", false, nil
}

// insert inserts rs at the cursor. Typing at the end of the line, the
// usual case, echoes just the text.
func (e *Editor) insert(rs []rune) {
	if len(rs) == 0 {
		return
	}
	atEnd := e.pos == len(e.line)
	e.line = slices.Insert(e.line, e.pos, rs...)
	e.pos += len(rs)
	if !atEnd {
		e.redraw()
		return
	}
	e.out = appendText(e.out, rs)
	e.termPos += textWidth(rs)
	e.wrap()
}

// deleteRange deletes line[from:to], clipped to the line.
func (e *Editor) deleteRange(from, to int) {
	from, to = max(from, 0), min(to, len(e.line))
	if from >= to {
		return
	}
	e.line = slices.Delete(e.line, from, to)
	e.pos = from
	e.redraw()
}

// killRange deletes line[from:to] into the kill buffer; kills in a row
// add to it, backward ones in front, so that Ctrl-Y yanks them all.
func (e *Editor) killRange(from, to int, backward bool) {
	e.lastKill = true
	if from >= to {
		return
	}
	text := slices.Clone(e.line[from:to])
	switch {
	case !e.prevKill:
		e.kill = text
	case backward:
		e.kill = append(text, e.kill...)
	default:
		e.kill = append(e.kill, text...)
	}
	e.deleteRange(from, to)
}

func (e *Editor) moveCursor(pos int) {
	pos = min(max(pos, 0), len(e.line))
	e.pos = pos
	_, _, cursor := e.view()
	e.moveTo(cursor)
}

// historyMove shows the entry delta away. The new line is kept while
// history entries are shown; changes to an entry are lost when leaving it.
func (e *Editor) historyMove(delta int) {
	n := len(e.hist.lines)
	e.histIdx = min(e.histIdx, n)
	to := e.histIdx + delta
	if to < 0 || to > n {
		e.out = append(e.out, '\a')
		return
	}
	if e.histIdx == n {
		e.histSave = slices.Clone(e.line)
	}
	e.histIdx = to
	if to == n {
		e.line = e.histSave
	} else {
		e.line = []rune(e.hist.lines[to])
	}
	e.pos = len(e.line)
	e.redraw()
}

// Words for Alt-b, Alt-f, Alt-d and Alt-Backspace are letters and digits,
// as readline's; Ctrl-W's are anything between blanks.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func (e *Editor) wordStart() int {
	i := e.pos
	for i > 0 && !isWordRune(e.line[i-1]) {
		i--
	}
	for i > 0 && isWordRune(e.line[i-1]) {
		i--
	}
	return i
}

func (e *Editor) wordEnd() int {
	i := e.pos
	for i < len(e.line) && !isWordRune(e.line[i]) {
		i++
	}
	for i < len(e.line) && isWordRune(e.line[i]) {
		i++
	}
	return i
}

func (e *Editor) bigWordStart() int {
	i := e.pos
	for i > 0 && unicode.IsSpace(e.line[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(e.line[i-1]) {
		i--
	}
	return i
}
