package shell

import (
	"context"
	"math"
	"strconv"
	"time"
)

// cmdSleep waits for the sum of its arguments (N, Ns, Nm, Nh, Nd;
// fractions allowed) by the wall clock; it ends early when stopped.
func cmdSleep(ctx context.Context, o IO, args []string) int {
	spec := optSpec{usage: "NUMBER[SUFFIX]..."}
	_, operands, st, ok := spec.parse(o, "sleep", args[1:])
	if !ok {
		return st
	}
	if len(operands) == 0 {
		return usageError(o, "sleep", 1, "missing operand")
	}
	total := 0.0
	for _, a := range operands {
		v, ok := sleepArg(a)
		if !ok {
			return usageError(o, "sleep", 1, "invalid time interval %s", quote(a))
		}
		total += v
	}
	var wait <-chan time.Time
	if total < float64(math.MaxInt64)/1e9 {
		timer := time.NewTimer(time.Duration(total * float64(time.Second)))
		defer timer.Stop()
		wait = timer.C
	}
	select {
	case <-wait:
		return 0
	case <-ctx.Done():
		return statusInterrupted
	}
}

func sleepArg(a string) (float64, bool) {
	mult := 1.0
	if n := len(a); n > 1 {
		switch a[n-1] {
		case 's':
			a = a[:n-1]
		case 'm':
			a, mult = a[:n-1], 60
		case 'h':
			a, mult = a[:n-1], 3600
		case 'd':
			a, mult = a[:n-1], 86400
		}
	}
	v, err := strconv.ParseFloat(a, 64)
	if err != nil || v < 0 || math.IsNaN(v) {
		return 0, false
	}
	return v * mult, true
}
