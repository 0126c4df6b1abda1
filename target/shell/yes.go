package shell

import (
	"context"
	"strings"
)

// cmdYes prints its arguments (or y) over and over, until its reader goes
// away or it is stopped.
func cmdYes(ctx context.Context, o IO, args []string) int {
	spec := optSpec{usage: "[STRING]..."}
	_, operands, st, ok := spec.parse(o, "yes", args[1:])
	if !ok {
		return st
	}
	line := "y"
	if len(operands) > 0 {
		line = strings.Join(operands, " ")
	}
	line += "\n"
	buf := []byte(strings.Repeat(line, max(1, 8192/len(line))))
	for {
		if ctx.Err() != nil {
			return statusInterrupted
		}
		if _, err := o.Stdout.Write(buf); err != nil {
			return writeFailed(o, "yes", err)
		}
	}
}
