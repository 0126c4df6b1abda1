package shell

import (
	"io/fs"
)

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
