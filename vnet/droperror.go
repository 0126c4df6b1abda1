package vnet

import "fmt"

// DropError is the error of a connection the fabric refused: the drop of
// one of its packets. Match it with errors.As to read the place, reason,
// resource and rule.
type DropError struct{ Event DropEvent }

func (e *DropError) Error() string {
	if e.Event.Detail != "" {
		return e.Event.Detail
	}
	return fmt.Sprintf("dropped at %s: %s (%s)", e.Event.Where, e.Event.Reason, e.Event.Flow)
}
