package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var grepSpec = optSpec{short: "A:B:C:EFGHLPRUace:f:hilm:noqrsvwxyZz", bad: 2, usageOnError: true, version: "grep (GNU grep) 3.8", usage: "[OPTION]... PATTERNS [FILE]...", long: map[string]string{
	"after-context": "A:", "before-context": "B:", "context": "C:", "extended-regexp": "E",
	"fixed-strings": "F", "basic-regexp": "G", "perl-regexp": "P", "with-filename": "H", "files-without-match": "L",
	"dereference-recursive": "R", "text": "a", "count": "c", "regexp": "e:", "file": "f:",
	"no-filename": "h", "ignore-case": "i", "files-with-matches": "l", "max-count": "m:",
	"line-number": "n", "only-matching": "o", "quiet": "q", "silent": "q", "recursive": "r",
	"no-messages": "s", "invert-match": "v", "word-regexp": "w", "line-regexp": "x",
	"color": "color::", "colour": "color::", "include": "include:", "exclude": "exclude:",
	"exclude-dir": "exclude-dir:", "null": "Z", "no-ignore-case": "no-ignore-case",
	"binary-files": "binary-files:",
}}

// grep is one run's settings and results.
type grep struct {
	ctx     context.Context
	o       IO
	out     *bufio.Writer
	re      *regexp.Regexp
	word    bool // -w: matches must stand as words
	invert  bool
	count   bool
	only    bool
	quiet   bool
	listing byte // 'l' or 'L': print names only
	number  bool
	names   bool
	text    bool // -a: binary files as text
	noMsgs  bool
	maxCnt  int64
	after   int
	before  int
	recurse bool
	include []string
	exclude []string
	exDirs  []string
	// results
	matched  bool
	errors   bool
	lastOut  int64 // the number of the last line printed, for "--"
	printed  bool
	stopping bool // -q matched: the whole run ends
}

// cmdGrep prints the lines of its files that match a pattern: status 0 when
// a line was selected, 1 when none was, 2 on an error.
func cmdGrep(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := grepSpec.parse(o, "grep", args[1:])
	if !ok {
		return st
	}
	g := &grep{ctx: ctx, o: o, maxCnt: -1}
	mode := byte('G')
	switch args[0] {
	case "egrep":
		mode = 'E'
	case "fgrep":
		mode = 'F'
	}
	var patterns []string
	havePatterns := false
	ignoreCase, line, withNames := false, false, 0
	for _, op := range opts {
		switch op.key {
		case "E", "F", "G", "P":
			mode = op.key[0]
		case "e":
			patterns = append(patterns, strings.Split(op.val, "\n")...)
			havePatterns = true
		case "f":
			var data []byte
			var err error
			if op.val == "-" {
				data, err = io.ReadAll(io.LimitReader(o.Stdin, maxBuffered))
			} else {
				data, err = o.FS.ReadFile(o.Path(op.val))
			}
			if err != nil {
				o.Errorf("grep", "%s: %s", op.val, strerror(err))
				return 2
			}
			if s := strings.TrimSuffix(string(data), "\n"); len(data) > 0 {
				patterns = append(patterns, strings.Split(s, "\n")...)
			}
			havePatterns = true
		case "i", "y":
			ignoreCase = true
		case "no-ignore-case":
			ignoreCase = false
		case "v":
			g.invert = true
		case "c":
			g.count = true
		case "o":
			g.only = true
		case "q":
			g.quiet = true
		case "l", "L":
			g.listing = op.key[0]
		case "n":
			g.number = true
		case "H":
			withNames = 1
		case "h":
			withNames = -1
		case "a":
			g.text = true
		case "s":
			g.noMsgs = true
		case "w":
			g.word = true
		case "x":
			line = true
		case "r", "R":
			g.recurse = true
		case "m":
			n, err := strconv.ParseInt(op.val, 10, 64)
			if err != nil {
				o.Errorf("grep", "invalid max count")
				return 2
			}
			g.maxCnt = n
		case "A", "B", "C":
			n, err := strconv.Atoi(op.val)
			if err != nil || n < 0 {
				o.Errorf("grep", "%s: invalid context length argument", op.val)
				return 2
			}
			if op.key != "B" {
				g.after = n
			}
			if op.key != "A" {
				g.before = n
			}
		case "include":
			g.include = append(g.include, op.val)
		case "exclude":
			g.exclude = append(g.exclude, op.val)
		case "exclude-dir":
			g.exDirs = append(g.exDirs, op.val)
		case "binary-files":
			g.text = op.val == "text"
		}
	}
	if !havePatterns {
		if len(operands) == 0 {
			fmt.Fprintln(o.Stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...")
			return usageError(o, "grep", 2, "")
		}
		patterns = strings.Split(operands[0], "\n")
		operands = operands[1:]
	}
	re, err := grepRegexp(patterns, mode, ignoreCase, line, g.word)
	if err != nil {
		o.Errorf("grep", "%s", err)
		return 2
	}
	g.re = re
	implicit := len(operands) == 0 && g.recurse
	if len(operands) == 0 {
		if g.recurse {
			operands = []string{"."}
		} else {
			operands = []string{"-"}
		}
	}
	g.names = withNames == 1 || withNames == 0 && (len(operands) > 1 || g.recurse)
	g.out = bufio.NewWriterSize(o.Stdout, bufSize)
	in := newInputs(ctx, o)
	defer in.close()
	for _, name := range operands {
		if st := g.operand(in, name, implicit); st != 0 {
			return st
		}
		if g.stopping {
			break
		}
	}
	if err := g.out.Flush(); err != nil {
		return writeFailed(o, "grep", err)
	}
	switch {
	case g.matched && (g.quiet || !g.errors):
		return 0
	case g.errors:
		return 2
	}
	return 1
}

// grepRegexp compiles grep's patterns into one expression.
func grepRegexp(patterns []string, mode byte, ignoreCase, line, word bool) (*regexp.Regexp, error) {
	var alts []string
	for _, p := range patterns {
		switch mode {
		case 'F':
			alts = append(alts, regexp.QuoteMeta(p))
			continue
		case 'P':
			// Perl's syntax is Go's, but for what RE2 leaves out
			// (look-around, back-references), which fails to compile.
			alts = append(alts, p)
			continue
		}
		t, err := posixRegexp(p, mode == 'E')
		if err != nil {
			return nil, err
		}
		alts = append(alts, t)
	}
	expr := "(?:" + strings.Join(alts, ")|(?:") + ")"
	switch {
	case len(patterns) == 0:
		expr = `[^\x00-\x{10FFFF}]` // no pattern matches nothing
	case line:
		expr = "^(?:" + expr + ")$"
	case word:
		// The word's left edge is consumed by the match; its right edge
		// is checked after.
		expr = `(?:^|[^\pL\pN_])(` + expr + ")"
	}
	if ignoreCase {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, errors.New(regexpMessage(err))
	}
	re.Longest()
	return re, nil
}

// operand searches one file operand, a directory's files with -r.
// implicit is grep -r without operands: names print without "./".
func (g *grep) operand(in *inputs, name string, implicit bool) int {
	if name != "-" {
		fi, err := statName(g.o, name)
		if err == nil && fi.IsDir() {
			if !g.recurse {
				g.complain("%s: Is a directory", name)
				return 0
			}
			return g.walk(in, name, implicit)
		}
	}
	return g.file(in, name, name)
}

func (g *grep) walk(in *inputs, dir string, implicit bool) int {
	entries, err := g.o.FS.ReadDir(g.o.Path(dir))
	if err != nil {
		g.complain("%s: %s", dir, strerror(err))
		return 0
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		switch {
		case implicit:
			p = e.Name()
		case strings.HasSuffix(dir, "/"):
			p = dir + e.Name()
		}
		if e.IsDir() {
			if globAny(g.exDirs, e.Name()) {
				continue
			}
			if st := g.walk(in, p, false); st != 0 {
				return st
			}
		} else {
			if len(g.include) > 0 && !globAny(g.include, e.Name()) || globAny(g.exclude, e.Name()) {
				continue
			}
			if !e.Type().IsRegular() {
				continue // devices are skipped unless named
			}
			if st := g.file(in, p, p); st != 0 {
				return st
			}
		}
		if g.stopping {
			return 0
		}
	}
	return 0
}

func globAny(globs []string, name string) bool {
	for _, p := range globs {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// complain reports a file's error unless -s, and marks the run as failed.
func (g *grep) complain(format string, args ...any) {
	g.errors = true
	if !g.noMsgs {
		g.o.Errorf("grep", format, args...)
	}
}

// file searches one input; a non-zero status ends the whole run.
func (g *grep) file(in *inputs, name, label string) int {
	if !g.quietOutput() && isOutput(g.o, name) {
		g.complain("%s: input file is also the output", name)
		return 0
	}
	r, closeFile, err := in.open(name)
	if err != nil {
		g.complain("%s: %s", name, strerror(err))
		return 0
	}
	defer closeFile()
	if name == "-" {
		label = "(standard input)"
	}
	lr := newLineReader(r, g.out)
	// A NUL in what the first read brought makes the file binary, as in
	// GNU's grep; looking further ahead would wait on a slow pipe.
	binary, checked := false, g.text
	var count, lineNo int64
	var ring [][]byte // -B: the lines before, held
	var ringNo []int64
	afterLeft := 0
	g.lastOut = -1 // a new file's first group is apart from the last one's
	binaryMatch := false
	for {
		if g.maxCnt >= 0 && count >= g.maxCnt {
			// Stopped by -m: the trailing context still prints.
			for ; afterLeft > 0 && !binary; afterLeft-- {
				line, err := lr.next()
				if err != nil {
					break
				}
				lineNo++
				body, _ := chomp(line)
				g.emit(label, lineNo, body, '-')
			}
			break
		}
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var we writeError
			if errors.As(err, &we) {
				return writeFailed(g.o, "grep", we.err)
			}
			if interrupted(g.ctx, err) {
				return statusInterrupted
			}
			g.complain("%s: %s", name, strerror(err))
			return 0
		}
		if !checked {
			ahead, _ := lr.br.Peek(lr.br.Buffered())
			binary, checked = bytes.IndexByte(line, 0) >= 0 || bytes.IndexByte(ahead, 0) >= 0, true
		}
		lineNo++
		body, _ := chomp(line)
		sel := g.match(body) != g.invert
		if !sel {
			if afterLeft > 0 && !g.quietOutput() && !binary {
				afterLeft--
				g.emit(label, lineNo, body, '-')
			} else if g.before > 0 {
				if len(ring) == g.before {
					ring, ringNo = ring[1:], ringNo[1:]
				}
				ring = append(ring, append([]byte(nil), body...))
				ringNo = append(ringNo, lineNo)
			}
			continue
		}
		count++
		g.matched = true
		if g.quiet {
			g.stopping = true
			return 0
		}
		if g.listing != 0 {
			break
		}
		if g.count {
			continue
		}
		if !g.text && (binary || bytes.IndexByte(body, 0) >= 0 || !utf8.Valid(body)) {
			binaryMatch = true
			break
		}
		for i, l := range ring {
			g.emit(label, ringNo[i], l, '-')
		}
		ring, ringNo = ring[:0], ringNo[:0]
		if g.only {
			g.emitMatches(label, lineNo, body)
		} else {
			g.emit(label, lineNo, body, ':')
		}
		afterLeft = g.after
	}
	switch {
	case g.count:
		if g.names {
			fmt.Fprintf(g.out, "%s:", label)
		}
		fmt.Fprintf(g.out, "%d\n", count)
	case g.listing == 'l' && count > 0, g.listing == 'L' && count == 0:
		fmt.Fprintln(g.out, label)
	case binaryMatch:
		if err := g.out.Flush(); err != nil {
			return writeFailed(g.o, "grep", err)
		}
		g.o.Errorf("grep", "%s: binary file matches", label)
	}
	return 0
}

// quietOutput is whether lines are not printed at all.
func (g *grep) quietOutput() bool { return g.count || g.listing != 0 || g.quiet }

// match reports whether a line has a match.
func (g *grep) match(line []byte) bool {
	if !g.word {
		return g.re.Match(line)
	}
	return len(g.matches(line)) > 0
}

// matches lists the spans of a line's matches.
func (g *grep) matches(line []byte) [][2]int {
	var out [][2]int
	if !g.word {
		for _, m := range g.re.FindAllIndex(line, -1) {
			out = append(out, [2]int{m[0], m[1]})
		}
		return out
	}
	for _, m := range g.re.FindAllSubmatchIndex(line, -1) {
		s, e := m[2], m[3]
		if e < len(line) {
			r, _ := utf8.DecodeRune(line[e:])
			if isWordRune(r) {
				continue
			}
		}
		out = append(out, [2]int{s, e})
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != utf8.RuneError
}

// emit prints a line with its prefix; sep is ':' for a selected line, '-'
// for context.
func (g *grep) emit(label string, no int64, body []byte, sep byte) {
	if g.after > 0 || g.before > 0 {
		if g.printed && no > g.lastOut+1 {
			g.out.WriteString("--\n")
		}
		g.lastOut, g.printed = no, true
	}
	g.prefix(label, no, sep)
	g.out.Write(body)
	g.out.WriteByte('\n')
}

func (g *grep) prefix(label string, no int64, sep byte) {
	if g.names {
		g.out.WriteString(label)
		g.out.WriteByte(sep)
	}
	if g.number {
		g.out.WriteString(strconv.FormatInt(no, 10))
		g.out.WriteByte(sep)
	}
}

// emitMatches prints each non-empty match of a line on a line of its own
// (-o).
func (g *grep) emitMatches(label string, no int64, body []byte) {
	if g.invert {
		return
	}
	for _, m := range g.matches(body) {
		if m[0] == m[1] {
			continue
		}
		g.prefix(label, no, ':')
		g.out.Write(body[m[0]:m[1]])
		g.out.WriteByte('\n')
	}
}
