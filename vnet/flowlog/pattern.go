package flowlog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Pattern is a CloudWatch Logs filter pattern for space-delimited events
// (CloudWatch Logs User Guide, "Filter pattern syntax"): either a bracketed
// list of fields matched by position ([version, account, eni,
// source="203.0.113.10", ...]) or plain terms (ACCEPT, "203.0.113.10",
// -term, ?term, %regex%). Matching is case-sensitive.
type Pattern struct {
	src    string
	fields []fieldCond // bracketed form
	terms  []term      // term form
	// fieldRegexes counts the %regex% values of the bracketed form.
	fieldRegexes int
}

// PatternError is a pattern that does not parse.
type PatternError struct {
	Pattern string
	Column  int
	Msg     string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("filter pattern: column %d: %s", e.Column, e.Msg)
}

type fieldCond struct {
	ellipsis bool
	name     string
	alts     [][]cond // OR of ANDs
}

type cond struct {
	op    string // = != < <= > >=
	value string
	re    *regexp.Regexp // value was %regex%: matched against the field
	glob  bool           // value has * wildcards
	num   float64
	isNum bool
}

type term struct {
	kind  byte // 0 plain (AND), '-' exclude, '?' any-of
	text  string
	regex *regexp.Regexp
}

// ParsePattern compiles a filter pattern. An empty pattern matches every
// event, as in CloudWatch.
func ParsePattern(s string) (*Pattern, error) {
	// MetricFilter API: filter patterns are at most 1024 characters.
	if len(s) > 1024 {
		return nil, &PatternError{s, 1025, "a filter pattern is at most 1024 characters"}
	}
	p := &Pattern{src: s}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		return p, p.parseFields(s)
	}
	return p, p.parseTerms(s)
}

func (p *Pattern) String() string { return p.src }

// compileRegex checks a %regex% body (starting at column at, 0-based) for
// what CloudWatch Logs allows — letters, digits, the symbols : _ # = @ / ; ,
// - and the operators ^ $ ? [ ] { } | \ * + . (no parentheses, no
// multibyte characters) — and compiles it (CloudWatch Logs, "Supported
// regular expressions (regex) syntax").
func (p *Pattern) compileRegex(body string, at int) (*regexp.Regexp, error) {
	for k := 0; k < len(body); k++ {
		ch := body[k]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(":_#=@/;,-^$?[]{}|\\*+.", ch) >= 0
		if !ok {
			return nil, p.errAt(at+k, "%q is not allowed in a CloudWatch Logs regular expression (letters, digits, : _ # = @ / ; , - and ^ $ ? [ ] { } | \\ * + . only; no parentheses)", string(ch))
		}
	}
	re, err := regexp.Compile(body)
	if err != nil {
		return nil, p.errAt(at, "bad regular expression: %v", err)
	}
	return re, nil
}

func (p *Pattern) errAt(i int, format string, a ...any) error {
	return &PatternError{p.src, i + 1, fmt.Sprintf(format, a...)}
}

func (p *Pattern) parseTerms(s string) error {
	i := 0
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return nil
		}
		var t term
		if s[i] == '-' || s[i] == '?' {
			t.kind = s[i]
			i++
		}
		start := i
		switch {
		case i < len(s) && s[i] == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return p.errAt(start, "unterminated quoted term: expected a closing \"")
			}
			t.text = s[i+1 : i+1+j]
			i += j + 2
		case i < len(s) && s[i] == '%':
			j := strings.IndexByte(s[i+1:], '%')
			if j < 0 {
				return p.errAt(start, "unterminated regular expression: expected a closing %%")
			}
			re, err := p.compileRegex(s[i+1:i+1+j], i+1)
			if err != nil {
				return err
			}
			t.regex = re
			i += j + 2
		default:
			j := i
			for j < len(s) && s[j] != ' ' {
				j++
			}
			if j == i {
				return p.errAt(i, "expected a term after %q", string(s[i-1]))
			}
			if k := strings.IndexAny(s[i:j], "[]"); k >= 0 {
				if s[i+k] == ']' {
					return p.errAt(i+k, "stray ']': no '[' opens a field list (a bracketed pattern starts with '['; to search for ']', quote the term: \"%s\")", s[i:j])
				}
				return p.errAt(i+k, "'[' inside the term %q: a bracketed pattern must start the filter (to search for '[', quote the term: \"%s\")", s[i:j], s[i:j])
			}
			t.text = s[i:j]
			i = j
		}
		p.terms = append(p.terms, t)
	}
}

// parseFields reads [f1, f2=v, ..., f3 > 10 && f3 < 20, f4=a || f4=b].
func (p *Pattern) parseFields(s string) error {
	open := strings.IndexByte(s, '[')
	i := open + 1
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	// unclosed is the error for a pattern that ends inside the brackets:
	// placed where the ']' is missing, naming the '[' it would close.
	unclosed := func() error {
		return p.errAt(len(s), "missing ']': the '[' at column %d is not closed", open+1)
	}
	for {
		skip()
		if i >= len(s) {
			return unclosed()
		}
		if s[i] == ']' && len(p.fields) == 0 {
			i++
			break
		}
		var fc fieldCond
		if strings.HasPrefix(s[i:], "...") {
			fc.ellipsis = true
			i += 3
		} else {
			name, n := readName(s[i:])
			if n == 0 {
				if strings.ContainsRune("=!<>", rune(s[i])) {
					return p.errAt(i, "a field name is missing before %q", operatorAt(s, i))
				}
				return p.errAt(i, "expected a field name or '...', got %q", string(s[i]))
			}
			fc.name = name
			i += n
			skip()
			var and []cond
			for i < len(s) && s[i] != ',' && s[i] != ']' {
				c, n, err := p.readCond(s, i, fc.name)
				if err != nil {
					return err
				}
				and = append(and, c)
				i = n
				skip()
				op := i
				switch {
				case strings.HasPrefix(s[i:], "&&"):
					i += 2
				case strings.HasPrefix(s[i:], "||"):
					i += 2
					fc.alts = append(fc.alts, and)
					and = nil
				case i < len(s) && (s[i] == '&' || s[i] == '|'):
					return p.errAt(i, "%q is not an operator: join conditions on field %q with && or ||", string(s[i]), fc.name)
				default:
					continue
				}
				skip()
				// a repeated field name before the next operator is allowed
				if nm, n := readName(s[i:]); n > 0 && nm == fc.name {
					i += n
					skip()
				}
				if i >= len(s) || s[i] == ',' || s[i] == ']' {
					return p.errAt(op, "%q must be followed by another condition on field %q", s[op:op+2], fc.name)
				}
			}
			if len(and) > 0 {
				fc.alts = append(fc.alts, and)
			}
		}
		p.fields = append(p.fields, fc)
		skip()
		if i >= len(s) {
			return unclosed()
		}
		if s[i] == ']' {
			i++
			break
		}
		if s[i] != ',' {
			return p.errAt(i, "expected ',' or ']', got %q", string(s[i]))
		}
		i++
	}
	skip()
	if i < len(s) {
		return p.errAt(i, "unexpected text after the closing ']': %q", s[i:])
	}
	return nil
}

// operatorAt returns the run of operator characters at s[i:].
func operatorAt(s string, i int) string {
	j := i
	for j < len(s) && strings.ContainsRune("=!<>", rune(s[j])) {
		j++
	}
	return s[i:j]
}

// misspelt are operators written the wrong way round, and what was meant.
var misspelt = map[string]string{"=>": ">=", "=<": "<=", "==": "=", "=!": "!=", "<>": "!=", "!": "!="}

func readName(s string) (string, int) {
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] == '$' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9' || n > 0 && s[n] == '-') {
		n++
	}
	return s[:n], n
}

// readCond reads "<op> value" at s[i:].
func (p *Pattern) readCond(s string, i int, field string) (cond, int, error) {
	var c cond
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(s[i:], op) {
			c.op = op
			break
		}
	}
	// An operator followed by more operator characters (=>, ==, =<) is
	// not an operator: refuse it rather than compare with a value that
	// starts with '>'.
	if run := operatorAt(s, i); run != c.op {
		msg := fmt.Sprintf("%q is not an operator", run)
		if m, ok := misspelt[run]; ok {
			msg += fmt.Sprintf(" (did you mean %q?)", m)
		}
		msg += fmt.Sprintf(": want =, !=, <, <=, > or >= after field %q", field)
		if c.op == "=" || c.op == "!=" {
			rest := run[len(c.op):]
			msg += fmt.Sprintf("; to compare with a value that starts with %q, quote it: %s%s\"%s...\"", rest, field, c.op, rest)
		}
		return c, i, p.errAt(i, "%s", msg)
	}
	if c.op == "" {
		return c, i, p.errAt(i, "expected =, !=, <, <=, > or >= after field %q", field)
	}
	i += len(c.op)
	for i < len(s) && s[i] == ' ' {
		i++
	}
	start := i
	if i < len(s) && s[i] == '%' {
		// A regular expression the field must match (CloudWatch Logs,
		// "Supported regular expressions (regex) syntax").
		if c.op != "=" && c.op != "!=" {
			return c, i, p.errAt(i, "a regular expression compares with = or != only, not %s", c.op)
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return c, i, p.errAt(i, "unterminated regular expression: expected a closing %%")
		}
		re, err := p.compileRegex(s[i+1:i+1+j], i+1)
		if err != nil {
			return c, i, err
		}
		p.fieldRegexes++
		if p.fieldRegexes > 2 {
			return c, i, p.errAt(i, "a delimited pattern takes at most 2 regular expressions (CloudWatch Logs quota)")
		}
		c.value, c.re = s[i:i+j+2], re
		return c, i + j + 2, nil
	}
	if i < len(s) && s[i] == '"' {
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return c, i, p.errAt(i, "unterminated quoted value: expected a closing \"")
		}
		c.value = s[i+1 : i+1+j]
		i += j + 2
	} else {
		if i < len(s) && strings.ContainsRune("=!<>", rune(s[i])) {
			rest := operatorAt(s, i)
			msg := fmt.Sprintf("the value after %q starts with %q: a condition has one operator", c.op, rest)
			if c.op == "=" || c.op == "!=" {
				msg += fmt.Sprintf("; to compare with a value that starts with %q, quote it: %s%s\"%s...\"", rest, field, c.op, rest)
			}
			return c, i, p.errAt(i, "%s", msg)
		}
		for i < len(s) && !strings.ContainsRune(" ,]&|", rune(s[i])) {
			i++
		}
		c.value = s[start:i]
	}
	if c.value == "" && (start >= len(s) || s[start] != '"') {
		return c, i, p.errAt(start, "expected a value after %q", c.op)
	}
	if v, err := strconv.ParseFloat(c.value, 64); err == nil {
		c.num, c.isNum = v, true
	}
	switch c.op {
	case "<", "<=", ">", ">=":
		if !c.isNum {
			return c, i, p.errAt(start, "%s needs a number, got %q", c.op, c.value)
		}
	default:
		c.glob = strings.Contains(c.value, "*")
	}
	return c, i, nil
}

// Match reports whether the event (a log line) matches.
func (p *Pattern) Match(event string) bool {
	if p.fields != nil {
		return matchFields(p.fields, splitEvent(event))
	}
	any, anyHit := false, false
	for _, t := range p.terms {
		hit := t.hits(event)
		switch t.kind {
		case '-':
			if hit {
				return false
			}
		case '?':
			any = true
			anyHit = anyHit || hit
		default:
			if !hit {
				return false
			}
		}
	}
	return !any || anyHit
}

func (t term) hits(e string) bool {
	if t.regex != nil {
		return t.regex.MatchString(e)
	}
	return strings.Contains(e, t.text)
}

// splitEvent splits a space-delimited event; text in [] or "" is one field.
func splitEvent(e string) []string {
	var out []string
	for i := 0; i < len(e); {
		if e[i] == ' ' {
			i++
			continue
		}
		j := i
		switch e[i] {
		case '"':
			if k := strings.IndexByte(e[i+1:], '"'); k >= 0 {
				out = append(out, e[i+1:i+1+k])
				i += k + 2
				continue
			}
		case '[':
			if k := strings.IndexByte(e[i+1:], ']'); k >= 0 {
				out = append(out, e[i+1:i+1+k])
				i += k + 2
				continue
			}
		}
		for j < len(e) && e[j] != ' ' {
			j++
		}
		out = append(out, e[i:j])
		i = j
	}
	return out
}

func matchFields(fs []fieldCond, vals []string) bool {
	if len(fs) == 0 {
		return len(vals) == 0
	}
	f := fs[0]
	if f.ellipsis {
		for k := 0; k <= len(vals); k++ {
			if matchFields(fs[1:], vals[k:]) {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 || !f.test(vals[0]) {
		return false
	}
	return matchFields(fs[1:], vals[1:])
}

func (f fieldCond) test(v string) bool {
	if len(f.alts) == 0 {
		return true
	}
	for _, and := range f.alts {
		ok := true
		for _, c := range and {
			if !c.test(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c cond) test(v string) bool {
	n, err := strconv.ParseFloat(v, 64)
	isNum := err == nil
	switch c.op {
	case "=", "!=":
		eq := false
		switch {
		case c.re != nil:
			eq = c.re.MatchString(v)
		case c.glob:
			eq = globMatch(c.value, v)
		case c.isNum && isNum:
			eq = n == c.num
		default:
			eq = v == c.value
		}
		return eq == (c.op == "=")
	}
	if !isNum {
		return false
	}
	switch c.op {
	case "<":
		return n < c.num
	case "<=":
		return n <= c.num
	case ">":
		return n > c.num
	}
	return n >= c.num
}

// globMatch matches s against pattern, where * stands for any run of bytes.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(parts) == 1 && s == "" || len(parts) > 1 && strings.HasSuffix(s, last) && len(s) >= len(last)
}
