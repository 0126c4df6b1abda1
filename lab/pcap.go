package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vlab-sim/vlab/vnet"
	"github.com/vlab-sim/vlab/vnet/capture"
)

// PcapFile names the pcap file of an interface: <host>-<eni-id>.pcap.
func PcapFile(e *vnet.ENI) string { return e.Host().Name() + "-" + e.ID() + ".pcap" }

// writePcaps taps every ENI of the lab into its own pcap file in dir.
func (l *Lab) writePcaps(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--pcap %s: %w", dir, err)
	}
	for _, h := range l.Net.Hosts() {
		for _, e := range h.ENIs() {
			// A capture of this lab replaces the last one's, but a
			// symbolic link put in its place is not followed.
			name := filepath.Join(dir, PcapFile(e))
			f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
			if errors.Is(err, syscall.ELOOP) {
				return fmt.Errorf("--pcap: %s is a symbolic link: vlab does not follow links for files it writes", name)
			}
			if err != nil {
				return fmt.Errorf("--pcap: %w", err)
			}
			w, err := capture.NewPcapWriter(f)
			if err != nil {
				f.Close()
				return fmt.Errorf("--pcap %s: %w", f.Name(), err)
			}
			stop := e.Tap(func(ts time.Time, _ vnet.Direction, b []byte) { w.WritePacket(ts, b) })
			l.closers = append(l.closers, func() { stop(); w.Close() })
		}
	}
	return nil
}
