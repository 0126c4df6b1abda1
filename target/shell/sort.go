package shell

import (
	"bufio"
	"context"
	"errors"
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
