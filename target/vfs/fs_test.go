package vfs

import (
	"io"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newFS(limit int64) *FS {
	t0 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	return New(limit, func() time.Time { return t0 })
}

// A user writes in its home and /tmp, not in root's directories; root
// writes anywhere.
func TestPermissions(t *testing.T) {
	f := newFS(0)
	root := f.Root()
	require.NoError(t, root.MkdirAll("/home/ec2-user", 0o755))
	require.NoError(t, root.Chown("/home/ec2-user", 1000, 1000))
	require.NoError(t, root.Chmod("/home/ec2-user", 0o700))
	require.NoError(t, root.Mkdir("/tmp", fs.ModeSticky|0o777))
	require.NoError(t, root.Mkdir("/etc", 0o755))
	require.NoError(t, root.WriteFile("/etc/shadow", []byte("secret"), 0o000))

	user := f.As(1000, 1000)
	require.NoError(t, user.WriteFile("/home/ec2-user/notes", []byte("hi\n"), 0o644))
	b, err := user.ReadFile("/home/ec2-user/notes")
	require.NoError(t, err)
	assert.Equal(t, "hi\n", string(b))

	err = user.WriteFile("/etc/motd", []byte("x"), 0o644)
	assert.Equal(t, "Permission denied", Strerror(err))
	_, err = user.ReadFile("/etc/shadow")
	assert.Equal(t, "Permission denied", Strerror(err))
	b, err = root.ReadFile("/etc/shadow")
	require.NoError(t, err)
	assert.Equal(t, "secret", string(b))

	other := f.As(1001, 1001)
	_, err = other.ReadFile("/home/ec2-user/notes")
	assert.Equal(t, "Permission denied", Strerror(err), "the home directory is 0700")

	require.NoError(t, user.WriteFile("/tmp/mine", nil, 0o666))
	assert.Equal(t, "Permission denied", Strerror(other.Remove("/tmp/mine")), "/tmp is sticky")
	assert.NoError(t, user.Remove("/tmp/mine"))
}

// The cap answers ENOSPC with what fits written, and a removed file gives
// its room back.
func TestNoSpaceLeftOnDevice(t *testing.T) {
	f := newFS(1000)
	root := f.Root()
	w, err := root.OpenFile("/big", O_WRONLY|O_CREATE, 0o644)
	require.NoError(t, err)
	n, err := w.Write(make([]byte, 600))
	require.NoError(t, err)
	assert.Equal(t, 600, n)
	n, err = w.Write(make([]byte, 600))
	assert.Equal(t, 400, n)
	assert.Equal(t, "No space left on device", Strerror(err))
	require.NoError(t, w.Close())
	assert.Equal(t, int64(1000), f.Used())
	require.NoError(t, root.Remove("/big"))
	assert.Zero(t, f.Used())
	require.NoError(t, root.WriteFile("/again", make([]byte, 1000), 0o644))
	require.NoError(t, root.WriteFile("/again", make([]byte, 10), 0o644), "truncation frees the old content")
	assert.Equal(t, int64(10), f.Used())
}

func TestErrors(t *testing.T) {
	root := newFS(0).Root()
	_, err := root.ReadFile("/nope")
	assert.Equal(t, "No such file or directory", Strerror(err))
	require.NoError(t, root.WriteFile("/file", []byte("x"), 0o644))
	_, err = root.ReadFile("/file/x")
	assert.Equal(t, "Not a directory", Strerror(err))
	require.NoError(t, root.Mkdir("/d", 0o755))
	assert.Equal(t, "File exists", Strerror(root.Mkdir("/d", 0o755)))
	require.NoError(t, root.WriteFile("/d/f", nil, 0o644))
	assert.Equal(t, "Directory not empty", Strerror(root.Remove("/d")))
	_, err = root.OpenFile("/d", O_WRONLY, 0)
	assert.Equal(t, "Is a directory", Strerror(err))
	assert.Equal(t, "Invalid argument", Strerror(root.Rename("/d", "/d/e")))
	require.NoError(t, root.RemoveAll("/d"))
	_, err = root.Stat("/d")
	assert.Equal(t, "No such file or directory", Strerror(err))
}

func TestRenameAndAppend(t *testing.T) {
	root := newFS(0).Root()
	require.NoError(t, root.WriteFile("/a", []byte("one\n"), 0o644))
	w, err := root.OpenFile("/a", O_WRONLY|O_APPEND, 0)
	require.NoError(t, err)
	_, err = w.Write([]byte("two\n"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, root.Rename("/a", "/b"))
	b, err := root.ReadFile("/b")
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", string(b))
	ents, err := root.ReadDir("/")
	require.NoError(t, err)
	require.Len(t, ents, 1)
	assert.Equal(t, "b", ents[0].Name())
}

func TestDevicesAndGenerated(t *testing.T) {
	root := newFS(0).Root()
	require.NoError(t, root.MkdirAll("/dev", 0o755))
	require.NoError(t, root.AddDevice("/dev/null", 0o666, Null{}))
	require.NoError(t, root.AddDevice("/dev/zero", 0o666, Zero{}))
	calls := 0
	require.NoError(t, root.AddGenerated("/count", 0o444, func() []byte { calls++; return []byte("n\n") }))

	z, err := root.OpenFile("/dev/zero", O_RDONLY, 0)
	require.NoError(t, err)
	buf := []byte{1, 2, 3}
	_, err = io.ReadFull(z, buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0}, buf)
	b, err := root.ReadFile("/dev/null")
	require.NoError(t, err)
	assert.Empty(t, b)
	b, err = root.ReadFile("/count")
	require.NoError(t, err)
	assert.Equal(t, "n\n", string(b))
	assert.Equal(t, 1, calls, "generated once per open")
	err = root.WriteFile("/count", nil, 0o644)
	assert.Equal(t, "Permission denied", Strerror(err), "generated files are read-only, for root too")
}

// Reading a device whole (grep -f /dev/zero, curl -d @/dev/zero) stops at
// the filesystem's cap with EFBIG instead of growing without end.
func TestReadFileDeviceEnds(t *testing.T) {
	root := newFS(1000).Root()
	require.NoError(t, root.MkdirAll("/dev", 0o755))
	require.NoError(t, root.AddDevice("/dev/zero", 0o666, Zero{}))
	require.NoError(t, root.AddDevice("/dev/urandom", 0o666, Random{}))
	for _, name := range []string{"/dev/zero", "/dev/urandom"} {
		done := make(chan error, 1)
		go func() {
			_, err := root.ReadFile(name)
			done <- err
		}()
		select {
		case err := <-done:
			assert.Equal(t, "File too large", Strerror(err), name)
		case <-time.After(10 * time.Second):
			require.FailNow(t, "ReadFile of a device never ends", name)
		}
	}
}

// Replacing a file in a sticky directory (mv mine /tmp/rootsfile) needs
// the same right as removing it: the user who owns neither it nor the
// directory gets EPERM and the file stays.
func TestRenameOverStickyFile(t *testing.T) {
	f := newFS(0)
	root := f.Root()
	require.NoError(t, root.Mkdir("/tmp", fs.ModeSticky|0o777))
	require.NoError(t, root.WriteFile("/tmp/rootsfile", []byte("root's"), 0o666))
	user := f.As(1000, 1000)
	require.NoError(t, user.WriteFile("/tmp/mine", []byte("mine"), 0o644))
	err := user.Rename("/tmp/mine", "/tmp/rootsfile")
	assert.Equal(t, "Operation not permitted", Strerror(err))
	b, err := root.ReadFile("/tmp/rootsfile")
	require.NoError(t, err)
	assert.Equal(t, "root's", string(b))
	b, err = user.ReadFile("/tmp/mine")
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))

	require.NoError(t, user.WriteFile("/tmp/other", nil, 0o644))
	require.NoError(t, user.Rename("/tmp/mine", "/tmp/other"), "replacing one's own file is allowed")
	require.NoError(t, root.Rename("/tmp/other", "/tmp/rootsfile"), "root replaces anything")
}
