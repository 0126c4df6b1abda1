package lab_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlab-sim/vlab/lab"
	"github.com/vlab-sim/vlab/lab/labtest"
)

// failedTB is a test that has failed: NewT's cleanup sees Failed.
type failedTB struct {
	testing.TB
	logs     []string
	cleanups []func()
}

func (f *failedTB) Helper()           {}
func (f *failedTB) Failed() bool      { return true }
func (f *failedTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *failedTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// A failed test made with NewT is told what the fabric dropped, in its log
// and beside the captures.
func TestNewTLogsDropsWhenTheTestFails(t *testing.T) {
	ftb := &failedTB{TB: t}
	c := lab.Default()
	scenario(c).NoSGClientRule = true
	l := labtest.New(ftb, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := l.Run(ctx, "true")
	require.Error(t, err)
	for i := len(ftb.cleanups) - 1; i >= 0; i-- {
		ftb.cleanups[i]()
	}
	logs := strings.Join(ftb.logs, "\n")
	assert.Contains(t, logs, "security-group at "+l.Target.ENI().ID())
	assert.Contains(t, logs, "no inbound rule allows 203.0.113.10 to TCP 22")
	m := regexp.MustCompile(`captures of every interface are kept in (\S+)`).FindStringSubmatch(logs)
	require.NotNil(t, m, logs)
	defer os.RemoveAll(m[1])
	b, err := os.ReadFile(filepath.Join(m[1], "drops.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "no inbound rule allows 203.0.113.10 to TCP 22")
}
