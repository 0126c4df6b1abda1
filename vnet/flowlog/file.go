package flowlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// OpenFile opens path to receive a flow log's records in the format fields,
// as a log file is opened: created (0644) when absent, appended to when it
// already is a flow log vlab wrote in the same format (its first line is
// that header), and refused otherwise, so that a name in a topology file
// someone sent can never truncate or corrupt an unrelated file. A symbolic
// link is refused, not followed; so is anything but a regular file.
//
// header reports whether the file already holds the header line; pass it
// as Config.SkipHeader.
func OpenFile(path string, fields []string) (f *os.File, header bool, err error) {
	if fields == nil {
		fields = DefaultFields
	}
	want := strings.Join(fields, " ")
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, false, fmt.Errorf("%s is a symbolic link: vlab does not follow links for files it writes (name the file itself)", path)
		}
		if !fi.Mode().IsRegular() {
			return nil, false, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
		}
	}
	// O_NOFOLLOW closes the gap between the check above and the open;
	// O_NONBLOCK keeps a FIFO put there meanwhile from blocking the open.
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, false, fmt.Errorf("%s is a symbolic link: vlab does not follow links for files it writes", path)
		}
		return nil, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, false, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() == 0 {
		return f, false, nil
	}
	first, err := firstLine(path)
	if err != nil {
		f.Close()
		return nil, false, err
	}
	if first != want {
		f.Close()
		if looksLikeHeader(first) {
			return nil, false, fmt.Errorf("%s is a flow log in another format (%q, this log writes %q): name a new file", path, first, want)
		}
		return nil, false, fmt.Errorf("%s exists and is not a flow log vlab wrote (its first line is not a header of flow-log fields): vlab appends only to its own logs; name a new file or remove this one", path)
	}
	return f, true, nil
}

func firstLine(path string) (string, error) {
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer r.Close()
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// looksLikeHeader reports whether line names flow-log fields only.
func looksLikeHeader(line string) bool {
	fs := strings.Fields(line)
	if len(fs) == 0 {
		return false
	}
	for _, f := range fs {
		if _, ok := fieldVersion[f]; !ok {
			return false
		}
	}
	return true
}
