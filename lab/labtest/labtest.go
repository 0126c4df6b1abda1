package labtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-sim/vlab/lab"
)

// New builds a lab for a test and closes it when the test ends, as
// httptest.NewServer does; a lab that cannot be built fails the test.
// Every interface is captured to a pcap file (unless c.PcapDir is set):
// when the test fails the files are kept and their folder logged, so
// tcpdump -r or Wireshark can show what happened; otherwise they are
// removed.
func New(tb testing.TB, c lab.Config) *lab.Lab {
	tb.Helper()
	keep := ""
	if c.PcapDir == "" {
		dir, err := os.MkdirTemp("", "vlab-captures-")
		if err != nil {
			tb.Fatalf("lab: %v", err)
		}
		c.PcapDir, keep = dir, dir
	}
	l, err := lab.New(c)
	if err != nil {
		if keep != "" {
			os.RemoveAll(keep)
		}
		tb.Fatalf("lab: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			logDrops(tb, l, c.PcapDir) // before Close, whose own drops are no news
		}
		l.Close()
		if keep == "" {
			return
		}
		if tb.Failed() {
			tb.Logf("vlab: the captures of every interface are kept in %s", keep)
			return
		}
		os.RemoveAll(keep)
	})
	return l
}

// logDrops tells a failed test what the fabric dropped: the counts by place
// and reason and the recent drops, in the log and in dir/drops.txt beside
// the captures.
func logDrops(tb testing.TB, l *lab.Lab, dir string) {
	var b strings.Builder
	for _, d := range l.Net.Drops() {
		fmt.Fprintf(&b, "%s\n", d)
	}
	recent := l.Net.RecentDropEvents()
	if len(recent) > 0 {
		fmt.Fprintf(&b, "the last %d drops:\n", len(recent))
		for _, e := range recent {
			fmt.Fprintf(&b, "  %s %s\n", e.At.Format("15:04:05.000"), e)
		}
	}
	if b.Len() == 0 {
		return
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "drops.txt"), []byte(b.String()), 0o644); err == nil {
			tb.Logf("vlab: drops are in %s", filepath.Join(dir, "drops.txt"))
		}
	}
	out := b.String()
	if len(out) > 4000 {
		out = out[:4000] + "…\n"
	}
	tb.Logf("vlab: drops:\n%s", out)
}
