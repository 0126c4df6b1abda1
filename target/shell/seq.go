package shell

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

var seqSpec = optSpec{short: "f:s:w", usage: "[OPTION]... LAST\n  or:  seq [OPTION]... FIRST LAST\n  or:  seq [OPTION]... FIRST INCREMENT LAST", long: map[string]string{
	"format": "f:", "separator": "s:", "equal-width": "w",
}, stop: func(a string) bool {
	return len(a) > 1 && a[0] == '-' && (a[1] >= '0' && a[1] <= '9' || a[1] == '.')
}}

// cmdSeq prints numbers from FIRST to LAST by INCREMENT; it streams, so
// that seq 1 1000000000 | head ends at once.
func cmdSeq(ctx context.Context, o IO, args []string) int {
	opts, operands, st, ok := seqSpec.parse(o, "seq", args[1:])
	if !ok {
		return st
	}
	sep, format, equal := "\n", "", false
	for _, op := range opts {
		switch op.key {
		case "s":
			sep = op.val
		case "f":
			format = op.val
		case "w":
			equal = true
		}
	}
	switch {
	case len(operands) == 0:
		return usageError(o, "seq", 1, "missing operand")
	case len(operands) > 3:
		return usageError(o, "seq", 1, "extra operand %s", quote(operands[3]))
	}
	nums := make([]float64, len(operands))
	integers := true
	for i, a := range operands {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(v) {
			return usageError(o, "seq", 1, "invalid floating point argument: %s", quote(a))
		}
		nums[i] = v
		if strings.ContainsAny(a, ".eEpPxXiInN") {
			integers = false
		}
	}
	// GNU prints as many decimals as FIRST and INCREMENT have; LAST's
	// count only for -w.
	decimals := func(a string) int {
		if dot := strings.IndexByte(a, '.'); dot >= 0 && !strings.ContainsAny(a, "eE") {
			return len(a) - dot - 1
		}
		return 0
	}
	prec := 0
	if len(operands) >= 2 {
		prec = decimals(operands[0])
	}
	if len(operands) == 3 {
		prec = max(prec, decimals(operands[1]))
	}
	first, incr, last := 1.0, 1.0, nums[len(nums)-1]
	if len(nums) >= 2 {
		first = nums[0]
	}
	if len(nums) == 3 {
		incr = nums[1]
	}
	if incr == 0 {
		return usageError(o, "seq", 1, "invalid Zero increment value: %s", quote(operands[1]))
	}
	out := bufio.NewWriterSize(o.Stdout, bufSize)
	width := 0
	render := func(v float64) string {
		if format != "" {
			return fmt.Sprintf(format, v)
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	if equal && format == "" {
		width = max(len(render(first)), len(render(last)))
	}
	pad := func(s string) string {
		if len(s) >= width {
			return s
		}
		if strings.HasPrefix(s, "-") {
			return "-" + strings.Repeat("0", width-len(s)) + s[1:]
		}
		return strings.Repeat("0", width-len(s)) + s
	}
	wrote := false
	emit := func(s string) {
		if wrote {
			out.WriteString(sep)
		}
		out.WriteString(pad(s))
		wrote = true
	}
	if integers && format == "" && math.Abs(first) < 1<<62 && math.Abs(last) < 1<<62 && math.Abs(incr) < 1<<62 {
		a, step, z := int64(first), int64(incr), int64(last)
		var buf []byte
		for i := 0; step > 0 && a <= z || step < 0 && a >= z; i++ {
			if i&1023 == 1023 {
				if ctx.Err() != nil {
					return statusInterrupted
				}
				if out.Flush() != nil {
					break
				}
			}
			buf = strconv.AppendInt(buf[:0], a, 10)
			emit(string(buf))
			if a > math.MaxInt64-step && step > 0 || a < math.MinInt64-step && step < 0 {
				break
			}
			a += step
		}
	} else {
		prev := ""
		for i := 0; ; i++ {
			v := first + float64(i)*incr
			if incr > 0 && v > last || incr < 0 && v < last {
				// Past LAST by a rounding error only: GNU prints it
				// (seq 0 0.1 0.3 ends with 0.3).
				if s := render(v); s == render(last) && s != prev {
					emit(s)
				}
				break
			}
			if i&1023 == 1023 {
				if ctx.Err() != nil {
					return statusInterrupted
				}
				if out.Flush() != nil {
					break
				}
			}
			prev = render(v)
			emit(prev)
		}
	}
	if wrote {
		out.WriteByte('\n')
	}
	if err := out.Flush(); err != nil {
		return writeFailed(o, "seq", err)
	}
	return 0
}
