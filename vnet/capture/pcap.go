package capture

import (
	"bufio"
	"encoding/binary"
	"io"
	"sync"
	"time"
)

// linkTypeRaw is LINKTYPE_RAW: each record is a bare IPv4 packet, which is
// what the lab's interfaces carry.
const linkTypeRaw = 101

// snapLen is the snapshot length the file header advertises (tcpdump's
// default).
const snapLen = 262144

// PcapWriter writes a classic pcap file (microsecond timestamps, link type
// raw IP) that tcpdump -r, tshark -r and Wireshark read. It is safe for
// concurrent use; each packet is flushed, so the file is readable while the
// lab runs.
type PcapWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	c   io.Closer
	err error
}

// NewPcapWriter writes the file header to w.
func NewPcapWriter(w io.WriteCloser) (*PcapWriter, error) {
	pw := &PcapWriter{w: bufio.NewWriter(w), c: w}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4) // microsecond resolution
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snapLen)
	binary.LittleEndian.PutUint32(h[20:], linkTypeRaw)
	pw.w.Write(h[:])
	if err := pw.w.Flush(); err != nil {
		return nil, err
	}
	return pw, nil
}

// WritePacket appends one packet captured at ts.
func (pw *PcapWriter) WritePacket(ts time.Time, b []byte) error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.err != nil {
		return pw.err
	}
	var h [16]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(h[4:], uint32(ts.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(b)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(b)))
	pw.w.Write(h[:])
	pw.w.Write(b)
	pw.err = pw.w.Flush()
	return pw.err
}

// Close flushes and closes the file.
func (pw *PcapWriter) Close() error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	err := pw.w.Flush()
	if cerr := pw.c.Close(); err == nil {
		err = cerr
	}
	if pw.err == nil {
		pw.err = io.ErrClosedPipe
	}
	return err
}
