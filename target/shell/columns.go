package shell

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/vlab-sim/vlab/target/vfs"
)

var sortSpec = optSpec{short: "bcCfghk:Mno:rst:uVz", bad: 2, usage: "[OPTION]... [FILE]...", long: map[string]string{
	"ignore-leading-blanks": "b", "check": "c", "ignore-case": "f", "general-numeric-sort": "g",
	"human-numeric-sort": "h", "key": "k:", "month-sort": "M", "numeric-sort": "n", "output": "o:",
	"reverse": "r", "stable": "s", "field-separator": "t:", "unique": "u", "version-sort": "V",
	"parallel": "parallel:", "buffer-size": "S:", "temporary-directory": "T:",
}}

// sortKey is a -k key, or the whole line, with its ordering options.
type sortKey struct {
	f1, c1, f2, c2 int // fields and characters, from 1; f2 0: to the end of the line
	blanks1        bool
	blanks2        bool
	kind           byte // 0 text, 'n', 'h', 'g', 'V', 'M'
	fold, reverse  bool
}

// sorter is one sort's settings.
type sorter struct {
	keys    []sortKey
	tab     int // the -t separator, -1 for blanks
	stable  bool
	unique  bool
	reverse bool
}

// cmdSort sorts the lines of its files, by bytes (the instance's locale is
// C.UTF-8) or by the keys and orders its options give.
func cmdSort(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := sortSpec.parse(o, "sort", args[1:])
	if !ok {
		return st
	}
	s := &sorter{tab: -1}
	var global sortKey
	var keySpecs []string
	output, check := "", false
	for _, op := range opts {
		switch op.key {
		case "b":
			global.blanks1, global.blanks2 = true, true
		case "c", "C":
			check = true
		case "f":
			global.fold = true
		case "g", "h", "M", "n", "V":
			global.kind = op.key[0]
		case "k":
			keySpecs = append(keySpecs, op.val)
		case "o":
			output = op.val
		case "r":
			global.reverse, s.reverse = true, true
		case "s":
			s.stable = true
		case "t":
			v := op.val
			if v == `\0` {
				v = "\x00"
			}
			if len(v) != 1 {
				if v == "" {
					o.Errorf("sort", "empty tab")
				} else {
					o.Errorf("sort", "multi-character tab %s", quote(v))
				}
				return 2
			}
			s.tab = int(v[0])
		case "u":
			s.unique = true
		case "z":
			o.Errorf("sort", "-z is not supported on this simulated instance")
			return 2
		}
	}
	for _, spec := range keySpecs {
		k, ok := parseSortKey(spec, global)
		if !ok {
			o.Errorf("sort", "invalid number at field start: invalid count at start of %s", quote(spec))
			return 2
		}
		s.keys = append(s.keys, k)
	}
	if len(s.keys) == 0 {
		whole := global
		whole.f1, whole.c1 = 1, 1
		s.keys = []sortKey{whole}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	var lines [][]byte
	total := 0
	for _, name := range files {
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("sort", "cannot read: %s: %s", quotef(name), strerror(err))
			return 2
		}
		lr := newLineReader(r, nil)
		for {
			line, err := lr.next()
			if err == io.EOF {
				break
			}
			if err == nil && total+len(line) > maxBuffered {
				err = errTooBig
			}
			if err != nil {
				closeFile()
				if interrupted(ctx, err) {
					return statusInterrupted
				}
				if errors.Is(err, errTooBig) {
					o.Errorf("sort", "memory exhausted")
				} else {
					o.Errorf("sort", "read failed: %s: %s", quotef(name), strerror(err))
				}
				return 2
			}
			body, _ := chomp(line)
			total += len(body)
			lines = append(lines, append([]byte(nil), body...))
		}
		closeFile()
	}
	if check {
		name := files[0]
		for i := 1; i < len(lines); i++ {
			c := s.compare(lines[i-1], lines[i])
			if c > 0 || s.unique && c == 0 {
				o.Errorf("sort", "%s:%d: disorder: %s", name, i+1, lines[i])
				return 1
			}
		}
		return 0
	}
	sort.SliceStable(lines, func(i, j int) bool { return s.compare(lines[i], lines[j]) < 0 })
	var w io.Writer = o.Stdout
	if output != "" && output != "-" {
		f, err := o.FS.OpenFile(o.Path(output), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			o.Errorf("sort", "open failed: %s: %s", quotef(output), strerror(err))
			return 2
		}
		defer f.Close()
		w = f
	}
	out := bufio.NewWriterSize(w, bufSize)
	for i, l := range lines {
		if s.unique && i > 0 && s.keyCompare(lines[i-1], l) == 0 {
			continue
		}
		out.Write(l)
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "sort", err)
	}
	return 0
}

// parseSortKey parses -k F[.C][OPTS][,F[.C][OPTS]]; a key without ordering
// options of its own takes the global ones.
func parseSortKey(spec string, global sortKey) (sortKey, bool) {
	k := sortKey{}
	start, end, hasEnd := strings.Cut(spec, ",")
	var opts1, opts2 string
	var ok bool
	if k.f1, k.c1, opts1, ok = sortPos(start); !ok || k.f1 < 1 {
		return k, false
	}
	if k.c1 == 0 {
		k.c1 = 1
	}
	if hasEnd {
		if k.f2, k.c2, opts2, ok = sortPos(end); !ok || k.f2 < 1 {
			return k, false
		}
	}
	own := false
	for i, opts := range []string{opts1, opts2} {
		for _, c := range opts {
			switch c {
			case 'b':
				if i == 0 {
					k.blanks1 = true
				} else {
					k.blanks2 = true
				}
			case 'f':
				k.fold = true
			case 'r':
				k.reverse = true
			case 'n', 'h', 'g', 'V', 'M':
				k.kind = byte(c)
			case 'd', 'i':
			default:
				return k, false
			}
			own = true
		}
	}
	if !own {
		k.blanks1, k.blanks2, k.kind, k.fold, k.reverse = global.blanks1, global.blanks2, global.kind, global.fold, global.reverse
	}
	return k, true
}

func sortPos(s string) (field, char int, opts string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	field, err := strconv.Atoi(s[:i])
	if err != nil {
		return 0, 0, "", false
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if char, err = strconv.Atoi(s[i+1 : j]); err != nil {
			return 0, 0, "", false
		}
		i = j
	}
	return field, char, s[i:], true
}

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

// field extracts a key from a line.
func (s *sorter) field(line []byte, k sortKey) []byte {
	if k.f1 == 1 && k.c1 <= 1 && k.f2 == 0 && !k.blanks1 {
		return line
	}
	starts, ends := s.fields(line)
	pos := func(f, c int, blanks, end bool) int {
		if f > len(starts) {
			return len(line)
		}
		st, en := starts[f-1], ends[f-1]
		if blanks {
			for st < en && (line[st] == ' ' || line[st] == '\t') {
				st++
			}
		}
		if end && c == 0 {
			return en
		}
		return min(st+c-1+boolInt(end), en)
	}
	from := pos(k.f1, k.c1, k.blanks1, false)
	to := len(line)
	if k.f2 > 0 {
		to = pos(k.f2, k.c2, k.blanks2, true)
	}
	if to < from {
		return nil
	}
	return line[from:to]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fields splits a line as sort does: at each -t separator, or before each
// run of blanks (a field keeps its leading blanks).
func (s *sorter) fields(line []byte) (starts, ends []int) {
	if s.tab >= 0 {
		st := 0
		for i, c := range line {
			if int(c) == s.tab {
				starts, ends = append(starts, st), append(ends, i)
				st = i + 1
			}
		}
		return append(starts, st), append(ends, len(line))
	}
	i := 0
	for i < len(line) {
		st := i
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		starts, ends = append(starts, st), append(ends, i)
	}
	return starts, ends
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

var uniqSpec = optSpec{short: "cdDf:is:uw:z", usage: "[OPTION]... [INPUT [OUTPUT]]", long: map[string]string{
	"count": "c", "repeated": "d", "all-repeated": "D", "skip-fields": "f:", "ignore-case": "i",
	"skip-chars": "s:", "unique": "u", "check-chars": "w:",
}}

// cmdUniq collapses adjacent equal lines.
func cmdUniq(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := uniqSpec.parse(o, "uniq", args[1:])
	if !ok {
		return st
	}
	count, repeated, unique, fold, all := false, false, false, false, false
	skipFields, skipChars, check := 0, 0, -1
	for _, op := range opts {
		var err error
		switch op.key {
		case "c":
			count = true
		case "d":
			repeated = true
		case "D":
			all, repeated = true, true
		case "u":
			unique = true
		case "i":
			fold = true
		case "f":
			if skipFields, err = strconv.Atoi(op.val); err != nil || skipFields < 0 {
				o.Errorf("uniq", "%s: invalid number of fields to skip", op.val)
				return 1
			}
		case "s":
			if skipChars, err = strconv.Atoi(op.val); err != nil || skipChars < 0 {
				o.Errorf("uniq", "%s: invalid number of bytes to skip", op.val)
				return 1
			}
		case "w":
			if check, err = strconv.Atoi(op.val); err != nil || check < 0 {
				o.Errorf("uniq", "%s: invalid number of bytes to compare", op.val)
				return 1
			}
		}
	}
	if len(files) > 2 {
		return usageError(o, "uniq", 1, "extra operand %s", quote(files[2]))
	}
	if all && count {
		o.Errorf("uniq", "printing all duplicated lines and repeat counts is meaningless")
		return usageError(o, "uniq", 1, "")
	}
	inName := "-"
	if len(files) > 0 {
		inName = files[0]
	}
	in := newInputs(ctx, o)
	defer in.close()
	r, closeFile, err := in.open(inName)
	if err != nil {
		o.Errorf("uniq", "%s: %s", quotef(inName), strerror(err))
		return 1
	}
	defer closeFile()
	var w io.Writer = o.Stdout
	if len(files) == 2 && files[1] != "-" {
		f, err := o.FS.OpenFile(o.Path(files[1]), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, fileMode)
		if err != nil {
			o.Errorf("uniq", "%s: %s", quotef(files[1]), strerror(err))
			return 1
		}
		defer f.Close()
		w = f
	}
	out := bufio.NewWriterSize(w, bufSize)
	key := func(line []byte) []byte {
		for f := 0; f < skipFields; f++ {
			i := 0
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
			line = line[i:]
		}
		line = line[min(skipChars, len(line)):]
		if check >= 0 && check < len(line) {
			line = line[:check]
		}
		return line
	}
	same := func(a, b []byte) bool {
		if fold {
			return bytes.EqualFold(key(a), key(b))
		}
		return bytes.Equal(key(a), key(b))
	}
	var prev []byte
	n := 0
	flush := func() {
		if n == 0 || repeated && n < 2 || unique && n > 1 || all {
			return
		}
		if count {
			fmt.Fprintf(out, "%7d ", n)
		}
		out.Write(prev)
		out.WriteByte('\n')
	}
	lr := newLineReader(r, out)
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readFailed(ctx, o, "uniq", inName, err)
		}
		body, _ := chomp(line)
		if n > 0 && same(prev, body) {
			n++
			if all {
				if n == 2 {
					out.Write(prev)
					out.WriteByte('\n')
				}
				out.Write(body)
				out.WriteByte('\n')
			}
			continue
		}
		flush()
		prev, n = append(prev[:0], body...), 1
	}
	flush()
	if err := out.Flush(); err != nil {
		return writeFailed(o, "uniq", err)
	}
	return 0
}

var cutSpec = optSpec{short: "b:c:d:f:nsz", usage: "OPTION... [FILE]...", long: map[string]string{
	"bytes": "b:", "characters": "c:", "delimiter": "d:", "fields": "f:", "only-delimited": "s",
	"complement": "complement", "output-delimiter": "output-delimiter:",
}}

// cutRange is a closed range of positions from 1; hi 0 means to the end.
type cutRange struct{ lo, hi int }

// cmdCut prints selected fields (or bytes) of each line.
func cmdCut(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := cutSpec.parse(o, "cut", args[1:])
	if !ok {
		return st
	}
	var list string
	mode := byte(0)
	delim, outDelim, haveDelim, haveOut := byte('\t'), "", false, false
	onlyDelimited, complement := false, false
	for _, op := range opts {
		switch op.key {
		case "b", "c", "f":
			if mode != 0 {
				return usageError(o, "cut", 1, "only one type of list may be specified")
			}
			mode, list = op.key[0], op.val
		case "d":
			if len(op.val) > 1 {
				return usageError(o, "cut", 1, "the delimiter must be a single character")
			}
			delim, haveDelim = 0, true
			if op.val != "" {
				delim = op.val[0]
			}
		case "s":
			onlyDelimited = true
		case "complement":
			complement = true
		case "output-delimiter":
			outDelim, haveOut = op.val, true
		}
	}
	if mode == 0 {
		return usageError(o, "cut", 1, "you must specify a list of bytes, characters, or fields")
	}
	if mode != 'f' && haveDelim {
		return usageError(o, "cut", 1, "an input delimiter may be specified only when operating on fields")
	}
	if mode != 'f' && onlyDelimited {
		return usageError(o, "cut", 1, "suppressing non-delimited lines makes sense\n\tonly when operating on fields")
	}
	ranges, msg := parseCutList(list, mode)
	if msg != "" {
		return usageError(o, "cut", 1, "%s", msg)
	}
	if !haveOut {
		outDelim = string(delim)
		if mode != 'f' {
			outDelim = ""
		}
	}
	selected := func(i int) bool {
		for _, r := range ranges {
			if i >= r.lo && (r.hi == 0 || i <= r.hi) {
				return !complement
			}
		}
		return complement
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	in := newInputs(ctx, o)
	defer in.close()
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	for _, name := range files {
		r, closeFile, err := in.open(name)
		if err != nil {
			o.Errorf("cut", "%s: %s", quotef(name), strerror(err))
			status = 1
			continue
		}
		lr := newLineReader(r, out)
		for {
			line, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				closeFile()
				if st := readFailed(ctx, o, "cut", name, err); st != 1 {
					return st
				}
				status = 1
				break
			}
			body, _ := chomp(line)
			if mode != 'f' {
				first := true
				for i := range body {
					if selected(i + 1) {
						if !first && haveOut && !selected(i) {
							out.WriteString(outDelim)
						}
						out.WriteByte(body[i])
						first = false
					}
				}
				out.WriteByte('\n')
				continue
			}
			if bytes.IndexByte(body, delim) < 0 {
				if !onlyDelimited {
					out.Write(body)
					out.WriteByte('\n')
				}
				continue
			}
			first := true
			for i, f := range bytes.Split(body, []byte{delim}) {
				if selected(i + 1) {
					if !first {
						out.WriteString(outDelim)
					}
					out.Write(f)
					first = false
				}
			}
			out.WriteByte('\n')
		}
		closeFile()
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "cut", err)
	}
	return status
}

// parseCutList parses a LIST (1,3-5,7-), or returns GNU's complaint.
func parseCutList(list string, mode byte) ([]cutRange, string) {
	what := "field"
	if mode != 'f' {
		what = "byte/character position"
	}
	var out []cutRange
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		num := func(s string, dflt int) (int, string) {
			if s == "" {
				return dflt, ""
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return 0, fmt.Sprintf("invalid %s value %s", what, quote(part))
			}
			if n == 0 {
				if mode == 'f' {
					return 0, "fields are numbered from 1"
				}
				return 0, "byte/character positions are numbered from 1"
			}
			return n, ""
		}
		if part == "" || part == "-" {
			return nil, "invalid range with no endpoint: -"
		}
		a, msg := num(lo, 1)
		if msg != "" {
			return nil, msg
		}
		b := a
		if isRange {
			if b, msg = num(hi, 0); msg != "" {
				return nil, msg
			}
			if b != 0 && b < a {
				return nil, "invalid decreasing range"
			}
		}
		out = append(out, cutRange{a, b})
	}
	return out, ""
}

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
