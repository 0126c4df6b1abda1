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

// flushDelay bounds how long a written packet may sit in the buffer: the
// file stays readable while the lab runs without a write call per packet.
const flushDelay = 50 * time.Millisecond

// PcapWriter writes a classic pcap file (microsecond timestamps, link type
// raw IP) that tcpdump -r, tshark -r and Wireshark read. It is safe for
// concurrent use; packets reach the file within flushDelay.
type PcapWriter struct {
	mu    sync.Mutex
	w     *bufio.Writer
	c     io.Closer
	err   error
	timer *time.Timer // pending flush, nil when the buffer is flushed
}

// NewPcapWriter writes the file header to w.
func NewPcapWriter(w io.WriteCloser) (*PcapWriter, error) {
	pw := &PcapWriter{w: bufio.NewWriterSize(w, 256<<10), c: w}
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
	_, pw.err = pw.w.Write(b)
	if pw.timer == nil && pw.err == nil {
		pw.timer = time.AfterFunc(flushDelay, pw.flush)
	}
	return pw.err
}

func (pw *PcapWriter) flush() {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	pw.timer = nil
	if pw.err == nil {
		pw.err = pw.w.Flush()
	}
}

// Close flushes and closes the file.
func (pw *PcapWriter) Close() error {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.timer != nil {
		pw.timer.Stop()
		pw.timer = nil
	}
	err := pw.w.Flush()
	if cerr := pw.c.Close(); err == nil {
		err = cerr
	}
	if pw.err == nil {
		pw.err = io.ErrClosedPipe
	}
	return err
}
