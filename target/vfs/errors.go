package vfs

import (
	"errors"
	"io/fs"
	"syscall"
)

// strerror is the C library's text for the errors the filesystem returns,
// as coreutils prints them (capitalised, unlike Go's syscall texts).
var strerror = map[syscall.Errno]string{
	syscall.ENOENT:       "No such file or directory",
	syscall.EACCES:       "Permission denied",
	syscall.EPERM:        "Operation not permitted",
	syscall.ENOTDIR:      "Not a directory",
	syscall.EISDIR:       "Is a directory",
	syscall.EEXIST:       "File exists",
	syscall.ENOSPC:       "No space left on device",
	syscall.ENOTEMPTY:    "Directory not empty",
	syscall.EINVAL:       "Invalid argument",
	syscall.EBADF:        "Bad file descriptor",
	syscall.EROFS:        "Read-only file system",
	syscall.EBUSY:        "Device or resource busy",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.ESPIPE:       "Illegal seek",
	syscall.EFBIG:        "File too large",
}

// Strerror returns err's C-library text ("No such file or directory"), or
// err's own text when it carries no errno.
func Strerror(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) {
		if s, ok := strerror[no]; ok {
			return s
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func pathErr(op, path string, no syscall.Errno) error {
	return &fs.PathError{Op: op, Path: path, Err: no}
}
