package shell

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vlab-sim/vlab/target/vfs"
)

var sedSpec = optSpec{short: "nrsEe:f:i::l:uz", version: "sed (GNU sed) 4.8", usage: "[OPTION]... {script-only-if-no-other-script} [input-file]...", long: map[string]string{
	"quiet": "n", "silent": "n", "expression": "e:", "file": "f:", "in-place": "i::",
	"regexp-extended": "E", "separate": "s", "line-length": "l:", "unbuffered": "u",
	"posix": "posix", "null-data": "z", "debug": "debug", "sandbox": "sandbox",
}}

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

// sedError is a script error, placed as GNU places it; status is sed's
// exit status for it (1, or 4 for a missing label, which GNU finds late).
type sedError struct {
	msg    string
	status int
}

func (e sedError) Error() string { return e.msg }

// sedParser reads a script: the -e expressions joined by newlines.
type sedParser struct {
	src    string
	pos    int
	starts []int // where each -e expression begins in src
	ere    bool
}

func (p *sedParser) fail(format string, args ...any) error {
	expr, start := 1, 0
	for i, s := range p.starts {
		if p.pos > s || i == 0 {
			expr, start = i+1, s
		}
	}
	return sedError{fmt.Sprintf("-e expression #%d, char %d: %s", expr, p.pos-start, fmt.Sprintf(format, args...)), 1}
}

func (p *sedParser) eof() bool { return p.pos >= len(p.src) }

func (p *sedParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *sedParser) get() byte {
	c := p.peek()
	p.pos++
	return c
}

func (p *sedParser) skipSpace() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
}

// parseSed compiles a script.
func parseSed(exprs []string, ere bool) ([]*sedCmd, error) {
	p := &sedParser{ere: ere}
	for i, e := range exprs {
		if i > 0 {
			p.src += "\n"
		}
		p.starts = append(p.starts, len(p.src))
		p.src += e
	}
	var prog []*sedCmd
	var open []int
	for {
		for !p.eof() && strings.IndexByte(" \t\n;", p.peek()) >= 0 {
			p.pos++
		}
		if p.eof() {
			break
		}
		if p.peek() == '#' {
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
			continue
		}
		c := &sedCmd{}
		var err error
		if c.a1, err = p.address(false); err != nil {
			return nil, err
		}
		if c.a1 != nil && p.peek() == ',' {
			p.pos++
			p.skipSpace()
			if c.a2, err = p.address(true); err != nil {
				return nil, err
			}
			if c.a2 == nil {
				p.pos++
				return nil, p.fail("unexpected `,'")
			}
		}
		if c.a1 != nil && c.a1.kind == 'n' && c.a1.n == 0 && (c.a2 == nil || c.a2.kind != 'r') {
			return nil, p.fail("invalid usage of line address 0")
		}
		p.skipSpace()
		for p.peek() == '!' {
			if c.neg {
				p.pos++
				return nil, p.fail("multiple `!'s")
			}
			c.neg = true
			p.pos++
			p.skipSpace()
		}
		if p.eof() {
			return nil, p.fail("missing command")
		}
		c.name = p.get()
		switch c.name {
		case '{':
			open = append(open, len(prog))
		case '}':
			if len(open) == 0 {
				return nil, p.fail("unexpected `}'")
			}
			if c.a1 != nil {
				return nil, p.fail("} doesn't want any addresses")
			}
			prog[open[len(open)-1]].jump = len(prog)
			open = open[:len(open)-1]
		case '=', 'd', 'D', 'g', 'G', 'h', 'H', 'l', 'n', 'N', 'p', 'P', 'x', 'z', 'F':
		case 'q', 'Q':
			if c.a2 != nil {
				return nil, p.fail("command only uses one address")
			}
			p.skipSpace()
			start := p.pos
			for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
				p.pos++
			}
			c.exit, _ = strconv.Atoi(p.src[start:p.pos])
		case 'a', 'i', 'c':
			if c.text, err = p.text(); err != nil {
				return nil, err
			}
		case ':':
			if c.a1 != nil {
				return nil, p.fail(": doesn't want any addresses")
			}
			c.text = p.label()
			if c.text == "" {
				return nil, p.fail("\":\" lacks a label")
			}
		case 'b', 't', 'T':
			c.text = p.label()
		case 'r', 'w':
			p.skipSpace()
			start := p.pos
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
			c.text = p.src[start:p.pos]
			if c.text == "" {
				return nil, p.fail("missing filename in r/R/w/W commands")
			}
		case 's':
			if err := p.subst(c); err != nil {
				return nil, err
			}
		case 'y':
			if err := p.translit(c); err != nil {
				return nil, err
			}
		default:
			return nil, p.fail("unknown command: `%c'", c.name)
		}
		prog = append(prog, c)
		p.skipSpace()
		if !p.eof() && strings.IndexByte(";\n}#", p.peek()) < 0 && strings.IndexByte("{aicrw:btT", c.name) < 0 {
			p.pos++
			return nil, p.fail("extra characters after command")
		}
	}
	if len(open) > 0 {
		p.pos = 0
		return nil, p.fail("unmatched `{'")
	}
	for _, c := range prog {
		if strings.IndexByte("btT", c.name) < 0 {
			continue
		}
		c.jump = len(prog)
		if c.text == "" {
			continue
		}
		found := false
		for j, d := range prog {
			if d.name == ':' && d.text == c.text {
				c.jump, found = j, true
			}
		}
		if !found {
			return nil, sedError{fmt.Sprintf("can't find label for jump to `%s'", c.text), 4}
		}
	}
	return prog, nil
}

// label reads a label: up to a newline or semicolon.
func (p *sedParser) label() string {
	p.skipSpace()
	start := p.pos
	for !p.eof() && p.peek() != '\n' && p.peek() != ';' {
		p.pos++
	}
	return strings.TrimSpace(p.src[start:p.pos])
}

// address reads an address, if there is one.
func (p *sedParser) address(second bool) (*sedAddr, error) {
	c := p.peek()
	switch {
	case c >= '0' && c <= '9':
		n := p.number()
		if p.peek() == '~' && !second {
			p.pos++
			return &sedAddr{kind: '~', n: n, step: p.number()}, nil
		}
		return &sedAddr{kind: 'n', n: n}, nil
	case c == '$':
		p.pos++
		return &sedAddr{kind: '$'}, nil
	case (c == '+' || c == '~') && second:
		p.pos++
		if p.peek() < '0' || p.peek() > '9' {
			return nil, p.fail("expected newer version of sed")
		}
		kind := byte('+')
		if c == '~' {
			kind = 'm'
		}
		return &sedAddr{kind: kind, n: p.number()}, nil
	case c == '/' || c == '\\':
		p.pos++
		delim := byte('/')
		if c == '\\' {
			delim = p.get()
		}
		raw, ok := p.delimited(delim, true)
		if !ok {
			return nil, p.fail("unterminated address regex")
		}
		flags := ""
		for p.peek() == 'I' || p.peek() == 'M' {
			flags += string(p.get())
		}
		a := &sedAddr{kind: 'r'}
		if raw == "" {
			a.empty = true
			return a, nil
		}
		re, err := p.compile(raw, flags)
		if err != nil {
			return nil, err
		}
		a.re = re
		return a, nil
	}
	return nil, nil
}

func (p *sedParser) number() int64 {
	start := p.pos
	for !p.eof() && p.peek() >= '0' && p.peek() <= '9' {
		p.pos++
	}
	n, _ := strconv.ParseInt(p.src[start:p.pos], 10, 64)
	return n
}

// delimited reads up to an unescaped delim; in a regular expression \delim
// stands for delim itself and \n for a newline, kept escaped.
func (p *sedParser) delimited(delim byte, regex bool) (string, bool) {
	var b strings.Builder
	for !p.eof() {
		c := p.get()
		switch {
		case c == delim:
			return b.String(), true
		case c == '\\' && !p.eof():
			d := p.get()
			switch {
			case d == delim:
				if regex && strings.IndexByte(".*[]^$+?(){}|", d) >= 0 {
					b.WriteByte('\\')
				}
				b.WriteByte(d)
			case d == '\n' && !regex:
				b.WriteString("\\\n")
			default:
				b.WriteByte('\\')
				b.WriteByte(d)
			}
		case c == '\n' && regex:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// compile translates and compiles a sed regular expression with its flags
// (I, M); . matches a newline in the pattern space, as in GNU sed.
func (p *sedParser) compile(raw, flags string) (*regexp.Regexp, error) {
	t, err := posixRegexp(raw, p.ere)
	if err != nil {
		return nil, p.fail("%s", err)
	}
	prefix := "(?s"
	if strings.ContainsAny(flags, "Ii") {
		prefix += "i"
	}
	if strings.ContainsAny(flags, "Mm") {
		prefix += "m"
	}
	re, err := regexp.Compile(prefix + ")" + t)
	if err != nil {
		return nil, p.fail("%s", regexpMessage(err))
	}
	re.Longest()
	return re, nil
}

// text reads the text of a, i and c: GNU's one-line form (a text, leading
// blanks dropped) or POSIX's (a\ then the text on the next lines, a
// backslash continuing it; blanks after a\ kept).
func (p *sedParser) text() (string, error) {
	p.skipSpace()
	slash := p.peek() == '\\'
	if slash {
		p.pos++
		if p.peek() == '\n' {
			p.pos++
		}
	}
	var b strings.Builder
	for !p.eof() {
		c := p.get()
		if c == '\n' {
			break
		}
		if c == '\\' && !p.eof() {
			if c = p.get(); c == 't' {
				c = '\t'
			}
		}
		b.WriteByte(c)
	}
	switch {
	case b.Len() > 0:
		return b.String() + "\n", nil
	case slash:
		return "", nil
	}
	return "", p.fail("expected \\ after `a', `c' or `i'")
}

// subst reads an s command.
func (p *sedParser) subst(c *sedCmd) error {
	if p.eof() {
		return p.fail("unterminated `s' command")
	}
	delim := p.get()
	if delim == '\n' || delim == '\\' {
		return p.fail("unterminated `s' command")
	}
	raw, ok := p.delimited(delim, true)
	if !ok {
		return p.fail("unterminated `s' command")
	}
	rhs, ok := p.delimited(delim, false)
	if !ok {
		return p.fail("unterminated `s' command")
	}
	flags := ""
	c.nth = 1
	for !p.eof() {
		f := p.peek()
		switch {
		case f == 'g':
			c.global = true
		case f == 'p':
			c.print++
		case f == 'i' || f == 'I' || f == 'm' || f == 'M':
			flags += string(f)
		case f >= '1' && f <= '9':
			c.nth = int(p.number())
			continue
		case f == 'w':
			p.pos++
			p.skipSpace()
			start := p.pos
			for !p.eof() && p.peek() != '\n' {
				p.pos++
			}
			c.wfile = p.src[start:p.pos]
			continue
		case f == 'e':
			p.pos++
			return p.fail("the e flag of s is not supported on this simulated instance")
		case strings.IndexByte(" \t;\n}#", f) >= 0:
			goto done
		default:
			p.pos++
			return p.fail("unknown option to `s'")
		}
		p.pos++
	}
done:
	if raw == "" {
		c.reNone = true
	} else {
		re, err := p.compile(raw, flags)
		if err != nil {
			return err
		}
		c.re = re
	}
	pieces, maxRef := sedReplacement(rhs)
	if c.re != nil && maxRef > c.re.NumSubexp() {
		return p.fail("invalid reference \\%d on `s' command's RHS", maxRef)
	}
	c.repl = pieces
	return nil
}

// sedReplacement splits an s command's replacement into pieces, and
// returns the highest group it refers to.
func sedReplacement(rhs string) ([]sedPiece, int) {
	var out []sedPiece
	var lit strings.Builder
	maxRef := 0
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, sedPiece{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(rhs); i++ {
		c := rhs[i]
		switch {
		case c == '&':
			flush()
			out = append(out, sedPiece{group: 0})
		case c == '\\' && i+1 < len(rhs):
			i++
			d := rhs[i]
			switch {
			case d >= '0' && d <= '9':
				flush()
				out = append(out, sedPiece{group: int(d - '0')})
				maxRef = max(maxRef, int(d-'0'))
			case d == 'n':
				lit.WriteByte('\n')
			case d == 't':
				lit.WriteByte('\t')
			case strings.IndexByte("ULEul", d) >= 0:
				flush()
				out = append(out, sedPiece{group: -1, conv: d})
			default:
				lit.WriteByte(d)
			}
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out, maxRef
}

// translit reads a y command.
func (p *sedParser) translit(c *sedCmd) error {
	delim := p.get()
	src, ok1 := p.delimited(delim, false)
	dst, ok2 := p.delimited(delim, false)
	if !ok1 || !ok2 {
		return p.fail("unterminated `y' command")
	}
	unescape := func(s string) []rune {
		var out []rune
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == '\\' && i+1 < len(s) {
				switch s[i+1] {
				case 'n':
					r = '\n'
				case 't':
					r = '\t'
				default:
					r = rune(s[i+1])
				}
				n = 2
			}
			out = append(out, r)
			i += n
		}
		return out
	}
	a, b := unescape(src), unescape(dst)
	if len(a) != len(b) {
		return p.fail("strings for `y' command are different lengths")
	}
	c.ymap = map[rune]rune{}
	for i := range a {
		c.ymap[a[i]] = b[i]
	}
	return nil
}

// sedInput is the stream of lines sed reads, across its files (or one file
// with -s and -i); it reads a line ahead to know which is the last.
type sedInput struct {
	ctx    context.Context
	in     *inputs
	out    *bufio.Writer // flushed before each read: a failed write ends the run
	names  []string
	lr     *lineReader
	closer func()
	cur    string // the file being read
	next   []byte
	nextNL bool
	have   bool
	failed func(name string, err error)
	err    error // a failed read or write that ends the run
}

// fill reads the next line ahead, opening the next files as needed.
func (s *sedInput) fill() {
	for !s.have && s.err == nil {
		if s.lr == nil {
			if len(s.names) == 0 {
				return
			}
			name := s.names[0]
			s.names = s.names[1:]
			r, closeFile, err := s.in.open(name)
			if err != nil {
				s.failed(name, err)
				continue
			}
			s.lr, s.closer, s.cur = newLineReader(r, s.out), closeFile, name
		}
		line, err := s.lr.next()
		if err == io.EOF {
			s.closer()
			s.lr = nil
			continue
		}
		if err != nil {
			var we writeError
			if errors.As(err, &we) || interrupted(s.ctx, err) {
				s.err = err
				return
			}
			s.failed(s.cur, err)
			s.closer()
			s.lr = nil
			continue
		}
		body, nl := chomp(line)
		s.next, s.nextNL, s.have = append(s.next[:0], body...), nl, true
	}
}

// read returns the next line, and whether it ended with a newline.
func (s *sedInput) read(into []byte) ([]byte, bool, bool) {
	s.fill()
	if !s.have {
		return into, false, false
	}
	s.have = false
	return append(into, s.next...), s.nextNL, true
}

// last reports whether no line follows.
func (s *sedInput) last() bool {
	s.fill()
	return !s.have
}

func (s *sedInput) close() {
	if s.lr != nil {
		s.closer()
		s.lr = nil
	}
}

// sedRun is a script running over its input.
type sedRun struct {
	ctx     context.Context
	o       IO
	prog    []*sedCmd
	quiet   bool
	in      *sedInput
	out     *bufio.Writer
	ps, hs  []byte
	psNL    bool // the line in the pattern space ended with a newline
	missing bool // the last output lacked its newline
	lineNo  int64
	appends []sedAppend
	tflag   bool
	lastRE  *regexp.Regexp
	wfiles  map[string]io.Writer
	quit    bool
	exit    int
}

type sedAppend struct {
	text string
	file string
}

// cmdSed runs a sed script over its files or standard input.
func cmdSed(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := sedSpec.parse(o, "sed", args[1:])
	if !ok {
		return st
	}
	var exprs []string
	quiet, ere, separate, inPlace, suffix := false, false, false, false, ""
	for _, op := range opts {
		switch op.key {
		case "n":
			quiet = true
		case "r", "E":
			ere = true
		case "s":
			separate = true
		case "e":
			exprs = append(exprs, op.val)
		case "f":
			data, err := o.FS.ReadFile(o.Path(op.val))
			if err != nil {
				o.Errorf("sed", "couldn't open file %s: %s", op.val, strerror(err))
				return 1
			}
			exprs = append(exprs, strings.TrimSuffix(string(data), "\n"))
		case "i":
			inPlace, separate, suffix = true, true, op.val
		case "z":
			o.Errorf("sed", "-z is not supported on this simulated instance")
			return 1
		}
	}
	if len(exprs) == 0 {
		if len(operands) == 0 {
			fmt.Fprintln(o.Stderr, "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...")
			return 1
		}
		exprs, operands = operands[:1], operands[1:]
	}
	if strings.HasPrefix(exprs[0], "#n\n") || exprs[0] == "#n" {
		quiet = true
	}
	prog, err := parseSed(exprs, ere)
	if err != nil {
		o.Errorf("sed", "%s", err)
		if se, ok := err.(sedError); ok {
			return se.status
		}
		return 1
	}
	if len(operands) == 0 {
		if inPlace {
			o.Errorf("sed", "no input files")
			return 1
		}
		operands = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	status := 0
	r := &sedRun{ctx: ctx, o: o, prog: prog, quiet: quiet, wfiles: map[string]io.Writer{}}
	if st := r.openWfiles(); st != 0 {
		return st
	}
	failed := func(name string, err error) {
		o.Errorf("sed", "can't read %s: %s", name, strerror(err))
		status = 2
	}
	stdout := bufio.NewWriterSize(o.Stdout, bufSize)
	streams := [][]string{operands}
	if separate {
		streams = nil
		for _, name := range operands {
			streams = append(streams, []string{name})
		}
	}
	defer r.closeWfiles()
	for _, names := range streams {
		r.in = &sedInput{ctx: ctx, in: in, names: names, failed: failed, out: stdout}
		r.lineNo = 0
		for _, c := range prog {
			c.active = false
		}
		if !inPlace {
			r.out = stdout
			r.run()
			r.in.close()
		} else if st := r.inPlace(names[0], suffix, failed); st != 0 {
			return st
		}
		if r.in.err != nil {
			return readFailed(ctx, o, "sed", r.in.cur, r.in.err)
		}
		if r.quit {
			break
		}
	}
	if err := stdout.Flush(); err != nil {
		return writeFailed(o, "sed", err)
	}
	if r.exit != 0 {
		return r.exit
	}
	return status
}

// openWfiles creates the files w commands write to, as sed does before it
// reads any input.
func (r *sedRun) openWfiles() int {
	for _, c := range r.prog {
		name := c.wfile
		if c.name == 'w' {
			name = c.text
		}
		if name == "" || r.wfiles[name] != nil {
			continue
		}
		switch name {
		case "/dev/stdout":
			r.wfiles[name] = r.o.Stdout
			continue
		case "/dev/stderr":
			r.wfiles[name] = r.o.Stderr
			continue
		}
		f, err := r.o.FS.OpenFile(r.o.Path(name), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			r.o.Errorf("sed", "couldn't open file %s: %s", name, strerror(err))
			return 4
		}
		r.wfiles[name] = f
	}
	return 0
}

func (r *sedRun) closeWfiles() {
	for _, w := range r.wfiles {
		if f, ok := w.(*vfs.File); ok {
			f.Close()
		}
	}
}

// inPlace runs the script over one file, writing a temporary file beside
// it that then replaces it, as sed -i does.
func (r *sedRun) inPlace(name, suffix string, failed func(string, error)) int {
	o := r.o
	fi, err := statName(o, name)
	if err == nil {
		// Unreadable, the file must stay as it is: find out before the
		// temporary file replaces it.
		var f *vfs.File
		if f, err = openFile(o, name); err == nil {
			f.Close()
		}
	}
	if err != nil {
		failed(name, err)
		return 0
	}
	if !fi.Mode().IsRegular() {
		o.Errorf("sed", "couldn't edit %s: not a regular file", name)
		return 4
	}
	dir := path.Dir(name)
	var rnd [6]byte
	rand.Read(rnd[:])
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for i := range rnd {
		rnd[i] = letters[int(rnd[i])%len(letters)]
	}
	tmp := dir + "/sed" + string(rnd[:])
	f, err := o.FS.OpenFile(o.Path(tmp), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_EXCL, fi.Mode().Perm())
	if err != nil {
		o.Errorf("sed", "couldn't open temporary file %s: %s", tmp, strerror(err))
		return 4
	}
	r.out = bufio.NewWriterSize(f, bufSize)
	r.in.out, r.missing = r.out, false
	r.run()
	r.in.close()
	werr := r.out.Flush()
	f.Close()
	if werr != nil || r.in.err != nil {
		o.FS.Remove(o.Path(tmp))
		if werr != nil {
			o.Errorf("sed", "couldn't write to %s: %s", tmp, strerror(werr))
			return 4
		}
		return 0
	}
	if suffix != "" {
		backup := name + suffix
		if strings.Contains(suffix, "*") {
			backup = path.Join(dir, strings.ReplaceAll(suffix, "*", path.Base(name)))
		}
		if err := o.FS.Rename(o.Path(name), o.Path(backup)); err != nil {
			o.Errorf("sed", "cannot rename %s: %s", name, strerror(err))
			return 4
		}
	}
	if err := o.FS.Rename(o.Path(tmp), o.Path(name)); err != nil {
		o.Errorf("sed", "cannot rename %s: %s", tmp, strerror(err))
		o.FS.Remove(o.Path(tmp))
		return 4
	}
	return 0
}

// run runs the cycles over the input until it ends or q.
func (r *sedRun) run() {
	for !r.quit {
		var ok bool
		r.ps, r.psNL, ok = r.in.read(r.ps[:0])
		if !ok {
			return
		}
		r.lineNo++
		r.cycle()
	}
}

// emit writes text and a newline, first the newline an earlier output
// lacked.
func (r *sedRun) emit(text []byte, nl bool) {
	if r.missing {
		r.out.WriteByte('\n')
		r.missing = false
	}
	r.out.Write(text)
	if nl {
		r.out.WriteByte('\n')
	} else {
		r.missing = true
	}
}

// cycle runs the script over the pattern space, then prints it.
func (r *sedRun) cycle() {
	autoprint := !r.quiet
	r.tflag = false
	steps := 0
	for pc := 0; pc < len(r.prog); pc++ {
		if steps++; steps%4096 == 0 && r.ctx.Err() != nil {
			r.in.err, r.quit = r.ctx.Err(), true
			return
		}
		c := r.prog[pc]
		if !r.selected(c) {
			if c.name == '{' {
				pc = c.jump
			}
			continue
		}
		switch c.name {
		case '{', '}', ':':
		case '=':
			fmt.Fprintf(r.out, "%d\n", r.lineNo)
		case 'a':
			r.appends = append(r.appends, sedAppend{text: c.text})
		case 'r':
			r.appends = append(r.appends, sedAppend{file: c.text})
		case 'i':
			r.emit([]byte(c.text), false)
			r.missing = false
		case 'c':
			if c.a2 == nil || c.neg || !c.active {
				r.emit([]byte(c.text), false)
				r.missing = false
			}
			r.endCycle(false)
			return
		case 'd':
			r.endCycle(false)
			return
		case 'D':
			i := bytes.IndexByte(r.ps, '\n')
			if i < 0 {
				r.endCycle(false)
				return
			}
			r.ps = append(r.ps[:0], r.ps[i+1:]...)
			r.flushAppends()
			pc, r.tflag = -1, false
		case 'g':
			r.ps = append(r.ps[:0], r.hs...)
		case 'G':
			r.ps = append(append(r.ps, '\n'), r.hs...)
		case 'h':
			r.hs = append(r.hs[:0], r.ps...)
		case 'H':
			r.hs = append(append(r.hs, '\n'), r.ps...)
		case 'x':
			r.ps, r.hs = r.hs, r.ps
		case 'z':
			r.ps = r.ps[:0]
		case 'l':
			r.list()
		case 'F':
			name := r.in.cur
			fmt.Fprintf(r.out, "%s\n", name)
		case 'n':
			if r.in.last() {
				r.quit = true
				r.endCycle(autoprint)
				return
			}
			if autoprint {
				r.emit(r.ps, r.psNL)
			}
			r.flushAppends()
			r.ps, r.psNL, _ = r.in.read(r.ps[:0])
			r.lineNo++
		case 'N':
			if r.in.last() {
				r.quit = true
				r.endCycle(autoprint)
				return
			}
			r.flushAppends()
			r.ps = append(r.ps, '\n')
			r.ps, r.psNL, _ = r.in.read(r.ps)
			r.lineNo++
		case 'p':
			r.emit(r.ps, r.psNL)
		case 'P':
			if i := bytes.IndexByte(r.ps, '\n'); i >= 0 {
				r.emit(r.ps[:i], true)
			} else {
				r.emit(r.ps, r.psNL)
			}
		case 'q':
			r.quit, r.exit = true, c.exit
			r.endCycle(autoprint)
			return
		case 'Q':
			r.quit, r.exit = true, c.exit
			return
		case 's':
			r.subst(c)
		case 'y':
			var b []byte
			for _, ch := range string(r.ps) {
				if to, ok := c.ymap[ch]; ok {
					ch = to
				}
				b = utf8.AppendRune(b, ch)
			}
			r.ps = b
		case 'b':
			pc = c.jump
		case 't':
			if r.tflag {
				r.tflag = false
				pc = c.jump
			}
		case 'T':
			if !r.tflag {
				pc = c.jump
			} else {
				r.tflag = false
			}
		case 'w':
			r.writeTo(c.text)
		}
	}
	r.endCycle(autoprint)
}

// endCycle prints the pattern space (unless deleted or -n) and what a and
// r queued.
func (r *sedRun) endCycle(print bool) {
	if print {
		r.emit(r.ps, r.psNL)
	}
	r.flushAppends()
}

func (r *sedRun) flushAppends() {
	for _, a := range r.appends {
		if a.file == "" {
			r.emit([]byte(a.text), false)
			r.missing = false
			continue
		}
		if data, err := r.o.FS.ReadFile(r.o.Path(a.file)); err == nil && len(data) > 0 {
			r.emit(data, false)
			r.missing = data[len(data)-1] != '\n'
		}
	}
	r.appends = r.appends[:0]
}

func (r *sedRun) writeTo(name string) {
	w := r.wfiles[name]
	if w == nil {
		return
	}
	if w == r.o.Stdout {
		r.emit(r.ps, true)
		return
	}
	w.Write(append(append([]byte(nil), r.ps...), '\n'))
}

// list prints the pattern space unambiguously (l).
func (r *sedRun) list() {
	var b strings.Builder
	col := 0
	put := func(s string) {
		if col+len(s) > 69 {
			b.WriteString("\\\n")
			col = 0
		}
		b.WriteString(s)
		col += len(s)
	}
	for _, c := range r.ps {
		switch {
		case c == '\\':
			put(`\\`)
		case c == '\a':
			put(`\a`)
		case c == '\b':
			put(`\b`)
		case c == '\f':
			put(`\f`)
		case c == '\n':
			put(`\n`)
		case c == '\r':
			put(`\r`)
		case c == '\t':
			put(`\t`)
		case c == '\v':
			put(`\v`)
		case c < 32 || c >= 127:
			put(fmt.Sprintf("\\%03o", c))
		default:
			put(string(c))
		}
	}
	b.WriteString("$")
	r.emit([]byte(b.String()), true)
}

// selected evaluates a command's address for the current line, moving its
// range along.
func (r *sedRun) selected(c *sedCmd) bool {
	return r.matchAddr(c) != c.neg
}

func (r *sedRun) matchAddr(c *sedCmd) bool {
	if c.a1 == nil {
		return true
	}
	if c.a2 == nil {
		return r.match(c.a1)
	}
	if c.active {
		switch c.a2.kind {
		case 'r':
			if r.match(c.a2) {
				c.active = false
			}
		case '$':
			if r.in.last() {
				c.active = false
			}
		default:
			if r.lineNo >= c.rangeEnd {
				c.active = false
			}
		}
		return true
	}
	start := r.match(c.a1)
	if c.a1.kind == 'n' && c.a1.n == 0 && r.lineNo == 1 {
		// 0,/re/: the end may be the first line.
		c.active = true
		if r.match(c.a2) {
			c.active = false
		}
		return true
	}
	if !start {
		return false
	}
	switch c.a2.kind {
	case 'n':
		c.rangeEnd = c.a2.n
		c.active = c.a2.n > r.lineNo
	case '+':
		c.rangeEnd = r.lineNo + c.a2.n
		c.active = c.a2.n > 0
	case 'm':
		end := r.lineNo
		if c.a2.n > 0 {
			end = (r.lineNo + c.a2.n - 1) / c.a2.n * c.a2.n
		}
		c.rangeEnd = end
		c.active = end > r.lineNo
	case '$':
		c.active = !r.in.last()
	default:
		c.active = true
	}
	return true
}

// match tests a single address against the current line.
func (r *sedRun) match(a *sedAddr) bool {
	switch a.kind {
	case 'n':
		return r.lineNo == a.n
	case '$':
		return r.in.last()
	case '~':
		if a.step <= 0 {
			return r.lineNo == a.n
		}
		return r.lineNo >= a.n && (r.lineNo-a.n)%a.step == 0
	case 'r':
		re := a.re
		if a.empty {
			re = r.lastRE
		}
		if re == nil {
			return false
		}
		r.lastRE = re
		return re.Match(r.ps)
	}
	return false
}

// subst runs an s command on the pattern space.
func (r *sedRun) subst(c *sedCmd) {
	re := c.re
	if c.reNone {
		re = r.lastRE
	}
	if re == nil {
		return
	}
	r.lastRE = re
	ms := re.FindAllSubmatchIndex(r.ps, -1)
	if len(ms) < c.nth {
		return
	}
	var out []byte
	prev := 0
	for _, m := range ms[c.nth-1:] {
		out = append(out, r.ps[prev:m[0]]...)
		out = appendReplacement(out, c.repl, r.ps, m)
		prev = m[1]
		if !c.global {
			break
		}
	}
	r.ps = append(out, r.ps[prev:]...)
	r.tflag = true
	for range c.print {
		r.emit(r.ps, r.psNL)
	}
	if c.wfile != "" {
		r.writeTo(c.wfile)
	}
}

// appendReplacement builds one match's replacement, with GNU's case
// conversions.
func appendReplacement(out []byte, pieces []sedPiece, src []byte, m []int) []byte {
	var mode, once byte
	add := func(s []byte) {
		for _, ch := range string(s) {
			switch {
			case once == 'u':
				ch, once = unicode.ToUpper(ch), 0
			case once == 'l':
				ch, once = unicode.ToLower(ch), 0
			case mode == 'U':
				ch = unicode.ToUpper(ch)
			case mode == 'L':
				ch = unicode.ToLower(ch)
			}
			out = utf8.AppendRune(out, ch)
		}
	}
	for _, p := range pieces {
		switch {
		case p.conv == 'U' || p.conv == 'L':
			mode, once = p.conv, 0
		case p.conv == 'E':
			mode, once = 0, 0
		case p.conv != 0:
			once = p.conv
		case p.group < 0:
			if mode == 0 && once == 0 {
				out = append(out, p.lit...)
			} else {
				add([]byte(p.lit))
			}
		case 2*p.group+1 < len(m) && m[2*p.group] >= 0:
			g := src[m[2*p.group]:m[2*p.group+1]]
			if mode == 0 && once == 0 {
				out = append(out, g...)
			} else {
				add(g)
			}
		}
	}
	return out
}
