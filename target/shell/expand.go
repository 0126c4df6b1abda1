package shell

import (
	"strconv"
	"strings"
)

// expand turns a word into its fields: variables substituted, unquoted
// results split on blanks (as bash does with the default IFS).
func (s *Shell) expand(w word) []string {
	var fields []string
	var cur strings.Builder
	have := false
	for _, p := range w {
		switch {
		case p.single:
			cur.WriteString(p.text)
			have = true
		case p.double:
			cur.WriteString(s.subst(p.text))
			have = true
		default:
			v := s.subst(p.text)
			// Split unquoted expansion results on blanks.
			for i, f := range splitKeepEdges(v) {
				if i > 0 {
					if have || cur.Len() > 0 {
						fields = append(fields, cur.String())
					}
					cur.Reset()
					have = false
				}
				if f != "" {
					cur.WriteString(f)
					have = true
				}
			}
		}
	}
	if have || cur.Len() > 0 {
		fields = append(fields, cur.String())
	}
	return fields
}

// splitKeepEdges splits v on runs of blanks, keeping an empty first or last
// field when v starts or ends with blanks, so that adjacent parts join
// correctly.
func splitKeepEdges(v string) []string {
	if v == "" {
		return []string{""}
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return []string{"", ""}
	}
	if v[0] == ' ' || v[0] == '\t' || v[0] == '\n' {
		f = append([]string{""}, f...)
	}
	if c := v[len(v)-1]; c == ' ' || c == '\t' || c == '\n' {
		f = append(f, "")
	}
	return f
}

// subst replaces $NAME, ${NAME}, $? and $$ in t.
func (s *Shell) subst(t string) string {
	if strings.IndexByte(t, '$') < 0 {
		return t
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '$' || i+1 >= len(t) {
			b.WriteByte(t[i])
			continue
		}
		switch c := t[i+1]; {
		case c == '?':
			b.WriteString(strconv.Itoa(s.status))
			i++
		case c == '$':
			b.WriteString("4242")
			i++
		case c == '{':
			j := strings.IndexByte(t[i+2:], '}')
			if j < 0 {
				b.WriteString(t[i:])
				return b.String()
			}
			b.WriteString(s.Env[t[i+2:i+2+j]])
			i += j + 2
		case isNameStart(c):
			j := i + 1
			for j < len(t) && isNameChar(t[j]) {
				j++
			}
			b.WriteString(s.Env[t[i+1:j]])
			i = j - 1
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

// assignment splits NAME=value; ok is false for other words.
func assignment(f string) (name, value string, ok bool) {
	i := strings.IndexByte(f, '=')
	if i <= 0 || !isNameStart(f[0]) {
		return "", "", false
	}
	for j := 1; j < i; j++ {
		if !isNameChar(f[j]) {
			return "", "", false
		}
	}
	return f[:i], f[i+1:], true
}
