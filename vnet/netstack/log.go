package netstack

import (
	"fmt"
	"sync/atomic"
	"time"

	glog "gvisor.dev/gvisor/pkg/log"
)

// gVisor logs to the process's stderr by default ("W1130 … dispatcher.go"
// when a remote sends odd packets), which would reach vlab up's terminal.
// Its log is process-wide: it goes to vlab's own logger instead, which
// discards it unless SetLogger names somewhere for it.
var logger atomic.Pointer[func(string)]

type emitter struct{}

func (emitter) Emit(_ int, level glog.Level, _ time.Time, format string, v ...any) {
	if f := logger.Load(); f != nil {
		(*f)(fmt.Sprintf("%s: %s", level, fmt.Sprintf(format, v...)))
	}
}

func init() {
	glog.SetTarget(emitter{})
	glog.SetLevel(glog.Warning)
}

// SetLogger sends the stacks' own log lines (gVisor's warnings) to f; nil,
// the default, discards them.
func SetLogger(f func(line string)) {
	if f == nil {
		logger.Store(nil)
		return
	}
	logger.Store(&f)
}
