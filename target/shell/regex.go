package shell

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
)

// errBackref is a POSIX back-reference, which Go's regexp cannot match.
var errBackref = errors.New("back-references (\\1…\\9) are not supported on this simulated instance")

// posixRegexp translates a POSIX regular expression, basic (grep, sed) or
// extended (-E), with GNU's extensions, into Go's syntax. Where POSIX and
// Go differ: in a basic one ( ) { } | + ? are literal and their escaped
// forms are operators; a leading * is literal; ^ and $ anchor only at the
// ends; a backslash in brackets is literal; \< \> are word boundaries.
func posixRegexp(pat string, ere bool) (string, error) {
	var b strings.Builder
	start := true   // where * is literal
	anchors := true // where ^ anchors (not right after another ^)
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		wasStart, wasAnchor := start, anchors
		start, anchors = false, false
		switch c {
		case '\\':
			if i+1 >= len(pat) {
				return "", errors.New("Trailing backslash")
			}
			i++
			d := pat[i]
			switch {
			case !ere && d == '(':
				b.WriteString("(")
				start, anchors = true, true
			case !ere && d == ')':
				b.WriteString(")")
			case !ere && d == '|':
				b.WriteString("|")
				start, anchors = true, true
			case !ere && d == '{':
				end := strings.Index(pat[i:], `\}`)
				if end < 0 {
					return "", errors.New(`Unmatched \{`)
				}
				iv, ok := interval(pat[i+1 : i+end])
				if !ok {
					return "", errors.New(`Invalid content of \{\}`)
				}
				b.WriteString(iv)
				i += end + 1
			case !ere && (d == '+' || d == '?'):
				if wasStart {
					b.WriteString(regexp.QuoteMeta(string(d)))
				} else {
					b.WriteByte(d)
				}
			case d == '<' || d == '>':
				b.WriteString(`\b`)
			case d == '`':
				b.WriteString(`\A`)
			case d == '\'':
				b.WriteString(`\z`)
			case d == 'n':
				b.WriteString(`\n`)
			case d == 't':
				b.WriteString(`\t`)
			case strings.IndexByte("wWsSbB", d) >= 0:
				b.WriteByte('\\')
				b.WriteByte(d)
			case d >= '1' && d <= '9':
				return "", errBackref
			default:
				b.WriteString(regexp.QuoteMeta(string(d)))
			}
		case '[':
			end, class, err := bracket(pat[i:])
			if err != nil {
				return "", err
			}
			b.WriteString(class)
			i += end - 1
		case '*':
			if wasStart {
				b.WriteString(`\*`)
			} else {
				b.WriteByte('*')
			}
		case '^':
			if ere || wasAnchor {
				b.WriteByte('^')
				start = true
			} else {
				b.WriteString(`\^`)
			}
		case '$':
			rest := pat[i+1:]
			if ere || rest == "" || strings.HasPrefix(rest, `\)`) || strings.HasPrefix(rest, `\|`) {
				b.WriteByte('$')
			} else {
				b.WriteString(`\$`)
			}
		case '(', '|':
			if ere {
				b.WriteByte(c)
				start, anchors = true, true
			} else {
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		case ')':
			if ere {
				b.WriteByte(c)
			} else {
				b.WriteString(`\)`)
			}
		case '+', '?':
			if ere && !wasStart {
				b.WriteByte(c)
			} else {
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		case '{':
			end := strings.IndexByte(pat[i:], '}')
			if ere && !wasStart && end > 0 {
				if iv, ok := interval(pat[i+1 : i+end]); ok {
					b.WriteString(iv)
					i += end
					continue
				}
			}
			b.WriteString(`\{`)
		case '}':
			b.WriteString(`\}`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// interval checks an interval's content ("2", "2,", "2,5", ",5") and
// writes it as Go's {…}.
func interval(s string) (string, bool) {
	lo, hi, comma := strings.Cut(s, ",")
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if !digits(lo) || !digits(hi) || lo == "" && !comma {
		return "", false
	}
	if lo == "" {
		lo = "0"
	}
	if comma {
		return "{" + lo + "," + hi + "}", true
	}
	return "{" + lo + "}", true
}

// bracket translates the bracket expression at the start of s, returning
// its length in s.
func bracket(s string) (int, string, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := 1
	if i < len(s) && s[i] == '^' {
		b.WriteByte('^')
		i++
	}
	if i == len(s) {
		return 0, "", errors.New("Invalid regular expression")
	}
	first := true
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ']' && !first:
			b.WriteByte(']')
			return i + 1, b.String(), nil
		case c == '[' && i+1 < len(s) && (s[i+1] == ':' || s[i+1] == '=' || s[i+1] == '.'):
			kind := s[i+1]
			end := strings.Index(s[i+2:], string(kind)+"]")
			if end < 0 {
				return 0, "", errors.New("Unmatched [, [^, [:, [., or [=")
			}
			body := s[i+2 : i+2+end]
			if kind == ':' {
				if !posixClasses[body] {
					return 0, "", errors.New("Invalid character class name")
				}
				b.WriteString("[:" + body + ":]")
			} else {
				b.WriteString(regexp.QuoteMeta(body))
			}
			i += 2 + end + 1
		case c == '\\' || c == '[' || c == ']':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		first = false
	}
	return 0, "", errors.New("Unmatched [, [^, [:, [., or [=")
}

var posixClasses = map[string]bool{
	"alnum": true, "alpha": true, "blank": true, "cntrl": true, "digit": true, "graph": true,
	"lower": true, "print": true, "punct": true, "space": true, "upper": true, "xdigit": true,
}

// regexpMessage words a compile error of a translated expression as GNU's
// regex library does.
func regexpMessage(err error) string {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	switch se.Code {
	case syntax.ErrMissingParen:
		return "Unmatched ( or \\("
	case syntax.ErrUnexpectedParen:
		return "Unmatched ) or \\)"
	case syntax.ErrMissingBracket:
		return "Unmatched [, [^, [:, [., or [="
	case syntax.ErrInvalidRepeatSize:
		return "Regular expression too big"
	case syntax.ErrInvalidCharRange:
		return "Invalid range end"
	case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidRepeatOp:
		return "Invalid preceding regular expression"
	}
	return "Invalid regular expression"
}
