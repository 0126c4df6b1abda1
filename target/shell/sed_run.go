package shell

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
