package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withLogDestination returns examples/two-nlbs.yaml with its flow log sent
// to dest.
func withLogDestination(t *testing.T, dest string) string {
	t.Helper()
	b, err := os.ReadFile("../examples/two-nlbs.yaml")
	require.NoError(t, err)
	s := strings.Replace(string(b), "    MaxAggregationInterval: 60\n", "    MaxAggregationInterval: 60\n    LogDestination: "+dest+"\n", 1)
	require.Contains(t, s, "LogDestination: "+dest)
	f := filepath.Join(t.TempDir(), "lab.yaml")
	require.NoError(t, os.WriteFile(f, []byte(s), 0o644))
	return f
}

// preciousFile makes a file that is not a flow log and a symbolic link to
// it, in a new folder.
func preciousFile(t *testing.T) (dir, precious, link string) {
	t.Helper()
	dir = t.TempDir()
	precious = filepath.Join(dir, "precious.txt")
	require.NoError(t, os.WriteFile(precious, []byte("keep me\n"), 0o644))
	link = filepath.Join(dir, "link.log")
	require.NoError(t, os.Symlink(precious, link))
	return dir, precious, link
}

// Validating a file someone sent must not write the files it names: its
// flow log's LogDestination once truncated whatever it pointed at.
func TestReadOnlyCommandsWriteNoFile(t *testing.T) {
	noLeaks(t)
	dir, precious, link := preciousFile(t)
	fresh := filepath.Join(dir, "fresh.log")
	cfg := t.TempDir()

	// A destination the lab could write: every command runs, and writes
	// nothing. One it would refuse: every command says so, at the field,
	// and writes nothing either.
	for dest, refused := range map[string]string{fresh: "", precious: "is not a flow log vlab wrote", link: "symbolic link"} {
		file := withLogDestination(t, dest)
		for _, args := range [][]string{
			{"validate", file},
			{"describe", "--file", file},
			{"health", "--file", file},
			{"explain", "--file", file},
			{"flowlogs", "--file", file},
		} {
			out, errs, code := vlab(t, cfg, args...)
			if refused == "" {
				assert.Equal(t, 0, code, "%v: %s", args, errs)
				continue
			}
			assert.Equal(t, 1, code, "%v: %s", args, errs)
			assert.Contains(t, out+errs, "FlowLogs[0].LogDestination", args)
			assert.Contains(t, out+errs, refused, args)
		}
	}
	b, err := os.ReadFile(precious)
	require.NoError(t, err)
	assert.Equal(t, "keep me\n", string(b), "the file the log names is unchanged")
	assert.NoFileExists(t, fresh, "no log file is created by a command that only reads")
	entries, err := os.ReadDir(cfg)
	require.NoError(t, err)
	assert.Empty(t, entries, "no key is created by a command that only reads")
}

// A command that writes the log for real refuses a file vlab did not
// write, and a symbolic link, with the field at fault.
func TestLogDestinationIsWrittenSafely(t *testing.T) {
	noLeaks(t)
	dir, precious, link := preciousFile(t)
	cfg := t.TempDir()

	_, errs, code := vlab(t, cfg, "ssh", "--ephemeral", "--file", withLogDestination(t, precious), "--lb", "admin", "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errs, "FlowLogs[0].LogDestination")
	assert.Contains(t, errs, "is not a flow log vlab wrote")
	_, errs, code = vlab(t, cfg, "ssh", "--ephemeral", "--file", withLogDestination(t, link), "--lb", "admin", "--", "true")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errs, "symbolic link")
	b, err := os.ReadFile(precious)
	require.NoError(t, err)
	assert.Equal(t, "keep me\n", string(b))

	// Its own log is appended to, run after run, under one header.
	logFile := filepath.Join(dir, "flows.log")
	for range 2 {
		_, errs, code = vlab(t, cfg, "ssh", "--ephemeral", "--flow-logs", logFile, "--", "true")
		require.Equal(t, 0, code, errs)
	}
	b, err = os.ReadFile(logFile)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(b), "version account-id"), "one header: %s", b)
	// Each run's client flow at the instance's ENI (at the node's, the
	// backend leg's srcaddr is the node's own address).
	assert.Equal(t, 2, strings.Count(string(b), " 203.0.113.10 10.0.128.108 "), "both runs' records: %s", b)
}
