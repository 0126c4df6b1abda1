package lab

import (
	"fmt"
	"os"
	"path/filepath"
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
			f, err := os.Create(filepath.Join(dir, PcapFile(e)))
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
