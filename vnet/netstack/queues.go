package netstack

import (
	"container/list"
	"reflect"
	"sync"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// A TCP socket's queues as ss shows them (Linux's tcp_diag): for a
// connection, Recv-Q is the bytes received and not yet read, Send-Q the
// bytes written and not yet acknowledged; for a listener, Recv-Q is the
// connections waiting in the accept queue and Send-Q the backlog.
//
// gVisor gives the first through GetSockOptInt(ReceiveQueueSizeOption)
// and none of the others (its own sentry reports 0 for them in
// /proc/net/tcp): they are read here from the endpoint's own fields, under
// the endpoint's own locks, found by name once by reflection. A gVisor
// whose layout differs reports 0 for them (queuesLayout.ok false), and
// the package's test of the figures fails, so an upgrade cannot go
// unnoticed.

// queuesLayout is where the fields are in tcp.Endpoint, by index path.
type queuesLayout struct {
	ok bool
	// sndQueueInfo.sndQueueMu, sndQueueInfo.TCPSndBufState.SndBufUsed
	sndMu, sndUsed []int
	// acceptMu, acceptQueue.endpoints, acceptQueue.capacity
	acceptMu, acceptList, acceptCap []int
}

var layout = sync.OnceValue(func() queuesLayout {
	t := reflect.TypeFor[tcp.Endpoint]()
	path := func(names ...string) []int {
		var idx []int
		ty := t
		for _, n := range names {
			f, ok := ty.FieldByName(n)
			if !ok {
				return nil
			}
			idx = append(idx, f.Index...)
			ty = f.Type
		}
		return idx
	}
	l := queuesLayout{
		sndMu:      path("sndQueueInfo", "sndQueueMu"),
		sndUsed:    path("sndQueueInfo", "TCPSndBufState", "SndBufUsed"),
		acceptMu:   path("acceptMu"),
		acceptList: path("acceptQueue", "endpoints"),
		acceptCap:  path("acceptQueue", "capacity"),
	}
	l.ok = l.sndMu != nil && l.sndUsed != nil && l.acceptMu != nil && l.acceptList != nil && l.acceptCap != nil &&
		t.FieldByIndex(l.sndUsed).Type.Kind() == reflect.Int &&
		t.FieldByIndex(l.acceptCap).Type.Kind() == reflect.Int &&
		t.FieldByIndex(l.acceptList).Type == reflect.TypeFor[list.List]() &&
		reflect.PointerTo(t.FieldByIndex(l.sndMu).Type).Implements(reflect.TypeFor[sync.Locker]()) &&
		reflect.PointerTo(t.FieldByIndex(l.acceptMu).Type).Implements(reflect.TypeFor[sync.Locker]())
	return l
})

// field returns the field of ep at idx as a value that may be used freely
// (reflection marks unexported fields read-only).
func field(ep reflect.Value, idx []int) reflect.Value {
	f := ep.FieldByIndex(idx)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// queues returns ep's Recv-Q and Send-Q.
func queues(ep *tcp.Endpoint, listening bool) (recv, send int) {
	l := layout()
	if !listening {
		if n, err := ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption); err == nil {
			recv = n
		}
	}
	if !l.ok {
		return recv, 0
	}
	v := reflect.ValueOf(ep).Elem()
	if listening {
		mu := field(v, l.acceptMu).Addr().Interface().(sync.Locker)
		mu.Lock()
		recv = field(v, l.acceptList).Addr().Interface().(*list.List).Len()
		send = int(field(v, l.acceptCap).Int())
		mu.Unlock()
		return recv, send
	}
	mu := field(v, l.sndMu).Addr().Interface().(sync.Locker)
	mu.Lock()
	send = int(field(v, l.sndUsed).Int())
	mu.Unlock()
	return recv, send
}
