package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/vlab-sim/vlab/target/vfs"
)

var lsSpec = optSpec{short: "1aAdFghilLnoprRsStUCx", bad: 2, usage: "[OPTION]... [FILE]...", long: map[string]string{
	"all": "a", "almost-all": "A", "directory": "d", "classify": "F", "human-readable": "h",
	"inode": "i", "dereference": "L", "numeric-uid-gid": "n", "reverse": "r", "recursive": "R",
	"size": "s", "color": "color::", "colour": "color::", "full-time": "full-time",
	"group-directories-first": "group-directories-first", "time-style": "time-style:",
}}

// lsOpts are ls's settings.
type lsOpts struct {
	long, all, almostAll, dirSelf, classify, slash, human, inode, numeric bool
	recursive, reverse, byTime, bySize, unsorted, columns, noOwner        bool
	noGroup, blocks, across                                               bool
}

// lsEntry is a file ls shows: its name as printed and where it is.
type lsEntry struct {
	name string
	path string
	fi   fs.FileInfo
}

// cmdLs lists files and directories: one name a line (the command cannot
// tell a terminal from a pipe), or -l's long format, or columns with -C.
func cmdLs(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := lsSpec.parse(o, "ls", args[1:])
	if !ok {
		return st
	}
	var l lsOpts
	for _, op := range opts {
		switch op.key {
		case "1":
			l.columns, l.across = false, false
		case "C":
			l.columns, l.across = true, false
		case "x":
			l.columns, l.across = false, true
		case "a":
			l.all = true
		case "A":
			l.almostAll = true
		case "d":
			l.dirSelf = true
		case "F":
			l.classify = true
		case "p":
			l.slash = true
		case "g":
			l.long, l.noOwner = true, true
		case "o":
			l.long, l.noGroup = true, true
		case "h":
			l.human = true
		case "i":
			l.inode = true
		case "l":
			l.long = true
		case "n":
			l.long, l.numeric = true, true
		case "r":
			l.reverse = true
		case "R":
			l.recursive = true
		case "s":
			l.blocks = true
		case "S":
			l.bySize = true
		case "t":
			l.byTime = true
		case "U":
			l.unsorted = true
		}
	}
	if len(operands) == 0 {
		operands = []string{"."}
	}
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	status := 0
	var files []lsEntry
	var dirs []lsEntry
	for _, name := range operands {
		fi, err := statName(o, name)
		if err != nil {
			o.Errorf("ls", "cannot access %s: %s", quoteaf(name), strerror(err))
			status = 2
			continue
		}
		e := lsEntry{name: name, path: o.Path(name), fi: fi}
		if fi.IsDir() && !l.dirSelf {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	now := o.Shell.Sys.Now()
	l.sort(files)
	l.sort(dirs)
	if len(files) > 0 {
		l.print(o, out, files, now)
	}
	header := len(operands) > 1 || l.recursive
	for i, d := range dirs {
		if st := l.listDir(ctx, o, out, d, header, i > 0 || len(files) > 0, now, true); st > status {
			status = st
		}
		if ctx.Err() != nil {
			return statusInterrupted
		}
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "ls", err)
	}
	return status
}

// listDir lists a directory's entries, then with -R its subdirectories.
func (l lsOpts) listDir(ctx context.Context, o IO, out *bufio.Writer, d lsEntry, header, gap bool, now time.Time, top bool) int {
	if gap {
		out.WriteByte('\n')
	}
	if header {
		fmt.Fprintf(out, "%s:\n", d.name)
	}
	ents, err := o.FS.ReadDir(d.path)
	if err != nil {
		o.Errorf("ls", "cannot open directory %s: %s", quoteaf(d.name), strerror(err))
		if top {
			return 2
		}
		return 1
	}
	var list []lsEntry
	if l.all {
		for _, n := range []string{".", ".."} {
			p := d.path
			if n == ".." {
				p = path.Dir(d.path)
			}
			if fi, err := o.FS.Stat(p); err == nil {
				list = append(list, lsEntry{name: n, path: p, fi: fi})
			}
		}
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && !l.all && !l.almostAll {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		list = append(list, lsEntry{name: e.Name(), path: path.Join(d.path, e.Name()), fi: fi})
	}
	l.sort(list)
	if l.long || l.blocks {
		var total int64
		for _, e := range list {
			total += blocksOf(e.fi)
		}
		if l.human {
			fmt.Fprintf(out, "total %s\n", humanSize(total*1024))
		} else {
			fmt.Fprintf(out, "total %d\n", total)
		}
	}
	l.print(o, out, list, now)
	status := 0
	if l.recursive {
		for _, e := range list {
			if !e.fi.IsDir() || e.name == "." || e.name == ".." {
				continue
			}
			if ctx.Err() != nil {
				return statusInterrupted
			}
			sub := e
			sub.name = strings.TrimSuffix(d.name, "/") + "/" + e.name
			if d.name == "/" {
				sub.name = "/" + e.name
			}
			status = max(status, l.listDir(ctx, o, out, sub, true, true, now, false))
		}
	}
	return status
}

// blocksOf is a file's disk use in 1 KiB blocks, as -s and "total" count
// them: whole 4 KiB blocks.
func blocksOf(fi fs.FileInfo) int64 {
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return 0
	}
	return (fi.Size() + 4095) / 4096 * 4
}

func (l lsOpts) sort(list []lsEntry) {
	if !l.unsorted {
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i].fi, list[j].fi
			switch {
			case l.bySize && a.Size() != b.Size():
				return a.Size() > b.Size()
			case l.byTime && !l.bySize && !a.ModTime().Equal(b.ModTime()):
				return a.ModTime().After(b.ModTime())
			}
			return list[i].name < list[j].name
		})
	}
	if l.reverse {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
}

// print writes entries in the format the options ask for.
func (l lsOpts) print(o IO, out *bufio.Writer, list []lsEntry, now time.Time) {
	if !l.long {
		names := make([]string, len(list))
		for i, e := range list {
			names[i] = l.prefix(e, list) + e.name + l.suffix(e.fi)
		}
		if l.columns || l.across {
			cols, _ := o.Shell.Size()
			writeColumns(out, names, cols, l.across)
			return
		}
		for _, n := range names {
			out.WriteString(n)
			out.WriteByte('\n')
		}
		return
	}
	rows := make([][]string, len(list))
	widths := make([]int, 6)
	for i, e := range list {
		ow := owner(e.fi)
		user, group := ownerName(ow.UID), ownerName(ow.GID)
		if l.numeric {
			user, group = strconv.Itoa(ow.UID), strconv.Itoa(ow.GID)
		}
		size := strconv.FormatInt(e.fi.Size(), 10)
		if e.fi.Mode()&fs.ModeDevice != 0 {
			size = deviceNumbers(e.path)
		} else if l.human {
			size = humanSize(e.fi.Size())
		}
		rows[i] = []string{modeString(e.fi.Mode()), strconv.Itoa(ow.Nlink), user, group, size, lsTime(e.fi.ModTime(), now)}
		for j, f := range rows[i] {
			widths[j] = max(widths[j], len(f))
		}
	}
	for i, e := range list {
		r := rows[i]
		out.WriteString(l.prefix(e, list))
		fmt.Fprintf(out, "%s %*s ", r[0], widths[1], r[1])
		if !l.noOwner {
			fmt.Fprintf(out, "%-*s ", widths[2], r[2])
		}
		if !l.noGroup {
			fmt.Fprintf(out, "%-*s ", widths[3], r[3])
		}
		fmt.Fprintf(out, "%*s %s %s%s\n", widths[4], r[4], r[5], e.name, l.suffix(e.fi))
	}
}

// prefix is what -i and -s put before a name.
func (l lsOpts) prefix(e lsEntry, list []lsEntry) string {
	s := ""
	if l.inode {
		w := 0
		for _, x := range list {
			w = max(w, len(strconv.FormatUint(owner(x.fi).Ino, 10)))
		}
		s += fmt.Sprintf("%*d ", w, owner(e.fi).Ino)
	}
	if l.blocks {
		w := 0
		for _, x := range list {
			w = max(w, len(strconv.FormatInt(blocksOf(x.fi), 10)))
		}
		s += fmt.Sprintf("%*d ", w, blocksOf(e.fi))
	}
	return s
}

// suffix is -F's and -p's mark after a name.
func (l lsOpts) suffix(fi fs.FileInfo) string {
	switch {
	case fi.IsDir() && (l.classify || l.slash):
		return "/"
	case l.classify && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0:
		return "*"
	}
	return ""
}

// writeColumns lays names out in as many columns as fit in width, down
// the page (-C) or across it (-x), with GNU's algorithm: columns two
// spaces apart, padded with tabs where they reach a tab stop.
func writeColumns(out *bufio.Writer, names []string, width int, across bool) {
	n := len(names)
	if n == 0 {
		return
	}
	if width <= 0 {
		width = 80
	}
	lens := make([]int, n)
	for i, name := range names {
		lens[i] = utf8.RuneCountInString(name)
	}
	maxCols := max(1, min(width/3, n))
	widths := make([][]int, maxCols)
	cols := 1
	for c := maxCols; c >= 1; c-- {
		rows := (n + c - 1) / c
		w := make([]int, c)
		total := 0
		for i, l := range lens {
			col := i / rows
			if across {
				col = i % c
			}
			if col != c-1 {
				l += 2
			}
			if l > w[col] {
				total += l - w[col]
				w[col] = l
			}
		}
		widths[c-1] = w
		if total < width || c == 1 {
			cols = c
			break
		}
	}
	w := widths[cols-1]
	rows := (n + cols - 1) / cols
	if across {
		for i, name := range names {
			col := i % cols
			if col == 0 && i > 0 {
				out.WriteByte('\n')
			}
			out.WriteString(name)
			if col < cols-1 && i+1 < n {
				pos := 0
				for c := 0; c < col; c++ {
					pos += w[c]
				}
				indent(out, pos+lens[i], pos+w[col])
			}
		}
		out.WriteByte('\n')
		return
	}
	for r := 0; r < rows; r++ {
		pos := 0
		for col, i := 0, r; i < n; col, i = col+1, i+rows {
			out.WriteString(names[i])
			if i+rows >= n {
				break
			}
			indent(out, pos+lens[i], pos+w[col])
			pos += w[col]
		}
		out.WriteByte('\n')
	}
}

// indent pads from column from to column to, with tabs where a whole tab
// fits, as GNU ls does.
func indent(out *bufio.Writer, from, to int) {
	for from < to {
		if to/8 > (from+1)/8 {
			out.WriteByte('\t')
			from += 8 - from%8
		} else {
			out.WriteByte(' ')
			from++
		}
	}
}

// modeString is a file's mode as ls -l shows it: drwxr-xr-x.
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeDevice != 0:
		b[0] = 'b'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	special := func(i int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[i] == '-' {
			b[i] = upper
		} else {
			b[i] = lower
		}
	}
	special(3, m&fs.ModeSetuid != 0, 's', 'S')
	special(6, m&fs.ModeSetgid != 0, 's', 'S')
	special(9, m&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}

// deviceNumbers is the "major, minor" ls -l shows for a device, Linux's
// for the devices an instance has.
func deviceNumbers(p string) string {
	switch p {
	case "/dev/null":
		return "1, 3"
	case "/dev/zero":
		return "1, 5"
	case "/dev/random":
		return "1, 8"
	case "/dev/urandom":
		return "1, 9"
	case "/dev/tty":
		return "5, 0"
	}
	return "1, 0"
}

// lsTime is ls -l's date: the time of day for the last six months, the
// year before that (or in the future).
func lsTime(t, now time.Time) string {
	t = t.UTC()
	sixMonths := now.Add(-time.Duration(31556952/2) * time.Second)
	if t.After(sixMonths) && !t.After(now.Add(time.Second)) {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// humanSize is a size as -h shows it: 1023, 1.0K, 9.9K, 10K, 1.5M…,
// rounded up as GNU rounds.
func humanSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	v := float64(n)
	units := "KMGTPE"
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 {
		r := float64(int64(v*10+0.9999999)) / 10
		if r >= 10 {
			return fmt.Sprintf("%d%c", 10, units[i])
		}
		return fmt.Sprintf("%.1f%c", r, units[i])
	}
	r := int64(v + 0.9999999)
	if r >= 1024 && i < len(units)-1 {
		return fmt.Sprintf("1.0%c", units[i+1])
	}
	return fmt.Sprintf("%d%c", r, units[i])
}

var touchSpec = optSpec{short: "acd:fmr:t:h", usage: "[OPTION]... FILE...", long: map[string]string{
	"no-create": "c", "date": "d:", "reference": "r:", "no-dereference": "h", "time": "time:",
}}

// cmdTouch creates files, or sets their times to now (or -d, -t, -r's).
func cmdTouch(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := touchSpec.parse(o, "touch", args[1:])
	if !ok {
		return st
	}
	now := o.Shell.Sys.Now()
	when := now
	noCreate := false
	for _, op := range opts {
		switch op.key {
		case "c":
			noCreate = true
		case "d":
			t, ok := parseDate(op.val, now)
			if !ok {
				o.Errorf("touch", "invalid date format %s", quote(op.val))
				return 1
			}
			when = t
		case "t":
			t, ok := parseTouchStamp(op.val, now)
			if !ok {
				o.Errorf("touch", "invalid date format %s", quote(op.val))
				return 1
			}
			when = t
		case "r":
			fi, err := statName(o, op.val)
			if err != nil {
				o.Errorf("touch", "failed to get attributes of %s: %s", quoteaf(op.val), strerror(err))
				return 1
			}
			when = fi.ModTime()
		}
	}
	if len(files) == 0 {
		return usageError(o, "touch", 1, "missing file operand")
	}
	status := 0
	for _, name := range files {
		p := o.Path(name)
		_, err := statName(o, name)
		if errors.Is(err, fs.ErrNotExist) {
			if noCreate {
				continue
			}
			var f *vfs.File
			if f, err = o.FS.OpenFile(p, vfs.O_WRONLY|vfs.O_CREATE, fileMode); err == nil {
				f.Close()
			}
		}
		if err == nil {
			err = o.FS.Chtimes(p, when)
		}
		if err != nil {
			o.Errorf("touch", "cannot touch %s: %s", quoteaf(name), strerror(err))
			status = 1
		}
	}
	return status
}

// parseTouchStamp parses touch -t's [[CC]YY]MMDDhhmm[.ss].
func parseTouchStamp(s string, now time.Time) (time.Time, bool) {
	main, secs, _ := strings.Cut(s, ".")
	if strings.Trim(main, "0123456789") != "" || strings.Trim(secs, "0123456789") != "" {
		return time.Time{}, false
	}
	year := now.Year()
	switch len(main) {
	case 8:
	case 10:
		yy, _ := strconv.Atoi(main[:2])
		year = 1900 + yy
		if yy < 69 {
			year = 2000 + yy
		}
		main = main[2:]
	case 12:
		year, _ = strconv.Atoi(main[:4])
		main = main[4:]
	default:
		return time.Time{}, false
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	sec := 0
	if secs != "" {
		sec = n(secs)
	}
	t := time.Date(year, time.Month(n(main[:2])), n(main[2:4]), n(main[4:6]), n(main[6:8]), sec, 0, time.UTC)
	if t.Month() != time.Month(n(main[:2])) {
		return time.Time{}, false
	}
	return t, true
}

var mkdirSpec = optSpec{short: "m:pvZ", usage: "[OPTION]... DIRECTORY...", long: map[string]string{
	"mode": "m:", "parents": "p", "verbose": "v",
}}

// cmdMkdir makes directories; -p makes their parents too and accepts
// those that exist.
func cmdMkdir(ctx context.Context, o IO, args []string) int {
	opts, dirs, st, ok := mkdirSpec.parse(o, "mkdir", args[1:])
	if !ok {
		return st
	}
	parents, verbose := false, false
	mode := fs.FileMode(dirMode)
	for _, op := range opts {
		switch op.key {
		case "p":
			parents = true
		case "v":
			verbose = true
		case "m":
			m, err := strconv.ParseUint(op.val, 8, 32)
			if err != nil || m > 0o7777 {
				o.Errorf("mkdir", "invalid mode %s", quote(op.val))
				return 1
			}
			mode = fs.FileMode(m & 0o777)
			if m&0o1000 != 0 {
				mode |= fs.ModeSticky
			}
		}
	}
	if len(dirs) == 0 {
		return usageError(o, "mkdir", 1, "missing operand")
	}
	status := 0
	for _, name := range dirs {
		if !parents {
			if err := o.FS.Mkdir(o.Path(name), mode); err != nil {
				o.Errorf("mkdir", "cannot create directory %s: %s", quote(name), strerror(err))
				status = 1
			} else if verbose {
				fmt.Fprintf(o.Stdout, "mkdir: created directory %s\n", quoteaf(name))
			}
			continue
		}
		// Each missing step, named as the operand names it.
		prefix := ""
		if strings.HasPrefix(name, "/") {
			prefix = "/"
		}
		parts := strings.Split(strings.Trim(name, "/"), "/")
		for i, part := range parts {
			if part == "" {
				continue
			}
			step := prefix + strings.Join(parts[:i+1], "/")
			m := fs.FileMode(dirMode)
			if i == len(parts)-1 {
				m = mode
			}
			fi, err := o.FS.Stat(o.Path(step))
			if err == nil {
				if !fi.IsDir() {
					o.Errorf("mkdir", "cannot create directory %s: %s", quote(step), strerror(syscall.ENOTDIR))
					status = 1
					break
				}
				continue
			}
			if err := o.FS.Mkdir(o.Path(step), m); err != nil && !errors.Is(err, fs.ErrExist) {
				o.Errorf("mkdir", "cannot create directory %s: %s", quote(step), strerror(err))
				status = 1
				break
			}
			if verbose {
				fmt.Fprintf(o.Stdout, "mkdir: created directory %s\n", quoteaf(step))
			}
		}
	}
	return status
}

var rmSpec = optSpec{short: "dfirRIv", usage: "[OPTION]... [FILE]...", long: map[string]string{
	"dir": "d", "force": "f", "interactive": "interactive::", "recursive": "r", "verbose": "v",
	"no-preserve-root": "no-preserve-root", "preserve-root": "preserve-root::", "one-file-system": "one-file-system",
}}

// remover is one rm's settings.
type remover struct {
	o                                    IO
	force, recursive, dirs, verbose, ask bool
	answers                              *bufio.Reader
}

// cmdRm removes files, and with -r directories and all they hold; it
// refuses to remove / recursively, as GNU does.
func cmdRm(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := rmSpec.parse(o, "rm", args[1:])
	if !ok {
		return st
	}
	rm := &remover{o: o}
	preserveRoot := true
	for _, op := range opts {
		switch op.key {
		case "f":
			rm.force, rm.ask = true, false
		case "i":
			rm.ask, rm.force = true, false
		case "r", "R":
			rm.recursive = true
		case "d":
			rm.dirs = true
		case "v":
			rm.verbose = true
		case "no-preserve-root":
			preserveRoot = false
		}
	}
	if len(files) == 0 {
		if rm.force {
			return 0
		}
		return usageError(o, "rm", 1, "missing operand")
	}
	if rm.ask {
		in := newInputs(ctx, o)
		defer in.close()
		rm.answers = bufio.NewReader(in.stdinReader())
	}
	status := 0
	for _, name := range files {
		base := path.Base(strings.TrimRight(name, "/"))
		switch {
		case rm.recursive && preserveRoot && o.Path(name) == "/":
			o.Errorf("rm", "it is dangerous to operate recursively on %s", quoteaf("/"))
			o.Errorf("rm", "use --no-preserve-root to override this failsafe")
			status = 1
			continue
		case base == "." || base == "..":
			o.Errorf("rm", "refusing to remove '.' or '..' directory: skipping %s", quoteaf(name))
			status = 1
			continue
		}
		if !rm.remove(ctx, name, o.Path(name)) {
			status = 1
		}
		if ctx.Err() != nil {
			return statusInterrupted
		}
	}
	return status
}

// remove removes one file or tree; false when something stayed.
func (rm *remover) remove(ctx context.Context, name, p string) bool {
	o := rm.o
	fi, err := statName(o, name)
	if err != nil {
		if rm.force && errors.Is(err, fs.ErrNotExist) {
			return true
		}
		o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
		return false
	}
	if fi.IsDir() {
		if !rm.recursive && !rm.dirs {
			o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(syscall.EISDIR))
			return false
		}
		if rm.recursive {
			if rm.ask && !rm.confirm("descend into directory", name) {
				return false
			}
			ents, err := o.FS.ReadDir(p)
			if err != nil {
				o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
				return false
			}
			ok := true
			for _, e := range ents {
				if ctx.Err() != nil {
					return false
				}
				ok = rm.remove(ctx, strings.TrimSuffix(name, "/")+"/"+e.Name(), path.Join(p, e.Name())) && ok
			}
			if !ok {
				return false
			}
		}
		if rm.ask && !rm.confirm("remove directory", name) {
			return false
		}
	} else if rm.ask && !rm.confirm("remove "+fileKind(fi), name) {
		return false
	}
	if err := o.FS.Remove(p); err != nil {
		o.Errorf("rm", "cannot remove %s: %s", quoteaf(name), strerror(err))
		return false
	}
	if rm.verbose {
		if fi.IsDir() {
			fmt.Fprintf(o.Stdout, "removed directory %s\n", quoteaf(name))
		} else {
			fmt.Fprintf(o.Stdout, "removed %s\n", quoteaf(name))
		}
	}
	return true
}

// confirm asks rm -i's question on stderr and reads the answer.
func (rm *remover) confirm(what, name string) bool {
	fmt.Fprintf(rm.o.Stderr, "rm: %s %s? ", what, quoteaf(name))
	line, _ := rm.answers.ReadString('\n')
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "y") || strings.HasPrefix(line, "Y")
}

// fileKind is a file's type in coreutils' words.
func fileKind(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeCharDevice != 0:
		return "character special file"
	case m&fs.ModeDevice != 0:
		return "block special file"
	case m.IsRegular() && fi.Size() == 0:
		return "regular empty file"
	case m.IsRegular():
		return "regular file"
	}
	return "weird file"
}

var rmdirSpec = optSpec{short: "pv", usage: "[OPTION]... DIRECTORY...", long: map[string]string{
	"parents": "p", "verbose": "v", "ignore-fail-on-non-empty": "ignore",
}}

// cmdRmdir removes empty directories.
func cmdRmdir(ctx context.Context, o IO, args []string) int {
	opts, dirs, st, ok := rmdirSpec.parse(o, "rmdir", args[1:])
	if !ok {
		return st
	}
	parents, verbose, ignore := false, false, false
	for _, op := range opts {
		switch op.key {
		case "p":
			parents = true
		case "v":
			verbose = true
		case "ignore":
			ignore = true
		}
	}
	if len(dirs) == 0 {
		return usageError(o, "rmdir", 1, "missing operand")
	}
	status := 0
	rmdir := func(name string) bool {
		fi, err := statName(o, name)
		if err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
		if err == nil {
			err = o.FS.Remove(o.Path(name))
		}
		if err != nil {
			if !(ignore && errors.Is(err, syscall.ENOTEMPTY)) {
				o.Errorf("rmdir", "failed to remove %s: %s", quoteaf(name), strerror(err))
				status = 1
			}
			return false
		}
		if verbose {
			fmt.Fprintf(o.Stdout, "rmdir: removing directory, %s\n", quoteaf(name))
		}
		return true
	}
	for _, name := range dirs {
		if !rmdir(name) || !parents {
			continue
		}
		for p := path.Dir(strings.TrimRight(name, "/")); p != "." && p != "/"; p = path.Dir(p) {
			if !rmdir(p) {
				break
			}
		}
	}
	return status
}

var cpSpec = optSpec{short: "afinprRtTuvdL", usage: "[OPTION]... SOURCE... DEST", long: map[string]string{
	"archive": "a", "force": "f", "interactive": "i", "no-clobber": "n", "preserve": "preserve::",
	"recursive": "r", "target-directory": "target:", "no-target-directory": "T", "update": "u",
	"verbose": "v", "dereference": "L", "no-dereference": "d",
}}

// copier is one cp's settings.
type copier struct {
	ctx                                        context.Context
	o                                          IO
	recursive, preserve, noClobber, verbose, u bool
	buf                                        []byte
	status                                     int
}

// cmdCp copies files, and with -r directories.
func cmdCp(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := cpSpec.parse(o, "cp", args[1:])
	if !ok {
		return st
	}
	c := &copier{ctx: ctx, o: o, buf: make([]byte, bufSize)}
	target, noTarget := "", false
	for _, op := range opts {
		switch op.key {
		case "a":
			c.recursive, c.preserve = true, true
		case "r", "R":
			c.recursive = true
		case "p":
			c.preserve = true
		case "preserve":
			c.preserve = true
		case "n":
			c.noClobber = true
		case "v":
			c.verbose = true
		case "u":
			c.u = true
		case "target":
			target = op.val
		case "T":
			noTarget = true
		}
	}
	return runTransfer(o, "cp", operands, target, noTarget, c.copyTop)
}

// runTransfer is what cp and mv share: working out each source's
// destination, as a file or inside a target directory.
func runTransfer(o IO, name string, operands []string, target string, noTarget bool, each func(src, dst string) int) int {
	if target == "" {
		switch len(operands) {
		case 0:
			return usageError(o, name, 1, "missing file operand")
		case 1:
			return usageError(o, name, 1, "missing destination file operand after %s", quoteaf(operands[0]))
		}
		target, operands = operands[len(operands)-1], operands[:len(operands)-1]
	}
	fi, err := statName(o, target)
	targetDir := err == nil && fi.IsDir() && !noTarget
	if len(operands) > 1 && !targetDir {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			o.Errorf(name, "target %s: %s", quoteaf(target), strerror(err))
		} else {
			o.Errorf(name, "target %s is not a directory", quoteaf(target))
		}
		return 1
	}
	status := 0
	for _, src := range operands {
		dst := target
		if targetDir {
			base := path.Base(strings.TrimRight(src, "/"))
			if strings.HasSuffix(target, "/") {
				dst = target + base
			} else {
				dst = target + "/" + base
			}
		}
		status = max(status, each(src, dst))
	}
	return status
}

func (c *copier) copyTop(src, dst string) int {
	c.status = 0
	c.copy(src, dst)
	return c.status
}

// copy copies src to dst, a tree with -r.
func (c *copier) copy(src, dst string) {
	o := c.o
	if c.ctx.Err() != nil {
		c.status = statusInterrupted
		return
	}
	fi, err := statName(o, src)
	if err != nil {
		o.Errorf("cp", "cannot stat %s: %s", quoteaf(src), strerror(err))
		c.status = 1
		return
	}
	sp, dp := o.Path(src), o.Path(dst)
	dfi, derr := o.FS.Stat(dp)
	if derr == nil && sp == dp {
		o.Errorf("cp", "%s and %s are the same file", quoteaf(src), quoteaf(dst))
		c.status = 1
		return
	}
	if fi.IsDir() {
		if !c.recursive {
			o.Errorf("cp", "-r not specified; omitting directory %s", quoteaf(src))
			c.status = 1
			return
		}
		if dp == sp || strings.HasPrefix(dp, strings.TrimSuffix(sp, "/")+"/") {
			o.Errorf("cp", "cannot copy a directory, %s, into itself, %s", quoteaf(src), quoteaf(dst))
			c.status = 1
			return
		}
		if derr == nil && !dfi.IsDir() {
			o.Errorf("cp", "cannot overwrite non-directory %s with directory %s", quoteaf(dst), quoteaf(src))
			c.status = 1
			return
		}
		if derr != nil {
			mode := fi.Mode().Perm() &^ 0o002
			if c.preserve {
				mode = fi.Mode().Perm()
			}
			if err := o.FS.Mkdir(dp, mode|0o700); err != nil {
				o.Errorf("cp", "cannot create directory %s: %s", quoteaf(dst), strerror(err))
				c.status = 1
				return
			}
			if c.verbose {
				fmt.Fprintf(o.Stdout, "%s -> %s\n", quoteaf(src), quoteaf(dst))
			}
		}
		ents, err := o.FS.ReadDir(sp)
		if err != nil {
			o.Errorf("cp", "cannot access %s: %s", quoteaf(src), strerror(err))
			c.status = 1
			return
		}
		for _, e := range ents {
			c.copy(strings.TrimSuffix(src, "/")+"/"+e.Name(), strings.TrimSuffix(dst, "/")+"/"+e.Name())
			if c.status > 1 {
				return
			}
		}
		if derr != nil {
			mode := fi.Mode().Perm() &^ 0o002
			if c.preserve {
				mode = fi.Mode().Perm()
			}
			o.FS.Chmod(dp, mode)
		}
		if c.preserve {
			o.FS.Chtimes(dp, fi.ModTime())
		}
		return
	}
	if derr == nil {
		if dfi.IsDir() {
			o.Errorf("cp", "cannot overwrite directory %s with non-directory", quoteaf(dst))
			c.status = 1
			return
		}
		if c.noClobber || c.u && !fi.ModTime().After(dfi.ModTime()) {
			return
		}
	}
	c.copyFile(src, dst, fi)
}

// copyFile copies a file's bytes: an existing destination keeps its mode,
// a new one gets the source's less the umask.
func (c *copier) copyFile(src, dst string, fi fs.FileInfo) {
	o := c.o
	in, err := openFile(o, src)
	if err != nil {
		o.Errorf("cp", "cannot open %s for reading: %s", quoteaf(src), strerror(err))
		c.status = 1
		return
	}
	defer in.Close()
	mode := fi.Mode().Perm() &^ 0o002
	if c.preserve {
		mode = fi.Mode().Perm()
	}
	out, err := o.FS.OpenFile(o.Path(dst), vfs.O_WRONLY|vfs.O_CREATE|vfs.O_TRUNC, mode)
	if err != nil {
		o.Errorf("cp", "cannot create regular file %s: %s", quoteaf(dst), strerror(err))
		c.status = 1
		return
	}
	defer out.Close()
	rerr, werr := pump(out, ctxReader{c.ctx, in}, c.buf)
	switch {
	case werr != nil:
		o.Errorf("cp", "error writing %s: %s", quoteaf(dst), strerror(werr))
		c.status = 1
		return
	case rerr != nil && interrupted(c.ctx, rerr):
		c.status = statusInterrupted
		return
	case rerr != nil:
		o.Errorf("cp", "error reading %s: %s", quoteaf(src), strerror(rerr))
		c.status = 1
		return
	}
	if c.preserve {
		o.FS.Chmod(o.Path(dst), fi.Mode().Perm())
		o.FS.Chtimes(o.Path(dst), fi.ModTime())
	}
	if c.verbose {
		fmt.Fprintf(o.Stdout, "%s -> %s\n", quoteaf(src), quoteaf(dst))
	}
}

var mvSpec = optSpec{short: "finTt:uv", usage: "[OPTION]... SOURCE... DEST", long: map[string]string{
	"force": "f", "interactive": "i", "no-clobber": "n", "no-target-directory": "T",
	"target-directory": "t:", "update": "u", "verbose": "v",
}}

// cmdMv moves (renames) files and directories.
func cmdMv(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := mvSpec.parse(o, "mv", args[1:])
	if !ok {
		return st
	}
	noClobber, verbose, update, noTarget, target := false, false, false, false, ""
	for _, op := range opts {
		switch op.key {
		case "n":
			noClobber = true
		case "f", "i":
			noClobber = false
		case "v":
			verbose = true
		case "u":
			update = true
		case "T":
			noTarget = true
		case "t":
			target = op.val
		}
	}
	return runTransfer(o, "mv", operands, target, noTarget, func(src, dst string) int {
		fi, err := statName(o, src)
		if err != nil {
			o.Errorf("mv", "cannot stat %s: %s", quoteaf(src), strerror(err))
			return 1
		}
		sp, dp := o.Path(src), o.Path(dst)
		dfi, derr := o.FS.Stat(dp)
		if derr == nil {
			if sp == dp {
				o.Errorf("mv", "%s and %s are the same file", quoteaf(src), quoteaf(dst))
				return 1
			}
			if noClobber || update && !fi.ModTime().After(dfi.ModTime()) {
				return 0
			}
		}
		if err := o.FS.Rename(sp, dp); err != nil {
			switch {
			case errors.Is(err, syscall.EINVAL):
				o.Errorf("mv", "cannot move %s to a subdirectory of itself, %s", quoteaf(src), quoteaf(dst))
			case errors.Is(err, syscall.EISDIR):
				o.Errorf("mv", "cannot overwrite directory %s with non-directory", quoteaf(dst))
			case errors.Is(err, syscall.ENOTDIR) && derr == nil:
				o.Errorf("mv", "cannot overwrite non-directory %s with directory %s", quoteaf(dst), quoteaf(src))
			default:
				o.Errorf("mv", "cannot move %s to %s: %s", quoteaf(src), quoteaf(dst), strerror(err))
			}
			return 1
		}
		if verbose {
			fmt.Fprintf(o.Stdout, "renamed %s -> %s\n", quoteaf(src), quoteaf(dst))
		}
		return 0
	})
}

var statSpec = optSpec{short: "c:fLt", usage: "[OPTION]... FILE...", long: map[string]string{
	"format": "c:", "printf": "printf:", "dereference": "L", "terse": "t", "file-system": "f",
}}

// cmdStat describes files in stat's default layout, or with -c FORMAT.
func cmdStat(ctx context.Context, o IO, args []string) int {
	opts, files, st, ok := statSpec.parse(o, "stat", args[1:])
	if !ok {
		return st
	}
	format, printf, terse := "", false, false
	for _, op := range opts {
		switch op.key {
		case "c":
			format, printf = op.val+"\n", false
		case "printf":
			format, printf = op.val, true
		case "t":
			terse = true
		case "f":
			o.Errorf("stat", "-f is not supported on this simulated instance")
			return 1
		}
	}
	if len(files) == 0 {
		return usageError(o, "stat", 1, "missing operand")
	}
	if format == "" {
		format = "  File: %n\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\nDevice: %Dh/%dd\tInode: %-10i  Links: %h\nAccess: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z\n Birth: %w\n"
		if terse {
			format = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n"
		}
	}
	status := 0
	for _, name := range files {
		fi, err := statName(o, name)
		if err != nil {
			o.Errorf("stat", "cannot stat %s: %s", quoteaf(name), strerror(err))
			status = 1
			continue
		}
		io.WriteString(o.Stdout, statFormat(format, printf, name, o.Path(name), fi))
	}
	return status
}

// statFormat expands stat's % directives for one file.
func statFormat(format string, escapes bool, name, p string, fi fs.FileInfo) string {
	var b strings.Builder
	ow := owner(fi)
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '\\' && escapes && i+1 < len(format) {
			i++
			switch format[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(format[i])
			}
			continue
		}
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-#0+ .0123456789", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		flags := format[i+1 : j]
		i = j
		var v any
		isNum := true
		switch format[j] {
		case '%':
			b.WriteByte('%')
			continue
		case 'n':
			v, isNum = name, false
		case 'N':
			v, isNum = quoteaf(name), false
		case 's':
			v = fi.Size()
		case 'b':
			v = blocksOf(fi) * 2
		case 'B':
			v = 512
		case 'o':
			v = 4096
		case 'f':
			v, isNum = fmt.Sprintf("%x", unixMode(fi.Mode())), false
		case 'a':
			v, isNum = fmt.Sprintf("%o", unixMode(fi.Mode())&0o7777), false
			if strings.HasPrefix(flags, "0") {
				w, _ := strconv.Atoi(flags)
				v, flags = fmt.Sprintf("%0*o", w, unixMode(fi.Mode())&0o7777), ""
			}
		case 'A':
			v, isNum = modeString(fi.Mode()), false
		case 'F':
			v, isNum = fileKind(fi), false
		case 'u':
			v = ow.UID
		case 'U':
			v, isNum = ownerName(ow.UID), false
		case 'g':
			v = ow.GID
		case 'G':
			v, isNum = ownerName(ow.GID), false
		case 'h':
			v = ow.Nlink
		case 'i':
			v = ow.Ino
		case 'd':
			v = 66305
		case 'D':
			v, isNum = "10301", false
		case 't', 'T':
			v, isNum = "0", false
			if fi.Mode()&fs.ModeDevice != 0 {
				maj, min, _ := strings.Cut(deviceNumbers(p), ", ")
				v = maj
				if format[j] == 'T' {
					v = min
				}
			}
		case 'x', 'y', 'z':
			v, isNum = fi.ModTime().UTC().Format("2006-01-02 15:04:05.000000000 -0700"), false
		case 'X', 'Y', 'Z':
			v = fi.ModTime().Unix()
		case 'w':
			v, isNum = "-", false
		case 'W':
			v = 0
		default:
			b.WriteByte('?')
			continue
		}
		verb := "s"
		if isNum {
			verb = "d"
		}
		fmt.Fprintf(&b, "%"+flags+verb, v)
	}
	return b.String()
}

// unixMode is a FileMode as st_mode's bits.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	switch {
	case m.IsDir():
		u |= 0o040000
	case m&fs.ModeCharDevice != 0:
		u |= 0o020000
	case m&fs.ModeDevice != 0:
		u |= 0o060000
	default:
		u |= 0o100000
	}
	return u
}
