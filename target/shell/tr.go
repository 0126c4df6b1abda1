package shell

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

var trSpec = optSpec{short: "cCdst", usage: "[OPTION]... SET1 [SET2]", long: map[string]string{
	"complement": "c", "delete": "d", "squeeze-repeats": "s", "truncate-set1": "t",
}}

// cmdTr translates, deletes or squeezes bytes of standard input.
func cmdTr(ctx context.Context, o IO, args []string) int {
	opts, sets, st, ok := trSpec.parse(o, "tr", args[1:])
	if !ok {
		return st
	}
	complement, del, squeeze, truncate := false, false, false, false
	for _, op := range opts {
		switch op.key {
		case "c", "C":
			complement = true
		case "d":
			del = true
		case "s":
			squeeze = true
		case "t":
			truncate = true
		}
	}
	switch {
	case len(sets) == 0:
		return usageError(o, "tr", 1, "missing operand")
	case len(sets) == 1 && !del && !squeeze:
		o.Errorf("tr", "missing operand after %s", quote(sets[0]))
		fmt.Fprintln(o.Stderr, "Two strings must be given when translating.")
		return usageError(o, "tr", 1, "")
	case len(sets) == 2 && del && !squeeze:
		o.Errorf("tr", "extra operand %s", quote(sets[1]))
		fmt.Fprintln(o.Stderr, "Only one string may be given when deleting without squeezing repeats.")
		return usageError(o, "tr", 1, "")
	case len(sets) > 2:
		return usageError(o, "tr", 1, "extra operand %s", quote(sets[2]))
	}
	set1, err := trSet(sets[0], 0)
	if err != nil {
		o.Errorf("tr", "%s", err)
		return 1
	}
	if complement {
		var in [256]bool
		for _, c := range set1 {
			in[c] = true
		}
		set1 = set1[:0]
		for c := 0; c < 256; c++ {
			if !in[c] {
				set1 = append(set1, byte(c))
			}
		}
	}
	var set2 []byte
	if len(sets) == 2 {
		if set2, err = trSet(sets[1], len(set1)); err != nil {
			o.Errorf("tr", "%s", err)
			return 1
		}
	}
	var member1, squeezeSet [256]bool
	for _, c := range set1 {
		member1[c] = true
	}
	var xlate [256]byte
	for i := range xlate {
		xlate[i] = byte(i)
	}
	translating := len(sets) == 2 && !del
	if translating {
		if len(set2) == 0 {
			o.Errorf("tr", "when not truncating set1, string2 must be non-empty")
			return 1
		}
		if truncate && len(set1) > len(set2) {
			set1 = set1[:len(set2)]
		}
		for i, c := range set1 {
			xlate[c] = set2[min(i, len(set2)-1)]
		}
	}
	switch {
	case squeeze && len(sets) == 2:
		for _, c := range set2 {
			squeezeSet[c] = true
		}
	case squeeze:
		squeezeSet = member1
	}
	in := newInputs(ctx, o)
	defer in.close()
	r := in.stdinReader()
	buf := make([]byte, bufSize)
	outBuf := make([]byte, 0, bufSize)
	last := -1
	for {
		n, err := r.Read(buf)
		outBuf = outBuf[:0]
		for _, c := range buf[:n] {
			if del && member1[c] {
				continue
			}
			c = xlate[c]
			if squeeze && squeezeSet[c] && int(c) == last {
				continue
			}
			last = int(c)
			outBuf = append(outBuf, c)
		}
		if len(outBuf) > 0 {
			if _, werr := o.Stdout.Write(outBuf); werr != nil {
				return writeFailed(o, "tr", werr)
			}
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			if interrupted(ctx, err) {
				return statusInterrupted
			}
			o.Errorf("tr", "read error: %s", strerror(err))
			return 1
		}
	}
}

// trClasses are the bytes of tr's [:class:]es, in order.
var trClasses = map[string]func(c byte) bool{
	"alnum":  func(c byte) bool { return isAlpha(c) || isDigit(c) },
	"alpha":  isAlpha,
	"blank":  func(c byte) bool { return c == ' ' || c == '\t' },
	"cntrl":  func(c byte) bool { return c < 32 || c == 127 },
	"digit":  isDigit,
	"graph":  func(c byte) bool { return c > 32 && c < 127 },
	"lower":  func(c byte) bool { return c >= 'a' && c <= 'z' },
	"print":  func(c byte) bool { return c >= 32 && c < 127 },
	"punct":  func(c byte) bool { return c > 32 && c < 127 && !isAlpha(c) && !isDigit(c) },
	"space":  func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' },
	"upper":  func(c byte) bool { return c >= 'A' && c <= 'Z' },
	"xdigit": func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' },
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// trSet expands a tr set: escapes, ranges, classes, [c*n] repeats (in
// SET2, [c*] fills it up to fill, SET1's length).
func trSet(s string, fill int) ([]byte, error) {
	var out []byte
	type item struct {
		c      byte
		repeat int // [c*n]: -1 fills
		class  bool
	}
	var items []item
	for i := 0; i < len(s); i++ {
		if s[i] == '[' && i+1 < len(s) {
			if s[i+1] == ':' {
				if end := strings.Index(s[i+2:], ":]"); end >= 0 {
					name := s[i+2 : i+2+end]
					f, ok := trClasses[name]
					if !ok {
						return nil, fmt.Errorf("invalid character class %s", quote(name))
					}
					for c := 0; c < 256; c++ {
						if f(byte(c)) {
							items = append(items, item{c: byte(c), class: true})
						}
					}
					i += 2 + end + 1
					continue
				}
			}
			if s[i+1] == '=' && i+4 < len(s) && s[i+3] == '=' && s[i+4] == ']' {
				items = append(items, item{c: s[i+2]})
				i += 4
				continue
			}
			if end := strings.IndexByte(s[i+1:], ']'); end >= 2 {
				body := s[i+1 : i+1+end]
				c, n := trByte(body)
				if rest := body[n:]; strings.HasPrefix(rest, "*") {
					cnt := -1
					if rest != "*" {
						v, err := strconv.ParseInt(rest[1:], 0, 32)
						if err != nil {
							return nil, fmt.Errorf("invalid repeat count %s in [c*n] construct", quote(rest[1:]))
						}
						cnt = int(v)
						if cnt == 0 {
							cnt = -1
						}
					}
					items = append(items, item{c: c, repeat: cnt})
					i += 1 + end
					continue
				}
			}
		}
		c, n := trByte(s[i:])
		i += n - 1
		if i+2 < len(s) && s[i+1] == '-' {
			hi, m := trByte(s[i+2:])
			if hi < c {
				return nil, fmt.Errorf("range-endpoints of '%c-%c' are in reverse collating sequence order", c, hi)
			}
			for x := int(c); x <= int(hi); x++ {
				items = append(items, item{c: byte(x)})
			}
			i += 1 + m
			continue
		}
		items = append(items, item{c: c})
	}
	fixed := 0
	for _, it := range items {
		switch {
		case it.repeat > 0:
			fixed += it.repeat
		case it.repeat == 0:
			fixed++
		}
	}
	for _, it := range items {
		n := 1
		switch {
		case it.repeat > 0:
			n = it.repeat
		case it.repeat < 0:
			n = max(fill-fixed, 0)
		}
		for range n {
			out = append(out, it.c)
		}
	}
	return out, nil
}

// trByte reads one byte of a set, an escape (\n, \t, \\, \NNN octal)
// included, and its length.
func trByte(s string) (byte, int) {
	if s[0] != '\\' || len(s) == 1 {
		return s[0], 1
	}
	switch c := s[1]; c {
	case 'n':
		return '\n', 2
	case 't':
		return '\t', 2
	case 'r':
		return '\r', 2
	case 'a':
		return '\a', 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'v':
		return '\v', 2
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n, v := 1, 0
		for n < 4 && n < len(s) && s[n] >= '0' && s[n] <= '7' && v*8+int(s[n]-'0') < 256 {
			v = v*8 + int(s[n]-'0')
			n++
		}
		return byte(v), n
	default:
		return c, 2
	}
}
