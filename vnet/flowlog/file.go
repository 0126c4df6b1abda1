package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	if err := refuseLink(path); err != nil {
		return nil, false, err
	}
	// O_NOFOLLOW closes the gap between the check above and the open;
	// O_NONBLOCK keeps a FIFO put there meanwhile from blocking the open.
	// The file is read through the same descriptor, so what is checked is
	// what is written.
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, false, openError(path, err)
	}
	header, err = check(f, path, fields)
	if err != nil {
		f.Close()
		return nil, false, err
	}
	return f, header, nil
}

// CheckFile reports, writing nothing, why OpenFile would refuse path, or
// nil: what a read-only command (vlab validate) checks of a LogDestination.
func CheckFile(path string, fields []string) error {
	if err := refuseLink(path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s: folder %s does not exist", path, dir)
		}
		return nil // created when the lab runs
	}
	if err != nil {
		return openError(path, err)
	}
	defer f.Close()
	_, err = check(f, path, fields)
	return err
}

func refuseLink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: vlab does not follow links for files it writes (name the file itself)", path)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	return nil
}

func openError(path string, err error) error {
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("%s is a symbolic link: vlab does not follow links for files it writes", path)
	}
	return err
}

// check reports whether the open file f already is a flow log of fields
// (header), is empty (no header), or is something else (an error).
func check(f *os.File, path string, fields []string) (header bool, err error) {
	if fields == nil {
		fields = DefaultFields
	}
	want := strings.Join(fields, " ")
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if fi.Size() == 0 {
		return false, nil
	}
	buf := make([]byte, 4096)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return false, err
	}
	first, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	if string(first) == want {
		return true, nil
	}
	if looksLikeHeader(string(first)) {
		return false, fmt.Errorf("%s is a flow log in another format (%q, this log writes %q): name a new file", path, first, want)
	}
	return false, fmt.Errorf("%s exists and is not a flow log vlab wrote (its first line is not a header of flow-log fields): vlab appends only to its own logs; name a new file or remove this one", path)
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
