package shell

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
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
