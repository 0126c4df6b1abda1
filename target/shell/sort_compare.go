package shell

import (
	"bytes"
	"strconv"
	"strings"
)

// compare orders two lines: by their keys, then (unless -s or -u) by all
// their bytes.
func (s *sorter) compare(a, b []byte) int {
	if c := s.keyCompare(a, b); c != 0 || s.stable || s.unique {
		return c
	}
	c := bytes.Compare(a, b)
	if s.reverse {
		c = -c
	}
	return c
}

func (s *sorter) keyCompare(a, b []byte) int {
	for _, k := range s.keys {
		c := k.compare(s.field(a, k), s.field(b, k))
		if k.reverse {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// compare orders two keys by the key's type.
func (k sortKey) compare(a, b []byte) int {
	switch k.kind {
	case 'n':
		return numCompare(a, b)
	case 'h':
		sa, sb := humanScale(a), humanScale(b)
		if sa != sb && signOf(a) == signOf(b) && signOf(a) != 0 {
			if sa < sb {
				return -signOf(a)
			}
			return signOf(a)
		}
		return numCompare(a, b)
	case 'g':
		fa, ea := strconv.ParseFloat(strings.TrimSpace(string(numPrefix(a, true))), 64)
		fb, eb := strconv.ParseFloat(strings.TrimSpace(string(numPrefix(b, true))), 64)
		switch {
		case ea != nil && eb != nil:
			return 0
		case ea != nil:
			return -1
		case eb != nil:
			return 1
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	case 'V':
		return versionCompare(string(a), string(b))
	case 'M':
		return monthOf(a) - monthOf(b)
	}
	if k.fold {
		return bytes.Compare(bytes.ToUpper(a), bytes.ToUpper(b))
	}
	return bytes.Compare(a, b)
}

// numPrefix is the leading number of s, as sort -n reads it: blanks, a
// sign, digits and a decimal point (with exponent for -g).
func numPrefix(s []byte, exp bool) []byte {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	st := i
	if i < len(s) && (s[i] == '-' || exp && s[i] == '+') {
		i++
	}
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || exp && strings.IndexByte("eE+-xXabcdefABCDEFinINfFnaN", s[i]) >= 0) {
		i++
	}
	return s[st:i]
}

func signOf(s []byte) int {
	p := numPrefix(s, false)
	neg := len(p) > 0 && p[0] == '-'
	if len(bytes.Trim(bytes.TrimPrefix(p, []byte("-")), "0.")) == 0 {
		return 0
	}
	if neg {
		return -1
	}
	return 1
}

// numCompare compares the leading numbers of a and b exactly, as decimal
// strings, so that long numbers keep their order.
func numCompare(a, b []byte) int {
	pa, pb := numPrefix(a, false), numPrefix(b, false)
	na, nb := len(pa) > 0 && pa[0] == '-', len(pb) > 0 && pb[0] == '-'
	ia, fa := splitNum(bytes.TrimPrefix(pa, []byte("-")))
	ib, fb := splitNum(bytes.TrimPrefix(pb, []byte("-")))
	za, zb := len(ia) == 0 && len(fa) == 0, len(ib) == 0 && len(fb) == 0
	if za {
		na = false
	}
	if zb {
		nb = false
	}
	if na != nb {
		if na {
			return -1
		}
		return 1
	}
	c := 0
	switch {
	case len(ia) != len(ib):
		c = len(ia) - len(ib)
	default:
		if c = bytes.Compare(ia, ib); c == 0 {
			c = bytes.Compare(fa, fb)
		}
	}
	if c > 0 {
		c = 1
	} else if c < 0 {
		c = -1
	}
	if na {
		return -c
	}
	return c
}

// splitNum is a number's integer part without leading zeros and its
// fraction without trailing zeros.
func splitNum(p []byte) (ip, fp []byte) {
	ip, fp, _ = bytes.Cut(p, []byte("."))
	if i := bytes.IndexByte(fp, '.'); i >= 0 {
		fp = fp[:i]
	}
	return bytes.TrimLeft(ip, "0"), bytes.TrimRight(fp, "0")
}

// humanScale is the power a -h number's suffix (K, M, G…) stands for.
func humanScale(s []byte) int {
	p := numPrefix(s, false)
	rest := s[len(p):]
	if i := bytes.IndexFunc(s, func(r rune) bool { return r != ' ' && r != '\t' }); i > 0 {
		rest = s[i+len(p):]
	}
	if len(rest) == 0 {
		return 0
	}
	return strings.IndexByte(" KMGTPEZY", rest[0]&^0x20) + boolInt(rest[0] == 'k')*2
}

func monthOf(s []byte) int {
	t := strings.ToUpper(strings.TrimSpace(string(s)))
	for i, m := range []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"} {
		if strings.HasPrefix(t, m) {
			return i + 1
		}
	}
	return 0
}

// versionCompare orders strings as sort -V does: digit runs by value,
// the rest by bytes.
func versionCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := a[0] >= '0' && a[0] <= '9', b[0] >= '0' && b[0] <= '9'
		if da && db {
			ea, eb := digitsEnd(a), digitsEnd(b)
			x, y := strings.TrimLeft(a[:ea], "0"), strings.TrimLeft(b[:eb], "0")
			if len(x) != len(y) {
				return len(x) - len(y)
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			a, b = a[ea:], b[eb:]
			continue
		}
		if a[0] != b[0] {
			if da {
				return -1
			}
			if db {
				return 1
			}
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitsEnd(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
