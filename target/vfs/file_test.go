package vfs

import (
	"io"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ReadAt and WriteAt work at their own offsets, out of order and at once,
// as an SFTP server's workers call them, and leave Read's offset alone.
func TestReadAtWriteAt(t *testing.T) {
	root := newFS(0).Root()
	w, err := root.OpenFile("/f", O_RDWR|O_CREATE, 0o644)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 7; i >= 0; i-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := []byte{byte('a' + i), byte('a' + i)}
			n, err := w.WriteAt(chunk, int64(2*i))
			assert.NoError(t, err)
			assert.Equal(t, 2, n)
		}()
	}
	wg.Wait()
	b, err := root.ReadFile("/f")
	require.NoError(t, err)
	assert.Equal(t, "aabbccddeeffgghh", string(b))

	buf := make([]byte, 4)
	n, err := w.ReadAt(buf, 6)
	require.NoError(t, err)
	assert.Equal(t, "ddee", string(buf[:n]))
	n, err = w.ReadAt(buf, 14)
	assert.Equal(t, io.EOF, err, "a short ReadAt says why")
	assert.Equal(t, "hh", string(buf[:n]))
	_, err = w.ReadAt(buf, 16)
	assert.Equal(t, io.EOF, err)

	n, err = w.Read(buf)
	require.NoError(t, err, "Read starts where the file was opened")
	assert.Equal(t, "aabb", string(buf[:n]))

	_, err = w.WriteAt([]byte("z"), 20)
	require.NoError(t, err)
	b, err = root.ReadFile("/f")
	require.NoError(t, err)
	assert.Equal(t, "aabbccddeeffgghh\x00\x00\x00\x00z", string(b), "a write past the end leaves a hole of zeros")
	assert.Equal(t, int64(21), root.FS().Used())
	require.NoError(t, w.Close())

	_, err = w.ReadAt(buf, 0)
	assert.Equal(t, "Bad file descriptor", Strerror(err))
	_, err = w.WriteAt(buf, 0)
	assert.Equal(t, "Bad file descriptor", Strerror(err))
}

func TestWriteAtRefusals(t *testing.T) {
	root := newFS(0).Root()
	require.NoError(t, root.MkdirAll("/dev", 0o755))
	require.NoError(t, root.AddDevice("/dev/zero", 0o666, Zero{}))
	r, err := root.OpenFile("/dev/zero", O_RDWR, 0)
	require.NoError(t, err)
	_, err = r.ReadAt(make([]byte, 1), 0)
	assert.Equal(t, "Illegal seek", Strerror(err), "a device has no offsets")
	_, err = r.WriteAt([]byte("x"), 0)
	assert.Equal(t, "Illegal seek", Strerror(err))

	a, err := root.OpenFile("/a", O_WRONLY|O_CREATE|O_APPEND, 0o644)
	require.NoError(t, err)
	_, err = a.WriteAt([]byte("x"), 0)
	assert.Equal(t, "Invalid argument", Strerror(err), "O_APPEND and WriteAt conflict, as with os.File")
	_, err = a.ReadAt(make([]byte, 1), 0)
	assert.Equal(t, "Bad file descriptor", Strerror(err), "opened write-only")
	_, err = a.WriteAt([]byte("x"), -1)
	assert.Equal(t, "Invalid argument", Strerror(err))
}

// WriteAt fills the cap and no more: what fits is written, the rest is
// ENOSPC, and a hole that cannot fit writes nothing.
func TestWriteAtNoSpace(t *testing.T) {
	f := newFS(100)
	root := f.Root()
	w, err := root.OpenFile("/f", O_WRONLY|O_CREATE, 0o644)
	require.NoError(t, err)
	n, err := w.WriteAt(make([]byte, 60), 0)
	require.NoError(t, err)
	assert.Equal(t, 60, n)
	n, err = w.WriteAt(make([]byte, 60), 50)
	assert.Equal(t, 50, n, "overwriting 10 bytes costs nothing; 40 more fit")
	assert.Equal(t, "No space left on device", Strerror(err))
	assert.Equal(t, int64(100), f.Used())
	n, err = w.WriteAt([]byte("x"), 500)
	assert.Zero(t, n)
	assert.Equal(t, "No space left on device", Strerror(err))
	n, err = w.WriteAt([]byte("y"), 0)
	require.NoError(t, err, "overwriting needs no room")
	assert.Equal(t, 1, n)
	st, err := w.Stat()
	require.NoError(t, err)
	assert.Equal(t, int64(100), st.Size())
	assert.Equal(t, int64(100), f.Used())
}

// An offset near the largest int64 (an SFTP write at 0x7ffffffffffffff0)
// must not overflow into a negative end and panic in the copy: it fails
// with EFBIG, as Linux does past the largest file size, and a huge offset
// that does not overflow fails with ENOSPC. The file is left untouched.
func TestWriteAtHugeOffset(t *testing.T) {
	f := newFS(100)
	w, err := f.Root().OpenFile("/f", O_WRONLY|O_CREATE, 0o644)
	require.NoError(t, err)
	var n int
	require.NotPanics(t, func() { n, err = w.WriteAt(make([]byte, 32), 0x7ffffffffffffff0) })
	assert.Zero(t, n)
	assert.Equal(t, "File too large", Strerror(err))
	require.NotPanics(t, func() { n, err = w.WriteAt([]byte("x"), math.MaxInt64-1) })
	assert.Zero(t, n)
	assert.Equal(t, "No space left on device", Strerror(err))
	st, err := w.Stat()
	require.NoError(t, err)
	assert.Zero(t, st.Size())
	assert.Zero(t, f.Used())
}
