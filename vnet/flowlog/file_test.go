package flowlog

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenFileCreatesThenAppendsToItsOwnLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.log")
	f, header, err := OpenFile(path, nil)
	require.NoError(t, err)
	assert.False(t, header, "a new file gets the header from the log")
	f.WriteString(strings.Join(DefaultFields, " ") + "\nrecord one\n")
	f.Close()

	f, header, err = OpenFile(path, nil)
	require.NoError(t, err)
	assert.True(t, header, "vlab's own log is appended to, its header kept")
	f.WriteString("record two\n")
	f.Close()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, strings.Join(DefaultFields, " ")+"\nrecord one\nrecord two\n", string(b))

	_, _, err = OpenFile(path, []string{"srcaddr", "dstaddr"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a flow log in another format")
}

func TestOpenFileNeverHarmsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	require.NoError(t, os.WriteFile(precious, []byte("do not truncate me\n"), 0o644))

	_, _, err := OpenFile(precious, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a flow log vlab wrote")

	link := filepath.Join(dir, "link.log")
	require.NoError(t, os.Symlink(precious, link))
	_, _, err = OpenFile(link, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "symbolic link")

	// A link to a file that does not exist yet is not followed either.
	dangling := filepath.Join(dir, "dangling.log")
	require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere.log"), dangling))
	_, _, err = OpenFile(dangling, nil)
	require.Error(t, err)
	assert.NoFileExists(t, filepath.Join(dir, "elsewhere.log"))

	_, _, err = OpenFile(dir, nil)
	require.Error(t, err, "a directory is refused")

	b, err := os.ReadFile(precious)
	require.NoError(t, err)
	assert.Equal(t, "do not truncate me\n", string(b))
}

// srcaddr and dstaddr are the interface's own on its side; pkt-* the
// packet's (VPC User Guide, "Flow log records").
func TestAddressFieldsAtAForwardingInterface(t *testing.T) {
	r := Record{Src: netip.MustParseAddr("10.0.10.25"), Dst: netip.MustParseAddr("10.0.128.108"),
		PktSrc: netip.MustParseAddr("203.0.113.10"), PktDst: netip.MustParseAddr("10.0.128.108"), LogStatus: "OK", Action: "ACCEPT"}
	assert.Equal(t, "10.0.10.25 203.0.113.10 10.0.128.108 10.0.128.108", r.Format([]string{"srcaddr", "pkt-srcaddr", "dstaddr", "pkt-dstaddr"}))
}
