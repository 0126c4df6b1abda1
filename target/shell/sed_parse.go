package shell

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

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
